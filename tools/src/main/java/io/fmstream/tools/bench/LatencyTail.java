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
 * the checkpoint is the tail. What the machine did in the seconds that hold most of the slow ones
 * ({@link Bursts}, from {@link SecondSampler}) is set beside what it did all run, the same way.
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
            double slowHalfInSecondsFraction,
            Bursts bursts) {}

    /**
     * One second of the run as the machine saw it ({@link SecondSampler}), in cores: busy in this
     * JVM (the job, the generator and the readers), of that in its JIT compiler threads, in the
     * broker, in the whole machine, and stolen by the hypervisor; and thread-seconds per second
     * that this JVM's threads were runnable but waited for a core.
     */
    public record Second(
            long fromMillis,
            long toMillis,
            double jvmCores,
            double jitCores,
            double brokerCores,
            double busyCores,
            double stealCores,
            double runQueueWaitCores) {

        /** Cores busy in other processes: the machine's less this JVM's and the broker's. */
        public double otherCores() {
            return Math.max(0, busyCores - jvmCores - brokerCores);
        }
    }

    /**
     * Means over a set of seconds: the sampled resources (NaN where none was sampled), the
     * collector's pause time per second, and the share of the seconds a checkpoint was in flight
     * in.
     */
    public record Use(
            int seconds,
            double jvmCores,
            double jitCores,
            double brokerCores,
            double otherCores,
            double stealCores,
            double runQueueWaitCores,
            double gcPauseMillisPerSecond,
            double checkpointShare) {}

    /**
     * What the machine did while the slow predictions were in flight, beside what it did all run:
     * {@code burst} covers the fewest seconds holding half the slow predictions (by the second they
     * were written in) and the second before each (a slow prediction written in a second was in
     * flight in it and, up to a second of latency, in the one before); {@code all} every second
     * from the first prediction written to the last. A cause of the bursts shows as a figure much
     * larger in {@code burst} than in {@code all}. {@code epochSeconds}: the seconds holding half
     * the slow predictions, most slow first, to look up in other records of the run (a JFR
     * recording, the broker's log); {@code fromEpochSecond} and {@code toEpochSecond}: the seconds
     * of {@code all} (0 and -1 where nothing was written).
     */
    public record Bursts(
            Use burst,
            Use all,
            List<Long> epochSeconds,
            long fromEpochSecond,
            long toEpochSecond) {}

    /**
     * Attributes {@code samples} over {@code thresholdSeconds} to the {@code checkpoints} and
     * {@code gcPauses} they were in flight across.
     */
    public static Result attribute(
            Samples samples,
            double thresholdSeconds,
            List<Checkpoint> checkpoints,
            List<Span> gcPauses) {
        return attribute(samples, thresholdSeconds, checkpoints, gcPauses, List.of());
    }

    /**
     * As above, with the run's {@code seconds} (from {@link SecondSampler}; none where the machine
     * was not sampled) for {@link Result#bursts}.
     */
    public static Result attribute(
            Samples samples,
            double thresholdSeconds,
            List<Checkpoint> checkpoints,
            List<Span> gcPauses,
            List<Second> seconds) {
        Overlaps ckpt = new Overlaps(checkpoints.stream().map(Checkpoint::span).toList());
        Overlaps gc = new Overlaps(gcPauses);
        int slow = 0;
        int slowCkpt = 0;
        int allCkpt = 0;
        int slowGc = 0;
        int allGc = 0;
        java.util.Map<Long, Integer> slowBySecond = new java.util.HashMap<>();
        java.util.SortedSet<Long> writtenSeconds = new java.util.TreeSet<>();
        for (int i = 0; i < samples.size; i++) {
            long to = samples.writtenMillis[i];
            long from = to - Math.round(samples.latencySeconds[i] * 1e3);
            boolean isSlow = samples.latencySeconds[i] > thresholdSeconds;
            boolean c = ckpt.overlaps(from, to);
            boolean g = gc.overlaps(from, to);
            writtenSeconds.add(Math.floorDiv(to, 1000));
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
                        : (double) secondsHoldingHalf(slowBySecond, slow).size()
                                / writtenSeconds.size(),
                bursts(slowBySecond, slow, writtenSeconds, seconds, ckpt, gcPauses));
    }

    private static Bursts bursts(
            java.util.Map<Long, Integer> slowBySecond,
            int slow,
            java.util.SortedSet<Long> writtenSeconds,
            List<Second> sampled,
            Overlaps checkpoints,
            List<Span> gcPauses) {
        java.util.Set<Long> burst = new java.util.TreeSet<>();
        List<Long> holdingHalf = secondsHoldingHalf(slowBySecond, slow);
        for (long s : holdingHalf) {
            burst.add(s);
            burst.add(s - 1);
        }
        java.util.Set<Long> all = new java.util.TreeSet<>();
        if (!writtenSeconds.isEmpty()) {
            for (long s = writtenSeconds.first(); s <= writtenSeconds.last(); s++) {
                all.add(s);
            }
        }
        // The sampler wakes a few milliseconds after each whole second: its span from then on is
        // that second's.
        java.util.Map<Long, Second> bySecond = new java.util.HashMap<>();
        for (Second s : sampled) {
            bySecond.put(Math.floorDiv(s.fromMillis(), 1000), s);
        }
        // Each pause's milliseconds by the whole second they fell in, once, rather than every
        // pause examined for every second asked about.
        java.util.Map<Long, Long> gcMillisBySecond = new java.util.HashMap<>();
        for (Span p : gcPauses) {
            for (long from = p.fromMillis(); from < p.toMillis(); ) {
                long second = Math.floorDiv(from, 1000);
                long to = Math.min(p.toMillis(), (second + 1) * 1000);
                gcMillisBySecond.merge(second, to - from, Long::sum);
                from = to;
            }
        }
        return new Bursts(
                use(burst, bySecond, checkpoints, gcMillisBySecond),
                use(all, bySecond, checkpoints, gcMillisBySecond),
                holdingHalf,
                writtenSeconds.isEmpty() ? 0 : writtenSeconds.first(),
                writtenSeconds.isEmpty() ? -1 : writtenSeconds.last());
    }

    private static Use use(
            java.util.Set<Long> keys,
            java.util.Map<Long, Second> bySecond,
            Overlaps checkpoints,
            java.util.Map<Long, Long> gcMillisBySecond) {
        List<Second> found = new ArrayList<>();
        long gcMillis = 0;
        int withCheckpoint = 0;
        for (long k : keys) {
            Second s = bySecond.get(k);
            if (s != null) {
                found.add(s);
            }
            gcMillis += gcMillisBySecond.getOrDefault(k, 0L);
            long from = k * 1000;
            withCheckpoint += checkpoints.overlaps(from, from + 999) ? 1 : 0;
        }
        return new Use(
                keys.size(),
                mean(found, Second::jvmCores),
                mean(found, Second::jitCores),
                mean(found, Second::brokerCores),
                mean(found, Second::otherCores),
                mean(found, Second::stealCores),
                mean(found, Second::runQueueWaitCores),
                keys.isEmpty() ? Double.NaN : (double) gcMillis / keys.size(),
                fraction(withCheckpoint, keys.size()));
    }

    private static double mean(
            List<Second> seconds, java.util.function.ToDoubleFunction<Second> field) {
        return seconds.stream().mapToDouble(field).average().orElse(Double.NaN);
    }

    /**
     * The fewest seconds that hold half the slow predictions: about half the seconds when the tail
     * is spread evenly (a queue that is always long), a few when it comes in bursts (stalls).
     */
    private static List<Long> secondsHoldingHalf(java.util.Map<Long, Integer> perSecond, int slow) {
        List<java.util.Map.Entry<Long, Integer>> bySlow = new ArrayList<>(perSecond.entrySet());
        // Most slow first; among equals the earlier second, so the choice does not depend on the
        // map's order.
        bySlow.sort(
                java.util.Map.Entry.<Long, Integer>comparingByValue()
                        .reversed()
                        .thenComparing(java.util.Map.Entry.comparingByKey()));
        List<Long> chosen = new ArrayList<>();
        int held = 0;
        for (int i = 0; i < bySlow.size() && 2 * held < slow; i++) {
            held += bySlow.get(i).getValue();
            chosen.add(bySlow.get(i).getKey());
        }
        return chosen;
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
