package io.fmstream.tools;

import io.fmstream.schemas.GroundTruth;
import io.fmstream.schemas.Prediction;
import io.fmstream.schemas.Rhythm;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Scores predictions against the simulator's ground truth as both arrive: the truth of a window is
 * assembled from the per-chunk spans inside it (mean heart rate, majority rhythm, mean noise), with
 * the same "noisy" rule as the training labels (noise RMS of at least 0.2 mV).
 */
final class Agreement {

    static final double NOISY_RMS_MV = 0.2;

    private final Map<String, TreeMap<Long, GroundTruth>> truthByDevice = new HashMap<>();
    private final List<Prediction> waiting = new ArrayList<>();
    private final Map<String, double[]> perTask = new TreeMap<>();

    void truth(GroundTruth g) {
        truthByDevice
                .computeIfAbsent(g.getDeviceId(), d -> new TreeMap<>())
                .put(g.getSpanStartMicros(), g);
    }

    /** Queues a prediction; it is scored by {@link #drain} once its window's truth has arrived. */
    void prediction(Prediction p) {
        waiting.add(p);
    }

    /**
     * Scores every waiting prediction whose window is fully covered by truth; returns sample lines.
     */
    List<String> drain(int maxSamples) {
        List<String> samples = new ArrayList<>();
        List<Prediction> still = new ArrayList<>();
        for (Prediction p : waiting) {
            WindowTruth t = windowTruth(p);
            if (t == null) {
                still.add(p);
                continue;
            }
            String line = score(p, t);
            if (line != null && samples.size() < maxSamples) {
                samples.add(line);
            }
        }
        waiting.clear();
        waiting.addAll(still);
        return samples;
    }

    /** Per task: [count, agreement sum] (classification: correct; regression: absolute error). */
    Map<String, double[]> perTask() {
        return perTask;
    }

    String summary() {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, double[]> e : perTask.entrySet()) {
            double n = e.getValue()[0];
            if (n == 0) {
                continue;
            }
            if (b.length() > 0) {
                b.append(" | ");
            }
            b.append(e.getKey()).append(' ');
            if (e.getKey().equals("heart_rate")) {
                b.append(String.format(Locale.ROOT, "MAE %.1f bpm", e.getValue()[1] / n));
            } else {
                b.append(String.format(Locale.ROOT, "agreement %.0f%%", 100 * e.getValue()[1] / n));
            }
            b.append(String.format(Locale.ROOT, " (n=%.0f)", n));
        }
        return b.length() == 0 ? "no scored predictions yet" : b.toString();
    }

    private record WindowTruth(double hr, String rhythm, String quality) {}

    private WindowTruth windowTruth(Prediction p) {
        TreeMap<Long, GroundTruth> spans = truthByDevice.get(p.getDeviceId());
        if (spans == null) {
            return null;
        }
        long covered = 0;
        double hrSum = 0;
        double noiseSum = 0;
        int n = 0;
        Map<Rhythm, Long> rhythmMicros = new HashMap<>();
        Map.Entry<Long, GroundTruth> first = spans.floorEntry(p.getWindowStartMicros());
        for (GroundTruth g :
                spans.tailMap(first == null ? p.getWindowStartMicros() : first.getKey()).values()) {
            if (g.getSpanStartMicros() >= p.getWindowEndMicros()) {
                break;
            }
            long overlap =
                    Math.min(g.getSpanEndMicros(), p.getWindowEndMicros())
                            - Math.max(g.getSpanStartMicros(), p.getWindowStartMicros());
            if (overlap <= 0) {
                continue;
            }
            covered += overlap;
            if (g.getHeartRateBpm() != null) {
                hrSum += g.getHeartRateBpm();
                n++;
            }
            noiseSum += g.getNoiseRmsMv() == null ? 0 : g.getNoiseRmsMv() * overlap;
            rhythmMicros.merge(g.getRhythm(), overlap, Long::sum);
        }
        long length = p.getWindowEndMicros() - p.getWindowStartMicros();
        // Dropped chunks have no truth either; accept windows that are mostly covered.
        if (covered < 0.8 * length || n == 0) {
            return null;
        }
        double noise = noiseSum / covered;
        Rhythm majority =
                rhythmMicros.entrySet().stream()
                        .max(Map.Entry.comparingByValue())
                        .orElseThrow()
                        .getKey();
        String rhythm =
                noise >= NOISY_RMS_MV
                        ? "noisy"
                        : switch (majority) {
                            case AF -> "af";
                            case OTHER -> "other";
                            default -> "normal";
                        };
        return new WindowTruth(hrSum / n, rhythm, noise >= NOISY_RMS_MV ? "poor" : "good");
    }

    private static final java.time.format.DateTimeFormatter CLOCK =
            java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss")
                    .withZone(java.time.ZoneOffset.UTC);

    /** The window as wall-clock times, e.g. {@code 13:24:35-13:24:45}. */
    static String windowTime(Prediction p) {
        return CLOCK.format(java.time.Instant.EPOCH.plusNanos(p.getWindowStartMicros() * 1000))
                + "-"
                + CLOCK.format(java.time.Instant.EPOCH.plusNanos(p.getWindowEndMicros() * 1000));
    }

    private String score(Prediction p, WindowTruth t) {
        double[] acc = perTask.computeIfAbsent(p.getTask(), k -> new double[2]);
        acc[0]++;
        switch (p.getTask()) {
            case "heart_rate" -> {
                acc[1] += Math.abs(p.getValue() - t.hr);
                return String.format(
                        Locale.ROOT,
                        "  %s window %s UTC: heart_rate %.0f bpm (truth %.0f)",
                        p.getDeviceId(),
                        windowTime(p),
                        p.getValue(),
                        t.hr);
            }
            case "rhythm" -> {
                acc[1] += t.rhythm.equals(p.getLabel()) ? 1 : 0;
                return String.format(
                        Locale.ROOT,
                        "  %s window %s UTC: rhythm %s (truth %s)",
                        p.getDeviceId(),
                        windowTime(p),
                        p.getLabel(),
                        t.rhythm);
            }
            case "signal_quality" -> {
                acc[1] += t.quality.equals(p.getLabel()) ? 1 : 0;
                return String.format(
                        Locale.ROOT,
                        "  %s window %s UTC: signal_quality %s (truth %s)",
                        p.getDeviceId(),
                        windowTime(p),
                        p.getLabel(),
                        t.quality);
            }
            default -> {
                acc[0]--;
                return null;
            }
        }
    }
}
