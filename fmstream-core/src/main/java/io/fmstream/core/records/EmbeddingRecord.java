package io.fmstream.core.records;

/** The shared encoder's output for one window. */
public class EmbeddingRecord {
    public String deviceId;
    public long windowStartMicros;
    public long windowEndMicros;
    public float[] embedding;
    public float missingFraction;
    public long newestAppendTimeMillis;
    public long recordingStartMicros;

    public EmbeddingRecord() {}

    public EmbeddingRecord(WindowRecord window, float[] embedding) {
        this.deviceId = window.deviceId;
        this.windowStartMicros = window.windowStartMicros;
        this.windowEndMicros = window.windowEndMicros;
        this.embedding = embedding;
        this.missingFraction = window.missingFraction;
        this.newestAppendTimeMillis = window.newestAppendTimeMillis;
        this.recordingStartMicros = window.recordingStartMicros;
    }
}
