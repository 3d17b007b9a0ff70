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

    /**
     * Device time of the first sample of the stream segment (recording) the window belongs to: with
     * the device id, it names the recording its window outputs aggregate into.
     */
    public long recordingStartMicros;

    public WindowRecord() {}

    public WindowRecord(
            String deviceId,
            long windowStartMicros,
            long windowEndMicros,
            float[] samples,
            float missingFraction,
            long newestAppendTimeMillis,
            long recordingStartMicros) {
        this.deviceId = deviceId;
        this.windowStartMicros = windowStartMicros;
        this.windowEndMicros = windowEndMicros;
        this.samples = samples;
        this.missingFraction = missingFraction;
        this.newestAppendTimeMillis = newestAppendTimeMillis;
        this.recordingStartMicros = recordingStartMicros;
    }
}
