package io.fmstream.job.accuracy;

/** A prediction waiting for (or being scored against) its truth. A Flink POJO. */
public class PendingPrediction {
    public String deviceId;
    public long windowStartMicros;
    public long windowEndMicros;
    public boolean recording;
    public String task;
    public String headName;
    public String headVersion;
    public String encoderSha256;

    /** Classification: the predicted label; null for regression. */
    public String label;

    /** Regression: the predicted value; NaN for classification. */
    public double value = Double.NaN;

    /** Wall-clock time it arrived, for the horizon. */
    public long arrivedMillis;

    public PendingPrediction() {}

    String key() {
        return windowStartMicros + "/" + windowEndMicros + "/" + task + "/" + recording;
    }
}
