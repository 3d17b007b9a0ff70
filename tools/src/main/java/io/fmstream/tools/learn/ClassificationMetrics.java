package io.fmstream.tools.learn;

import java.util.Arrays;
import java.util.Random;

/**
 * Recording-level classification metrics of the evaluation protocol (CinC 2017 conventions):
 * per-class F1, the Challenge F1 (mean F1 of the first three classes N, A, O; the noisy class is
 * predicted but not scored, as in the Challenge), one-vs-rest AUROC and sensitivity at a fixed
 * specificity for one class (AF), and the multi-class Brier score. Bootstrap intervals for paired
 * differences live here too.
 */
public final class ClassificationMetrics {

    private ClassificationMetrics() {}

    /** F1 per class; NaN for a class neither present nor predicted. */
    public static double[] f1PerClass(int[] truth, int[] predicted, int classes) {
        double[] f1 = new double[classes];
        for (int c = 0; c < classes; c++) {
            int tp = 0;
            int fp = 0;
            int fn = 0;
            for (int i = 0; i < truth.length; i++) {
                boolean t = truth[i] == c;
                boolean p = predicted[i] == c;
                if (t && p) {
                    tp++;
                } else if (p) {
                    fp++;
                } else if (t) {
                    fn++;
                }
            }
            f1[c] = 2 * tp + fp + fn == 0 ? Double.NaN : 2.0 * tp / (2 * tp + fp + fn);
        }
        return f1;
    }

    /** Mean F1 of classes 0..scored-1 (CinC 2017: scored = 3, N, A, O). */
    public static double challengeF1(int[] truth, int[] predicted, int classes, int scored) {
        double[] f1 = f1PerClass(truth, predicted, classes);
        double s = 0;
        for (int c = 0; c < scored; c++) {
            s += Double.isNaN(f1[c]) ? 0 : f1[c];
        }
        return s / scored;
    }

    /** AUROC of score for "truth == positive" (Mann-Whitney, ties counted half). */
    public static double auroc(int[] truth, double[] score, int positive) {
        Integer[] order = new Integer[truth.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(score[a], score[b]));
        double rankSumPos = 0;
        long pos = 0;
        int i = 0;
        while (i < order.length) {
            int j = i;
            while (j + 1 < order.length && score[order[j + 1]] == score[order[i]]) {
                j++;
            }
            double avgRank = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) {
                if (truth[order[k]] == positive) {
                    rankSumPos += avgRank;
                    pos++;
                }
            }
            i = j + 1;
        }
        long neg = truth.length - pos;
        if (pos == 0 || neg == 0) {
            return Double.NaN;
        }
        return (rankSumPos - pos * (pos + 1) / 2.0) / ((double) pos * neg);
    }

    /**
     * Sensitivity for "truth == positive" at the threshold that keeps specificity >= the given
     * value on these recordings (the threshold is the smallest score above that quantile of the
     * negatives, so at least that fraction of negatives lies at or below it).
     */
    public static double sensitivityAtSpecificity(
            int[] truth, double[] score, int positive, double specificity) {
        double[] neg =
                Arrays.stream(indices(truth.length))
                        .filter(i -> truth[i] != positive)
                        .mapToDouble(i -> score[i])
                        .sorted()
                        .toArray();
        double[] posScores =
                Arrays.stream(indices(truth.length))
                        .filter(i -> truth[i] == positive)
                        .mapToDouble(i -> score[i])
                        .toArray();
        if (neg.length == 0 || posScores.length == 0) {
            return Double.NaN;
        }
        int k = (int) Math.ceil(specificity * neg.length) - 1;
        double threshold = neg[Math.max(0, Math.min(neg.length - 1, k))];
        long hit = Arrays.stream(posScores).filter(s -> s > threshold).count();
        return (double) hit / posScores.length;
    }

    /** Mean over recordings of sum_c (p_c - [truth == c])^2. */
    public static double brier(int[] truth, double[][] probabilities) {
        double s = 0;
        for (int i = 0; i < truth.length; i++) {
            for (int c = 0; c < probabilities[i].length; c++) {
                double t = truth[i] == c ? 1 : 0;
                s += (probabilities[i][c] - t) * (probabilities[i][c] - t);
            }
        }
        return s / truth.length;
    }

    /**
     * Percentile bootstrap 95 % interval of the mean of {@code values} (e.g. paired differences).
     */
    public static double[] bootstrapMeanCi(double[] values, int resamples, long seed) {
        if (values.length == 0) {
            return new double[] {Double.NaN, Double.NaN};
        }
        Random rng = new Random(seed);
        double[] means = new double[resamples];
        for (int r = 0; r < resamples; r++) {
            double s = 0;
            for (int i = 0; i < values.length; i++) {
                s += values[rng.nextInt(values.length)];
            }
            means[r] = s / values.length;
        }
        Arrays.sort(means);
        return new double[] {
            means[(int) Math.floor(0.025 * (resamples - 1))],
            means[(int) Math.ceil(0.975 * (resamples - 1))]
        };
    }

    private static int[] indices(int n) {
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i;
        }
        return idx;
    }
}
