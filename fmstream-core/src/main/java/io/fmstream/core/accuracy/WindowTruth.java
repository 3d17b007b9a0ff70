package io.fmstream.core.accuracy;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The truth of one window (or one recording), assembled from the truth spans inside it with the
 * rules of the training labels: mean heart rate of the spans that have one, majority rhythm by
 * time, and "noisy" (rhythm) / "poor" (signal quality) when the time-weighted noise RMS is at least
 * {@link #NOISY_RMS_MV}. A window counts only when spans cover at least {@link #MIN_COVERAGE} of
 * it: the samples a device never sent have no truth either.
 *
 * @param heartRateBpm the mean heart rate, NaN when no span has one
 * @param rhythm the rhythm task's label: normal, af, other or noisy
 * @param quality the signal-quality task's label: good or poor
 */
public record WindowTruth(double heartRateBpm, String rhythm, String quality) {

    public static final double NOISY_RMS_MV = 0.2;
    public static final double MIN_COVERAGE = 0.8;

    /**
     * The truth of {@code [startMicros, endMicros)} from {@code spans} (any order, any device span;
     * only the overlapping ones count), or empty when too little of it is covered.
     */
    public static Optional<WindowTruth> of(
            Iterable<TruthSpan> spans, long startMicros, long endMicros) {
        long covered = 0;
        double hrSum = 0;
        int hrSpans = 0;
        double noiseSum = 0;
        Map<String, Long> rhythmMicros = new HashMap<>();
        for (TruthSpan g : spans) {
            long overlap = Math.min(g.endMicros, endMicros) - Math.max(g.startMicros, startMicros);
            if (overlap <= 0) {
                continue;
            }
            covered += overlap;
            if (!Double.isNaN(g.heartRateBpm)) {
                hrSum += g.heartRateBpm;
                hrSpans++;
            }
            noiseSum += Double.isNaN(g.noiseRmsMv) ? 0 : g.noiseRmsMv * overlap;
            rhythmMicros.merge(g.rhythm, overlap, Long::sum);
        }
        if (covered < MIN_COVERAGE * (endMicros - startMicros)) {
            return Optional.empty();
        }
        String majority =
                rhythmMicros.entrySet().stream()
                        .max(
                                Map.Entry.<String, Long>comparingByValue()
                                        .thenComparing(Map.Entry.comparingByKey()))
                        .orElseThrow()
                        .getKey();
        boolean noisy = noiseSum / covered >= NOISY_RMS_MV;
        String rhythm =
                noisy
                        ? "noisy"
                        : switch (majority) {
                            case "AF" -> "af";
                            case "OTHER" -> "other";
                            default -> "normal";
                        };
        return Optional.of(
                new WindowTruth(
                        hrSpans == 0 ? Double.NaN : hrSum / hrSpans,
                        rhythm,
                        noisy ? "poor" : "good"));
    }
}
