package io.fmstream.tools;

import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * Latencies seen over a sliding span of wall time (the last minute for the demo's status line), so
 * that a slow tail is not hidden by how often the line is printed: a per-interval p99 over a few
 * hundred values forgets a 30 s stall as soon as the next interval starts.
 */
final class LatencyWindow {

    private final long spanMillis;
    private final ArrayDeque<long[]> samples = new ArrayDeque<>();

    LatencyWindow(long spanMillis) {
        if (spanMillis <= 0) {
            throw new IllegalArgumentException("span must be > 0 ms, got " + spanMillis);
        }
        this.spanMillis = spanMillis;
    }

    /** Records a latency observed at wall time {@code nowMillis}. */
    void add(long nowMillis, long latencyMillis) {
        samples.addLast(new long[] {nowMillis, latencyMillis});
        evict(nowMillis);
    }

    int size(long nowMillis) {
        evict(nowMillis);
        return samples.size();
    }

    /** "p50/p99/max" of the latencies observed within the span before {@code nowMillis}. */
    String summary(long nowMillis) {
        evict(nowMillis);
        if (samples.isEmpty()) {
            return "-/-/-";
        }
        long[] sorted = samples.stream().mapToLong(s -> s[1]).toArray();
        Arrays.sort(sorted);
        return percentile(sorted, 0.50)
                + "/"
                + percentile(sorted, 0.99)
                + "/"
                + sorted[sorted.length - 1];
    }

    /** Nearest-rank percentile. */
    static long percentile(long[] sorted, double q) {
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private void evict(long nowMillis) {
        while (!samples.isEmpty() && samples.peekFirst()[0] <= nowMillis - spanMillis) {
            samples.removeFirst();
        }
    }
}
