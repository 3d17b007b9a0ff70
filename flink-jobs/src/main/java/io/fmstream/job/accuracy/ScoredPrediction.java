package io.fmstream.job.accuracy;

/** One prediction scored against its truth, as written to the accuracy topic. A Flink POJO. */
public class ScoredPrediction {
    public PendingPrediction prediction;
    public String truthLabel;
    public double truthValue = Double.NaN;

    /** 1 agree, 0 disagree, -1 not a classification. */
    public int agree = -1;

    public double absoluteError = Double.NaN;

    public ScoredPrediction() {}
}
