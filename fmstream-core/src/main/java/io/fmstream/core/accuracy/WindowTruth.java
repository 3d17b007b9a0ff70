package io.fmstream.core.accuracy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The truth of one window (or one recording), assembled from the truth spans inside it with the
 * rules of the training labels: mean heart rate of the spans that have one, majority rhythm by
 * time, and "noisy" (rhythm) / "poor" (signal quality) when the time-weighted noise RMS is at least
 * {@link #NOISY_RMS_MV}. A window counts only when spans cover at least {@link #MIN_COVERAGE} of
 * it: the samples a device never sent have no truth either.
 *
 * <p>Spans may overlap. Replay writes one span per window of the job's grid (10 s every 5 s), so a
 * window's neighbours overlap it by half: where spans match the window's bounds exactly, they alone
 * are its truth, since blending the neighbours in would average about 20 s of signal into a 10-s
 * window's truth. Coverage is the union of the spans, not the sum of their lengths, so two spans
 * over the same seconds do not count those seconds twice.
 *
 * @param heartRateBpm the mean heart rate, NaN when no span has one
 * @param rhythm the rhythm task's label: normal, af, other or noisy; null when the spans say
 *     nothing about it (the majority by time is UNKNOWN, and no noise figure makes it noisy)
 * @param quality the signal-quality task's label: good or poor; null when no span has a noise
 *     figure (real recordings: their annotations say nothing about the signal's quality)
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
        List<TruthSpan> inside = new ArrayList<>();
        List<TruthSpan> exact = new ArrayList<>();
        for (TruthSpan g : spans) {
            if (Math.min(g.endMicros, endMicros) - Math.max(g.startMicros, startMicros) > 0) {
                inside.add(g);
                if (g.startMicros == startMicros && g.endMicros == endMicros) {
                    exact.add(g);
                }
            }
        }
        List<TruthSpan> used = exact.isEmpty() ? inside : exact;
        if (covered(used, startMicros, endMicros) < MIN_COVERAGE * (endMicros - startMicros)) {
            return Optional.empty();
        }
        double hrSum = 0;
        int hrSpans = 0;
        double noiseSum = 0;
        long noiseMicros = 0;
        Map<String, Long> rhythmMicros = new HashMap<>();
        for (TruthSpan g : used) {
            long overlap = Math.min(g.endMicros, endMicros) - Math.max(g.startMicros, startMicros);
            if (!Double.isNaN(g.heartRateBpm)) {
                hrSum += g.heartRateBpm;
                hrSpans++;
            }
            if (!Double.isNaN(g.noiseRmsMv)) {
                noiseSum += g.noiseRmsMv * overlap;
                noiseMicros += overlap;
            }
            rhythmMicros.merge(g.rhythm == null ? "UNKNOWN" : g.rhythm, overlap, Long::sum);
        }
        String majority =
                rhythmMicros.entrySet().stream()
                        .max(
                                Map.Entry.<String, Long>comparingByValue()
                                        .thenComparing(Map.Entry.comparingByKey()))
                        .orElseThrow()
                        .getKey();
        Boolean noisy = noiseMicros == 0 ? null : noiseSum / noiseMicros >= NOISY_RMS_MV;
        String rhythm =
                Boolean.TRUE.equals(noisy)
                        ? "noisy"
                        : switch (majority) {
                            case "NORMAL" -> "normal";
                            case "AF" -> "af";
                            case "OTHER" -> "other";
                            default -> null;
                        };
        return Optional.of(
                new WindowTruth(
                        hrSpans == 0 ? Double.NaN : hrSum / hrSpans,
                        rhythm,
                        noisy == null ? null : noisy ? "poor" : "good"));
    }

    /** Microseconds of {@code [start, end)} inside at least one of the spans. */
    private static long covered(List<TruthSpan> spans, long start, long end) {
        List<long[]> parts = new ArrayList<>(spans.size());
        for (TruthSpan g : spans) {
            parts.add(new long[] {Math.max(g.startMicros, start), Math.min(g.endMicros, end)});
        }
        parts.sort(Comparator.comparingLong(p -> p[0]));
        long covered = 0;
        long reached = start;
        for (long[] p : parts) {
            long from = Math.max(p[0], reached);
            if (p[1] > from) {
                covered += p[1] - from;
                reached = p[1];
            }
        }
        return covered;
    }
}
