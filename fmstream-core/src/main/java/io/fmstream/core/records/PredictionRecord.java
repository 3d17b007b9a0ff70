package io.fmstream.core.records;

/** One task head's output for one window. */
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

    public PredictionRecord() {}
}
