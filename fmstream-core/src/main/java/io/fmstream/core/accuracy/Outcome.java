package io.fmstream.core.accuracy;

import java.util.Optional;

/**
 * One prediction scored against its truth: for a classification task whether the label agrees, for
 * a regression task the absolute error. Tasks the truth says nothing about are not scored.
 *
 * @param agree classification: the predicted label equals the truth's; null for regression
 * @param absoluteError regression: |predicted - truth|; NaN for classification
 */
public record Outcome(
        String task,
        String predictedLabel,
        String truthLabel,
        double predictedValue,
        double truthValue,
        Boolean agree,
        double absoluteError) {

    /** The tasks the ground truth can score, with the truth each is compared to. */
    public static Optional<Outcome> score(String task, String label, double value, WindowTruth t) {
        switch (task) {
            case "heart_rate":
                if (Double.isNaN(t.heartRateBpm()) || !Double.isFinite(value)) {
                    return Optional.empty();
                }
                return Optional.of(
                        new Outcome(
                                task,
                                null,
                                null,
                                value,
                                t.heartRateBpm(),
                                null,
                                Math.abs(value - t.heartRateBpm())));
            case "rhythm":
                return label(task, label, t.rhythm());
            case "signal_quality":
                return label(task, label, t.quality());
            default:
                return Optional.empty();
        }
    }

    private static Optional<Outcome> label(String task, String label, String truth) {
        if (label == null || truth == null) {
            return Optional.empty();
        }
        return Optional.of(
                new Outcome(
                        task,
                        label,
                        truth,
                        Double.NaN,
                        Double.NaN,
                        truth.equals(label),
                        Double.NaN));
    }
}
