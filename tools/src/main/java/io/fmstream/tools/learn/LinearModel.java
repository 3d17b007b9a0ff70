package io.fmstream.tools.learn;

import java.util.Objects;

/**
 * A fitted linear model in the original feature space: {@code z = W x + b}, then softmax
 * (classification) or identity (regression). The fitters standardise features internally and fold
 * the standardisation back into {@code W} and {@code b}, so the model takes raw features, exactly
 * as a head in a bundle takes the raw embedding.
 */
public final class LinearModel {

    private final double[][] weights;
    private final double[] bias;
    private final boolean softmax;

    LinearModel(double[][] weights, double[] bias, boolean softmax) {
        this.weights = Objects.requireNonNull(weights);
        this.bias = Objects.requireNonNull(bias);
        this.softmax = softmax;
        if (weights.length != bias.length || weights.length == 0) {
            throw new IllegalArgumentException(
                    weights.length + " weight rows for " + bias.length + " biases");
        }
    }

    /** Outputs: class probabilities (softmax) or one value. */
    public double[] apply(float[] x) {
        int k = weights.length;
        double[] z = new double[k];
        for (int c = 0; c < k; c++) {
            double[] w = weights[c];
            if (w.length != x.length) {
                throw new IllegalArgumentException(
                        "features have " + x.length + " values, the model " + w.length);
            }
            double s = bias[c];
            for (int j = 0; j < w.length; j++) {
                s += w[j] * x[j];
            }
            z[c] = s;
        }
        if (softmax) {
            softmaxInPlace(z);
        }
        return z;
    }

    /** Row-wise {@link #apply(float[])} as float rows, the shape a head produces. */
    public float[][] applyAll(float[][] rows) {
        float[][] out = new float[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            double[] p = apply(rows[i]);
            out[i] = new float[p.length];
            for (int c = 0; c < p.length; c++) {
                out[i][c] = (float) p[c];
            }
        }
        return out;
    }

    public int inputDim() {
        return weights[0].length;
    }

    public int outputDim() {
        return weights.length;
    }

    public boolean softmax() {
        return softmax;
    }

    /** A copy of W [outputs][inputs]. */
    public double[][] weights() {
        double[][] copy = new double[weights.length][];
        for (int i = 0; i < weights.length; i++) {
            copy[i] = weights[i].clone();
        }
        return copy;
    }

    public double[] bias() {
        return bias.clone();
    }

    static void softmaxInPlace(double[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (int c = 0; c < z.length; c++) {
            z[c] = Math.exp(z[c] - max);
            sum += z[c];
        }
        for (int c = 0; c < z.length; c++) {
            z[c] /= sum;
        }
    }
}
