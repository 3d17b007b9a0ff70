package io.fmstream.tools;

import io.fmstream.schemas.AccuracyOutcome;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The demo's agreement line, from the accuracy job's outcomes (window scope): per task the count
 * and the agreement (classification) or mean absolute error (regression), and the latest outcomes
 * as sample lines. It scores nothing itself.
 */
final class AccuracySummary {

    private static final DateTimeFormatter CLOCK =
            DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);

    private final Map<String, double[]> perTask = new TreeMap<>();
    private final Deque<String> latest = new ArrayDeque<>();
    private final java.util.Set<String> regression = new java.util.HashSet<>();

    void add(AccuracyOutcome o) {
        if (!"WINDOW".equals(o.getScope())) {
            return;
        }
        double[] acc = perTask.computeIfAbsent(o.getTask(), k -> new double[2]);
        acc[0]++;
        String line;
        if (o.getAgree() != null) {
            acc[1] += o.getAgree() ? 1 : 0;
            line =
                    String.format(
                            Locale.ROOT,
                            "  %s window %s UTC: %s %s (truth %s)",
                            o.getDeviceId(),
                            window(o),
                            o.getTask(),
                            o.getPredictedLabel(),
                            o.getTruthLabel());
        } else {
            regression.add(o.getTask());
            acc[1] += o.getAbsoluteError();
            line =
                    String.format(
                            Locale.ROOT,
                            "  %s window %s UTC: %s %.0f (truth %.0f)",
                            o.getDeviceId(),
                            window(o),
                            o.getTask(),
                            o.getPredictedValue(),
                            o.getTruthValue());
        }
        latest.addLast(line);
        while (latest.size() > 50) {
            latest.removeFirst();
        }
    }

    /** Up to {@code n} of the latest outcomes, then forgets them. */
    List<String> samples(int n) {
        List<String> out = new ArrayList<>();
        while (out.size() < n && !latest.isEmpty()) {
            out.add(latest.removeLast());
        }
        latest.clear();
        return out;
    }

    /** Per task: [count, agreement sum or absolute-error sum]. */
    Map<String, double[]> perTask() {
        return perTask;
    }

    String summary() {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, double[]> e : perTask.entrySet()) {
            double n = e.getValue()[0];
            if (b.length() > 0) {
                b.append(" | ");
            }
            b.append(e.getKey()).append(' ');
            if (regression.contains(e.getKey())) {
                b.append(String.format(Locale.ROOT, "MAE %.1f", e.getValue()[1] / n));
            } else {
                b.append(String.format(Locale.ROOT, "agreement %.0f%%", 100 * e.getValue()[1] / n));
            }
            b.append(String.format(Locale.ROOT, " (n=%.0f)", n));
        }
        return b.length() == 0 ? "no scored predictions yet" : b.toString();
    }

    private static String window(AccuracyOutcome o) {
        return CLOCK.format(Instant.EPOCH.plusNanos(o.getWindowStartMicros() * 1000))
                + "-"
                + CLOCK.format(Instant.EPOCH.plusNanos(o.getWindowEndMicros() * 1000));
    }
}
