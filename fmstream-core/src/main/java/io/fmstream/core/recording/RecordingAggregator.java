package io.fmstream.core.recording;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The one rule that turns a recording's window outputs into a recording-level prediction. The model
 * evaluation ({@code bin/fmstream evaluate}), head fitting ({@code bin/fmstream fit-head}) and the
 * job's recording-level predictions all call it, so a figure reported for the model is a figure for
 * what the job serves.
 *
 * <p>Classification: the mean of the windows' class probabilities, then the most probable class
 * (ties to the lower index, as {@code HeadRunner.argmax}). Averaging probabilities rather than
 * voting keeps the confidence of each window, and gives calibrated-looking scores for AUROC and
 * Brier. Regression: the mean of the windows' values. A window whose output is not finite (a window
 * the head could not score) is left out; a recording with no usable window has no prediction (an
 * empty result), never an arbitrary one.
 */
public final class RecordingAggregator {

    private RecordingAggregator() {}

    /** A recording-level classification: mean probabilities and the index of the largest. */
    public record Classification(double[] probabilities, int label, int windows) {
        public Classification {
            probabilities = probabilities.clone();
        }

        @Override
        public double[] probabilities() {
            return probabilities.clone();
        }

        /** Probability of class {@code c}. */
        public double probability(int c) {
            return probabilities[c];
        }
    }

    /**
     * Aggregates class probabilities of one recording's windows.
     *
     * @param windows one probability row per window, all of {@code classes} values
     * @throws IllegalArgumentException when a row has another length
     */
    public static Optional<Classification> classify(List<float[]> windows, int classes) {
        Objects.requireNonNull(windows, "windows");
        if (classes < 1) {
            throw new IllegalArgumentException("classes must be >= 1, got " + classes);
        }
        double[] sum = new double[classes];
        int used = 0;
        for (float[] row : windows) {
            if (row.length != classes) {
                throw new IllegalArgumentException(
                        "a window has " + row.length + " probabilities, expected " + classes);
            }
            if (!allFinite(row)) {
                continue;
            }
            for (int c = 0; c < classes; c++) {
                sum[c] += row[c];
            }
            used++;
        }
        return fromSums(sum, used);
    }

    /**
     * The same rule from running sums of the usable windows' probabilities (what a streaming
     * aggregator keeps instead of every window): their mean, then the most probable class.
     */
    public static Optional<Classification> fromSums(double[] sums, int used) {
        if (used == 0) {
            return Optional.empty();
        }
        double[] mean = new double[sums.length];
        for (int c = 0; c < sums.length; c++) {
            mean[c] = sums[c] / used;
        }
        return Optional.of(new Classification(mean, argmax(mean), used));
    }

    /** Whether a window's probabilities count: every value finite. */
    public static boolean usable(float[] probabilities) {
        return allFinite(probabilities);
    }

    /** Rows {@code from..to-1} of a row-major [n, classes] probability matrix as one recording. */
    public static Optional<Classification> classify(
            float[] rowMajor, int classes, int from, int to) {
        Objects.requireNonNull(rowMajor, "rowMajor");
        if (classes < 1 || from < 0 || to < from || (long) to * classes > rowMajor.length) {
            throw new IllegalArgumentException(
                    "rows "
                            + from
                            + ".."
                            + to
                            + " of "
                            + classes
                            + " classes do not fit an array of "
                            + rowMajor.length);
        }
        List<float[]> rows = new java.util.ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
            rows.add(Arrays.copyOfRange(rowMajor, i * classes, (i + 1) * classes));
        }
        return classify(rows, classes);
    }

    /** Aggregates one recording's regression values: their mean, without non-finite values. */
    public static Optional<Double> regress(double[] values) {
        Objects.requireNonNull(values, "values");
        double sum = 0;
        int used = 0;
        for (double v : values) {
            if (Double.isFinite(v)) {
                sum += v;
                used++;
            }
        }
        return used == 0 ? Optional.empty() : Optional.of(sum / used);
    }

    /** Index of the largest value, ties to the lower index; -1 for an empty array. */
    public static int argmax(double[] values) {
        int best = -1;
        for (int i = 0; i < values.length; i++) {
            if (best < 0 || values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }

    private static boolean allFinite(float[] row) {
        for (float v : row) {
            if (!Float.isFinite(v)) {
                return false;
            }
        }
        return true;
    }
}
