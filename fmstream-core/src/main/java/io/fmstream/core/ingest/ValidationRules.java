package io.fmstream.core.ingest;

import java.io.Serializable;

/** Bounds a chunk must respect before it reaches window assembly. */
public final class ValidationRules implements Serializable {
    private static final long serialVersionUID = 1L;

    private final double minSampleRateHz;
    private final double maxSampleRateHz;
    private final int maxSamplesPerChunk;
    private final double maxSaturatedFraction;
    private final long maxFutureMicros;

    public ValidationRules(double minSampleRateHz, double maxSampleRateHz, int maxSamplesPerChunk,
            double maxSaturatedFraction, long maxFutureMicros) {
        this.minSampleRateHz = minSampleRateHz;
        this.maxSampleRateHz = maxSampleRateHz;
        this.maxSamplesPerChunk = maxSamplesPerChunk;
        this.maxSaturatedFraction = maxSaturatedFraction;
        this.maxFutureMicros = maxFutureMicros;
    }

    public double minSampleRateHz() {
        return minSampleRateHz;
    }

    public double maxSampleRateHz() {
        return maxSampleRateHz;
    }

    public int maxSamplesPerChunk() {
        return maxSamplesPerChunk;
    }

    public double maxSaturatedFraction() {
        return maxSaturatedFraction;
    }

    public long maxFutureMicros() {
        return maxFutureMicros;
    }
}
