package io.fmstream.core.records;

/**
 * A device's recording has closed (its end-of-recording chunk was consumed): how many windows it
 * emitted and their span, so that a downstream aggregator knows when it has seen every window's
 * output, in whatever order they arrive.
 */
public class RecordingEnd {
    public String deviceId;
    public long recordingStartMicros;
    public long firstWindowStartMicros;
    public long lastWindowEndMicros;
    public int windows;

    public RecordingEnd() {}

    public RecordingEnd(
            String deviceId,
            long recordingStartMicros,
            long firstWindowStartMicros,
            long lastWindowEndMicros,
            int windows) {
        this.deviceId = deviceId;
        this.recordingStartMicros = recordingStartMicros;
        this.firstWindowStartMicros = firstWindowStartMicros;
        this.lastWindowEndMicros = lastWindowEndMicros;
        this.windows = windows;
    }
}
