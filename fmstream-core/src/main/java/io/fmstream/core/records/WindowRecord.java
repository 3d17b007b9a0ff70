package io.fmstream.core.records;

/** One device window resampled to the model rate, in physical units; NaN marks a missing sample. */
public class WindowRecord {
    public String deviceId;
    public long windowStartMicros;
    public long windowEndMicros;
    public float[] samples;
    public float missingFraction;

    /** Kafka append time of the newest chunk that contributed, ms: the start of latency. */
    public long newestAppendTimeMillis;

    public WindowRecord() {}

    public WindowRecord(
            String deviceId,
            long windowStartMicros,
            long windowEndMicros,
            float[] samples,
            float missingFraction,
            long newestAppendTimeMillis) {
        this.deviceId = deviceId;
        this.windowStartMicros = windowStartMicros;
        this.windowEndMicros = windowEndMicros;
        this.samples = samples;
        this.missingFraction = missingFraction;
        this.newestAppendTimeMillis = newestAppendTimeMillis;
    }
}
