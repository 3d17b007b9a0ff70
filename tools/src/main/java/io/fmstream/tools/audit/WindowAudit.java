package io.fmstream.tools.audit;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToLongFunction;

/**
 * Classifies the job's windows from the simulator's ground truth alone, never from the job's own
 * view: a window is <em>clear</em> when the chunks the simulator actually sent (one ground-truth
 * span each, none lost) cover it and the interpolator's reach around it, and <em>touches a gap</em>
 * otherwise. Reports, per class, written latency (emit time minus the newest contributing chunk's
 * Kafka append time) and, for clear windows, how many of those the truth says exist were emitted.
 * Also counts idempotency keys seen more than once.
 */
public final class WindowAudit {

    /** Reach of the interpolator around a window (about 0.1 s at every supported rate). */
    static final long REACH_MICROS = 200_000L;

    private final long windowMicros;
    private final long hopMicros;
    private final long settleMicros;
    private final ToLongFunction<String> phaseMicros;
    private final Map<String, TreeMap<Long, Long>> sentSpans = new HashMap<>();
    private final Map<String, Long> newestTruth = new HashMap<>();
    private final Map<String, Long> latencyByKey = new HashMap<>();

    /**
     * Idempotency keys seen: device, window start and encoder (a new bundle re-embeds a window).
     */
    private final java.util.Set<String> keysSeen = new java.util.HashSet<>();

    private long duplicateKeys;

    /**
     * @param settleMicros windows ending later than this before a device's newest truth are not
     *     expected yet (still open in the job)
     */
    public WindowAudit(long windowMicros, long hopMicros, long settleMicros) {
        this(windowMicros, hopMicros, settleMicros, device -> 0L);
    }

    /**
     * @param phaseMicros each device's window phase (the job's {@code fmstream.window.phase}:
     *     {@link io.fmstream.core.window.WindowSpec#phaseMicros(String)}), 0 on the epoch grid
     */
    public WindowAudit(
            long windowMicros,
            long hopMicros,
            long settleMicros,
            ToLongFunction<String> phaseMicros) {
        this.windowMicros = windowMicros;
        this.hopMicros = hopMicros;
        this.settleMicros = settleMicros;
        this.phaseMicros = phaseMicros;
    }

    /** One ground-truth record: a chunk the simulator sent, its span and dropped fraction. */
    public void truth(String device, long startMicros, long endMicros, double droppedFraction) {
        if (droppedFraction > 0) {
            return; // a span with lost samples covers nothing
        }
        sentSpans
                .computeIfAbsent(device, d -> new TreeMap<>())
                .merge(startMicros, endMicros, Math::max);
        newestTruth.merge(device, endMicros, Math::max);
    }

    /** One emitted window (embedding) of one encoder. */
    public void window(String device, long startMicros, long writtenLatencyMillis) {
        window(device, startMicros, "", writtenLatencyMillis);
    }

    /**
     * One emitted window (embedding) by the encoder {@code encoderSha256}: a key seen twice is the
     * same window, device and encoder (the embeddings' idempotency key); the same window from a
     * second encoder (a bundle rolled out over replayed input) is not a duplicate.
     */
    public void window(
            String device, long startMicros, String encoderSha256, long writtenLatencyMillis) {
        if (!keysSeen.add(device + "@" + startMicros + "@" + encoderSha256)) {
            duplicateKeys++;
        }
        latencyByKey.putIfAbsent(device + "@" + startMicros, writtenLatencyMillis);
    }

    /** Whether the sent spans of {@code device} cover [from, to) without a hole. */
    boolean covered(String device, long from, long to) {
        TreeMap<Long, Long> spans = sentSpans.get(device);
        if (spans == null) {
            return false;
        }
        var first = spans.floorEntry(from);
        if (first == null) {
            return false;
        }
        long reached = first.getValue();
        // Spans are contiguous chunks: walk forward while they join (1 us of rounding allowed).
        for (var e : spans.tailMap(first.getKey(), false).entrySet()) {
            if (reached >= to) {
                break;
            }
            if (e.getKey() > reached + 1) {
                return false;
            }
            reached = Math.max(reached, e.getValue());
        }
        return reached >= to;
    }

    public Report report() {
        List<Long> clear = new ArrayList<>();
        List<Long> touching = new ArrayList<>();
        for (Map.Entry<String, Long> e : latencyByKey.entrySet()) {
            String key = e.getKey();
            int at = key.lastIndexOf('@');
            String device = key.substring(0, at);
            long start = Long.parseLong(key.substring(at + 1));
            if (covered(device, start - REACH_MICROS, start + windowMicros + REACH_MICROS)) {
                clear.add(e.getValue());
            } else {
                touching.add(e.getValue());
            }
        }
        long expectedClear = 0;
        long emittedClear = 0;
        for (Map.Entry<String, TreeMap<Long, Long>> d : sentSpans.entrySet()) {
            String device = d.getKey();
            long first = d.getValue().firstKey();
            long last = newestTruth.get(device) - settleMicros;
            long phase = phaseMicros.applyAsLong(device);
            for (long k = Math.floorDiv(first - phase, hopMicros);
                    k * hopMicros + phase + windowMicros <= last;
                    k++) {
                long start = k * hopMicros + phase;
                if (covered(device, start - REACH_MICROS, start + windowMicros + REACH_MICROS)) {
                    expectedClear++;
                    if (latencyByKey.containsKey(device + "@" + start)) {
                        emittedClear++;
                    }
                }
            }
        }
        return new Report(
                Stats.of(clear), Stats.of(touching), expectedClear, emittedClear, duplicateKeys);
    }

    /** Latency statistics of one class of windows, ms. */
    public record Stats(long windows, long p50, long p99, long max) {
        static Stats of(List<Long> values) {
            if (values.isEmpty()) {
                return new Stats(0, 0, 0, 0);
            }
            long[] v = values.stream().mapToLong(Long::longValue).sorted().toArray();
            return new Stats(v.length, rank(v, 0.50), rank(v, 0.99), v[v.length - 1]);
        }

        private static long rank(long[] sorted, double q) {
            int r = (int) Math.ceil(q * sorted.length);
            return sorted[Math.max(0, Math.min(sorted.length - 1, r - 1))];
        }
    }

    /**
     * @param expectedClear clear windows the truth says exist (settled ones)
     * @param emittedClear how many of those the job emitted
     */
    public record Report(
            Stats clear,
            Stats touching,
            long expectedClear,
            long emittedClear,
            long duplicateKeys) {
        public double clearEmittedFraction() {
            return expectedClear == 0 ? Double.NaN : (double) emittedClear / expectedClear;
        }
    }
}
