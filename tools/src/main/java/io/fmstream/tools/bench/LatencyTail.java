package io.fmstream.tools.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Where a run's slow predictions come from: each prediction was in flight from the append of its
 * window's newest chunk until it was written, and a slow one that was in flight while a checkpoint
 * was being taken (or across a garbage-collection pause) is attributed to it only if that happens
 * to slow predictions more often than to all of them. A checkpoint every 10 s that takes half a
 * second overlaps about 5 % of all predictions by chance; when it overlaps 90 % of the slow ones,
 * the checkpoint is the tail.
 *
 * <p>Plain Java, so the attribution is tested without a cluster; {@link CapacityRun} feeds it the
 * written predictions, the job's checkpoint history and the JVM's collector pauses.
 */
public final class LatencyTail {

    private LatencyTail() {}

    /** A span of wall time in milliseconds, {@code [fromMillis, toMillis]}. */
    public record Span(long fromMillis, long toMillis) {
        public Span {
            if (toMillis < fromMillis) {
                throw new IllegalArgumentException(
                        "span ends before it starts: " + fromMillis + " > " + toMillis);
            }
        }

        double seconds() {
            return (toMillis - fromMillis) / 1e3;
        }
    }

    /**
     * One completed checkpoint: its span from trigger to the last acknowledgement, and the worst
     * subtask's barrier delay (trigger to the barrier reaching the subtask), alignment, synchronous
     * and asynchronous parts, in seconds (-1 where Flink reported none).
     */
    public record Checkpoint(
            Span span,
            double maxStartDelaySeconds,
            double maxAlignmentSeconds,
            double maxSyncSeconds,
            double maxAsyncSeconds) {}

    /** The written predictions of a run: write time (millis) and latency (seconds) of each. */
    public static final class Samples {
        private long[] writtenMillis = new long[1024];
        private double[] latencySeconds = new double[1024];
        private int size;

        public void add(long writtenAtMillis, double latency) {
            if (size == writtenMillis.length) {
                writtenMillis = Arrays.copyOf(writtenMillis, size * 2);
                latencySeconds = Arrays.copyOf(latencySeconds, size * 2);
            }
            writtenMillis[size] = writtenAtMillis;
            latencySeconds[size] = latency;
            size++;
        }

        public int size() {
            return size;
        }

        /** The latencies, sorted. */
        public double[] sortedLatencies() {
            double[] v = Arrays.copyOf(latencySeconds, size);
            Arrays.sort(v);
            return v;
        }
    }

    /**
     * The attribution. Fractions are of the slow predictions (latency above {@code
     * thresholdSeconds}) and of all of them; NaN where there is nothing to divide by. {@code
     * slowHalfInSecondsFraction}: the fewest seconds of wall time holding half the slow
     * predictions, as a fraction of the seconds in which any prediction was written.
     */
    public record Result(
            double thresholdSeconds,
            int predictions,
            int slow,
            double slowAcrossCheckpoint,
            double allAcrossCheckpoint,
            double slowAcrossGcPause,
            double allAcrossGcPause,
            int checkpoints,
            double checkpointMedianSeconds,
            double checkpointMaxSeconds,
            double checkpointMaxStartDelaySeconds,
            double checkpointMaxAlignmentSeconds,
            double checkpointMaxSyncSeconds,
            double checkpointMaxAsyncSeconds,
            int gcPauses,
            double gcPauseTotalSeconds,
            double gcPauseMaxSeconds,
            double slowHalfInSecondsFraction) {}

    /**
     * Attributes {@code samples} over {@code thresholdSeconds} to the {@code checkpoints} and
     * {@code gcPauses} they were in flight across.
     */
    public static Result attribute(
            Samples samples,
            double thresholdSeconds,
            List<Checkpoint> checkpoints,
            List<Span> gcPauses) {
        Overlaps ckpt = new Overlaps(checkpoints.stream().map(Checkpoint::span).toList());
        Overlaps gc = new Overlaps(gcPauses);
        int slow = 0;
        int slowCkpt = 0;
        int allCkpt = 0;
        int slowGc = 0;
        int allGc = 0;
        java.util.Map<Long, Integer> slowBySecond = new java.util.HashMap<>();
        java.util.Set<Long> seconds = new java.util.HashSet<>();
        for (int i = 0; i < samples.size; i++) {
            long to = samples.writtenMillis[i];
            long from = to - Math.round(samples.latencySeconds[i] * 1e3);
            boolean isSlow = samples.latencySeconds[i] > thresholdSeconds;
            boolean c = ckpt.overlaps(from, to);
            boolean g = gc.overlaps(from, to);
            seconds.add(Math.floorDiv(to, 1000));
            if (isSlow) {
                slowBySecond.merge(Math.floorDiv(to, 1000), 1, Integer::sum);
                slow++;
                slowCkpt += c ? 1 : 0;
                slowGc += g ? 1 : 0;
            }
            allCkpt += c ? 1 : 0;
            allGc += g ? 1 : 0;
        }
        double[] durations =
                checkpoints.stream().mapToDouble(k -> k.span().seconds()).sorted().toArray();
        return new Result(
                thresholdSeconds,
                samples.size,
                slow,
                fraction(slowCkpt, slow),
                fraction(allCkpt, samples.size),
                fraction(slowGc, slow),
                fraction(allGc, samples.size),
                checkpoints.size(),
                CapacityRun.percentile(durations, 0.5),
                durations.length == 0 ? Double.NaN : durations[durations.length - 1],
                max(checkpoints, Checkpoint::maxStartDelaySeconds),
                max(checkpoints, Checkpoint::maxAlignmentSeconds),
                max(checkpoints, Checkpoint::maxSyncSeconds),
                max(checkpoints, Checkpoint::maxAsyncSeconds),
                gcPauses.size(),
                gcPauses.stream().mapToDouble(Span::seconds).sum(),
                gcPauses.stream().mapToDouble(Span::seconds).max().orElse(Double.NaN),
                slow == 0
                        ? Double.NaN
                        : (double) secondsHoldingHalf(slowBySecond.values(), slow)
                                / seconds.size());
    }

    /**
     * The fewest seconds that hold half the slow predictions: about half the seconds when the tail
     * is spread evenly (a queue that is always long), a few when it comes in bursts (stalls).
     */
    private static int secondsHoldingHalf(java.util.Collection<Integer> perSecond, int slow) {
        int[] counts = perSecond.stream().mapToInt(Integer::intValue).sorted().toArray();
        int held = 0;
        int n = 0;
        for (int i = counts.length - 1; i >= 0 && 2 * held < slow; i--) {
            held += counts[i];
            n++;
        }
        return n;
    }

    private static double fraction(int part, int whole) {
        return whole == 0 ? Double.NaN : (double) part / whole;
    }

    private static double max(
            List<Checkpoint> checkpoints, java.util.function.ToDoubleFunction<Checkpoint> field) {
        return checkpoints.stream().mapToDouble(field).max().orElse(Double.NaN);
    }

    /** Whether a span overlaps any of a set of spans, by binary search over their starts. */
    private static final class Overlaps {
        private final long[] from;

        /** Greatest end among the spans up to each index (spans may nest or overlap). */
        private final long[] reach;

        Overlaps(List<Span> spans) {
            List<Span> sorted = new ArrayList<>(spans);
            sorted.sort(Comparator.comparingLong(Span::fromMillis));
            from = new long[sorted.size()];
            reach = new long[sorted.size()];
            long r = Long.MIN_VALUE;
            for (int i = 0; i < from.length; i++) {
                from[i] = sorted.get(i).fromMillis();
                r = Math.max(r, sorted.get(i).toMillis());
                reach[i] = r;
            }
        }

        /** {@code [a, b]} overlaps a span: the last span starting at or before b reaches a. */
        boolean overlaps(long a, long b) {
            int i = Arrays.binarySearch(from, b);
            int last = i >= 0 ? lastIndexOf(i) : -i - 2;
            return last >= 0 && reach[last] >= a;
        }

        private int lastIndexOf(int i) {
            while (i + 1 < from.length && from[i + 1] == from[i]) {
                i++;
            }
            return i;
        }
    }
}
