package io.fmstream.core.records;

/** One task head's output for one window, or (scope recording) for one whole recording. */
public class PredictionRecord {
    public String deviceId;
    public long windowStartMicros;
    public long windowEndMicros;
    public String task;
    public String headName;
    public String headVersion;

    /** Most probable label for a classification head, null for regression. */
    public String label;

    /** Class probabilities in the manifest's label order; empty for regression. */
    public float[] scores;

    /** Regression output; NaN for classification. */
    public double value;

    public boolean classification;
    public float missingFraction;
    public long newestAppendTimeMillis;

    /** See {@link WindowRecord#recordingStartMicros}. */
    public long recordingStartMicros;

    /**
     * True for a recording-level prediction: aggregated from {@link #windows} window predictions by
     * {@code RecordingAggregator}; the window span is then the recording's (its first window's
     * start to its last window's end).
     */
    public boolean recording;

    /** Windows aggregated: 1 for a window prediction. */
    public int windows = 1;

    public PredictionRecord() {}
}
