package io.fmstream.tools.bench;

import io.fmstream.core.model.BundleManifest;
import io.fmstream.core.records.EmbeddingRecord;
import io.fmstream.core.records.PredictionRecord;
import io.fmstream.core.records.SourceRef;
import io.fmstream.core.records.WindowRecord;
import io.fmstream.job.FmstreamJob;
import io.fmstream.job.JobSettings;
import io.fmstream.job.types.RecordTypeInfo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * One measured run of the benchmark: the same input through either the production topology (one
 * shared encoder) or one model per task, with every output stamped when it is made.
 */
public final class FanOutRun {

    private FanOutRun() {}

    /** What one measured job run produced. */
    public record Result(
            int windows,
            List<PredictionRecord> predictions,
            double wallSeconds,
            double seconds,
            double cpuSeconds,
            EncoderTimeReporter.Totals encoder,
            double steadySeconds,
            int steadyWindows,
            double compileSeconds,
            double gcSeconds,
            double compileSecondsMeasured,
            double gcSecondsMeasured) {

        public Result(
                int windows,
                List<PredictionRecord> predictions,
                double wallSeconds,
                double seconds) {
            this(
                    windows,
                    predictions,
                    wallSeconds,
                    seconds,
                    Double.NaN,
                    new EncoderTimeReporter.Totals(Double.NaN, Double.NaN, 0, 0, 0, 0, 0, 0),
                    seconds,
                    windows,
                    Double.NaN,
                    Double.NaN,
                    Double.NaN,
                    Double.NaN);
        }

        /**
         * Windows per second in the run's steady part: between the outputs of the windows at the
         * {@link #STEADY_FROM} and {@link #STEADY_TO} quantiles of one task's predictions, in the
         * order they were made (see {@link #steadySpan}).
         */
        public double steadyRate() {
            return steadyWindows / steadySeconds;
        }

        /** This JVM's CPU per window over the whole job run, milliseconds. */
        public double cpuMillisPerWindow() {
            return 1000 * cpuSeconds / windows;
        }
    }

    /** One bounded job run over the input; waits for and returns every prediction. */
    public static Result run(
            StreamExecutionEnvironment env,
            List<SourceRef> input,
            JobSettings settings,
            BundleManifest manifest,
            boolean sharedEncoder)
            throws Exception {
        return run(env, input, settings, manifest, sharedEncoder, false);
    }

    /**
     * As above; with {@code sampleThreads}, each thread's CPU is sampled during the run ({@link
     * #LAST_THREADS}), for the non-encoder comparison only: the sampler takes CPU of its own on the
     * cores the job runs on, so the throughput runs go without it.
     */
    public static Result run(
            StreamExecutionEnvironment env,
            List<SourceRef> input,
            JobSettings settings,
            BundleManifest manifest,
            boolean sharedEncoder,
            boolean sampleThreads)
            throws Exception {
        DataStream<SourceRef> source = RecordedSensorSource.inThisJvm(env, input);
        DataStream<PredictionRecord> predictions;
        DataStream<WindowRecord> windows;
        if (sharedEncoder) {
            FmstreamJob.Outputs out = FmstreamJob.build(source, settings, manifest);
            predictions = out.predictions;
            windows = out.windows;
        } else {
            FmstreamJob.Assembled assembled = FmstreamJob.assemble(source, settings, manifest);
            windows = assembled.windows;
            predictions = null;
            for (BundleManifest.HeadSpec head : manifest.heads()) {
                DataStream<EmbeddingRecord> own =
                        FmstreamJob.embed(
                                assembled.windows,
                                settings,
                                manifest,
                                "Embed for " + head.task(),
                                "embed-" + head.task());
                DataStream<PredictionRecord> branch =
                        FmstreamJob.head(own, settings, manifest, head);
                predictions = predictions == null ? branch : predictions.union(branch);
            }
        }
        return execute(
                env,
                predictions,
                windows,
                sharedEncoder ? "fmstream" : "one model per task",
                sampleThreads);
    }

    /**
     * One bounded run of the naive job ({@link NaiveJob}) over the input; its outputs are counted
     * (its resampling differs from fmstream's, so its values are not compared).
     */
    public static Result runNaive(
            StreamExecutionEnvironment env,
            List<SourceRef> input,
            Path bundleDir,
            int threads,
            NaiveJob.Resampling resampling)
            throws Exception {
        NaiveJob.Streams naive = NaiveJob.build(env, input, bundleDir, threads, resampling);
        DataStream<PredictionRecord> predictions =
                naive.outputs()
                        .map(
                                o -> {
                                    PredictionRecord p = new PredictionRecord();
                                    p.deviceId = o.deviceId;
                                    p.windowStartMicros = o.windowStartMicros;
                                    p.task = o.task;
                                    p.scores = o.scores;
                                    return p;
                                },
                                RecordTypeInfo.PREDICTION);
        return execute(
                env,
                predictions,
                naive.windows(),
                "naive (" + resampling.name().toLowerCase(Locale.ROOT) + ")",
                true);
    }

    /**
     * Runs the job with its predictions and its windows each going to an in-memory sink, which
     * stamps every output as it arrives; the rate is measured from the job's first output to its
     * last (start-up and model loading excluded). The windows' sink is chained to the assembler and
     * the predictions' takes the heads' union as the production job's Kafka sink does, so the
     * harness adds no network edge the job does not have and no serializer of its own.
     */
    private static Result execute(
            StreamExecutionEnvironment env,
            DataStream<PredictionRecord> predictions,
            DataStream<?> windows,
            String name,
            boolean sampleThreads)
            throws Exception {
        String runId = UUID.randomUUID().toString();
        ConcurrentLinkedQueue<Tagged> results = new ConcurrentLinkedQueue<>();
        MemorySink.RESULTS.put(runId, results);
        predictions.sinkTo(new MemorySink<>(runId)).name("Predictions (in memory)");
        windows.sinkTo(new MemorySink<>(runId)).name("Windows counted (in memory)");
        EncoderTimeReporter.reset();
        long cpu0 = processCpuNanos();
        JvmTimeline timeline = JvmTimeline.start();
        long start = System.nanoTime();
        ThreadCpu threads = sampleThreads ? ThreadCpu.start() : null;
        try {
            env.execute(name);
        } finally {
            MemorySink.RESULTS.remove(runId);
            if (threads != null) {
                threads.stop();
            }
            timeline.stop();
        }
        long end = System.nanoTime();
        double cpu =
                (processCpuNanos() - cpu0) / 1e9 - (threads == null ? 0 : threads.ownCpuSeconds());
        LAST_THREADS.set(threads == null ? Map.of() : threads.byName());
        List<PredictionRecord> collected = new ArrayList<>();
        int windowCount = 0;
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        String task = null;
        long[] made = new long[results.size()];
        int madeCount = 0;
        for (Tagged t : results) {
            first = Math.min(first, t.atNanos);
            last = Math.max(last, t.atNanos);
            if (t.prediction == null) {
                windowCount++;
            } else {
                collected.add(t.prediction);
                if (!t.prediction.recording) {
                    if (task == null) {
                        task = t.prediction.task;
                    }
                    if (task.equals(t.prediction.task)) {
                        made[madeCount++] = t.atNanos;
                    }
                }
            }
        }
        SteadySpan steady = steadySpan(Arrays.copyOf(made, madeCount));
        return new Result(
                windowCount,
                collected,
                (end - start) / 1e9,
                (last - first) / 1e9,
                cpu,
                EncoderTimeReporter.totals(),
                steady.seconds(),
                steady.windows(),
                timeline.compileSecondsBetween(start, end),
                timeline.gcSecondsBetween(start, end),
                timeline.compileSecondsBetween(first, last),
                timeline.gcSecondsBetween(first, last));
    }

    /** Samples something every period on a daemon thread, from {@link #begin} to {@link #stop}. */
    abstract static class Sampler {
        private final long periodMillis;
        private final Thread thread;
        private volatile boolean running = true;
        private volatile long ownCpuNanos;

        Sampler(String threadName, long periodMillis) {
            this.periodMillis = periodMillis;
            this.thread = new Thread(this::loop, threadName);
            thread.setDaemon(true);
        }

        abstract void sample();

        final void begin() {
            sample();
            thread.start();
        }

        final long samplerThreadId() {
            return thread.getId();
        }

        /**
         * The sampling thread's own CPU so far, seconds: what the measurement took from the
         * process, for a caller to take off the process's CPU.
         */
        final double ownCpuSeconds() {
            return ownCpuNanos / 1e9;
        }

        private void loop() {
            java.lang.management.ThreadMXBean mx =
                    java.lang.management.ManagementFactory.getThreadMXBean();
            while (running) {
                try {
                    Thread.sleep(periodMillis);
                } catch (InterruptedException e) {
                    return;
                }
                sample();
                ownCpuNanos = mx.getCurrentThreadCpuTime();
            }
        }

        /** Stops the sampling thread and takes the last sample. */
        final void stop() throws InterruptedException {
            running = false;
            thread.interrupt();
            thread.join();
            sample();
        }
    }

    /**
     * The JIT compilers' and collectors' accumulated times through a run, sampled every 50 ms, so
     * that their share of the measured span (first output to last) can be told from their share of
     * the job's start.
     */
    static final class JvmTimeline extends Sampler {
        private final List<long[]> samples =
                java.util.Collections.synchronizedList(new ArrayList<>());

        private JvmTimeline() {
            super("bench-jvm-timeline", 50);
        }

        static JvmTimeline start() {
            JvmTimeline t = new JvmTimeline();
            t.begin();
            return t;
        }

        @Override
        void sample() {
            samples.add(new long[] {System.nanoTime(), compileMillis(), gcMillis()});
        }

        double compileSecondsBetween(long fromNanos, long toNanos) {
            return (at(toNanos, 1) - at(fromNanos, 1)) / 1e3;
        }

        double gcSecondsBetween(long fromNanos, long toNanos) {
            return (at(toNanos, 2) - at(fromNanos, 2)) / 1e3;
        }

        /** Column {@code column} interpolated at {@code nanos} between the samples around it. */
        private double at(long nanos, int column) {
            synchronized (samples) {
                long[] before = samples.get(0);
                for (long[] s : samples) {
                    if (s[0] >= nanos) {
                        if (s[0] == before[0]) {
                            return s[column];
                        }
                        double f = (double) (nanos - before[0]) / (s[0] - before[0]);
                        return before[column] + f * (s[column] - before[column]);
                    }
                    before = s;
                }
                return before[column];
            }
        }
    }

    /**
     * This JVM's JIT compilers' accumulated time, ms (-1 where unsupported): a job run that
     * compiles for a core-second takes it from the encoder's two cores.
     */
    private static long compileMillis() {
        java.lang.management.CompilationMXBean c =
                java.lang.management.ManagementFactory.getCompilationMXBean();
        return c != null && c.isCompilationTimeMonitoringSupported()
                ? c.getTotalCompilationTime()
                : -1;
    }

    /**
     * This JVM's collectors' accumulated time, ms (pauses and concurrent cycles as each counts).
     */
    private static long gcMillis() {
        long total = 0;
        for (java.lang.management.GarbageCollectorMXBean g :
                java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
            total += Math.max(0, g.getCollectionTime());
        }
        return total;
    }

    /** The steady part's first quantile of a run's window outputs (see {@link #steadySpan}). */
    static final double STEADY_FROM = 0.1;

    /** The steady part's last quantile. */
    static final double STEADY_TO = 0.9;

    /**
     * Seconds and windows between the {@link #STEADY_FROM} and {@link #STEADY_TO} quantiles of the
     * times at which one task's window predictions were made ({@code made}, nanoseconds; any
     * order). The encoder's roof is measured warmed up; a whole job run also holds its start (the
     * first batch fills, the sessions' first calls, the JIT finishing this job's code) and its end
     * (the last devices' windows trickle out after the input ends), which a job that runs for days
     * amortises away. Both figures are reported; this one compares like with like.
     */
    static SteadySpan steadySpan(long[] made) {
        if (made.length < 10) {
            return new SteadySpan(Double.NaN, 0);
        }
        Arrays.sort(made);
        int from = (int) Math.floor(STEADY_FROM * (made.length - 1));
        int to = (int) Math.ceil(STEADY_TO * (made.length - 1));
        return new SteadySpan((made[to] - made[from]) / 1e9, to - from);
    }

    /** A run's steady part: its windows and the seconds they took (NaN: too few outputs). */
    record SteadySpan(double seconds, int windows) {}

    /** CPU seconds by thread name (subtask indexes stripped) of the last run, for profiling. */
    public static final ThreadLocal<Map<String, Double>> LAST_THREADS =
            ThreadLocal.withInitial(Map::of);

    /**
     * CPU time of every thread of this JVM during a run, sampled every 10 ms (a task thread's time
     * is gone once it ends, so the last sample before is kept).
     */
    static final class ThreadCpu extends Sampler {
        /**
         * A task thread's last interval before it ends is lost: at 50 ms that was up to 0.01 ms per
         * window per thread in the benchmark's shortest runs. The price is the sampler's own CPU,
         * about 3 µs per thread read: 0.5 ms per sample and 5 % of a core with 150 threads
         * (measured on the 2-core development machine), taken from the job it profiles, so a
         * profiled run is slower than an unprofiled one and is compared only with profiled runs.
         */
        private static final long SAMPLE_MILLIS = 10;

        private final Map<Long, String> names = new ConcurrentHashMap<>();
        private final Map<Long, Long> first = new ConcurrentHashMap<>();
        private final Map<Long, Long> last = new ConcurrentHashMap<>();
        private final com.sun.management.ThreadMXBean mx =
                (com.sun.management.ThreadMXBean)
                        java.lang.management.ManagementFactory.getThreadMXBean();

        private ThreadCpu() {
            super("bench-thread-cpu", SAMPLE_MILLIS);
        }

        static ThreadCpu start() {
            ThreadCpu t = new ThreadCpu();
            t.begin();
            return t;
        }

        @Override
        void sample() {
            long[] ids = mx.getAllThreadIds();
            // One call for every thread's CPU time; a name is looked up once per thread.
            long[] cpu = mx.getThreadCpuTime(ids);
            for (int i = 0; i < ids.length; i++) {
                if (cpu[i] < 0 || ids[i] == samplerThreadId()) {
                    continue; // the sampler's own CPU is the measurement's, not the job's
                }
                if (!names.containsKey(ids[i])) {
                    java.lang.management.ThreadInfo info = mx.getThreadInfo(ids[i]);
                    if (info == null) {
                        continue; // ended since
                    }
                    names.put(ids[i], info.getThreadName());
                }
                first.putIfAbsent(ids[i], cpu[i]);
                last.put(ids[i], cpu[i]);
            }
        }

        Map<String, Double> byName() {
            Map<String, Double> out = new java.util.TreeMap<>();
            for (Map.Entry<Long, Long> e : last.entrySet()) {
                String name =
                        names.get(e.getKey())
                                .replaceAll("\\(\\d+/\\d+\\)#\\d+", "")
                                .replaceAll("[-#]?\\d+$", "#")
                                .trim();
                out.merge(name, (e.getValue() - first.get(e.getKey())) / 1e9, Double::sum);
            }
            return out;
        }
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean)
                        java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /**
     * A prediction, or (prediction null) the mark of one assembled window, and when it reached its
     * sink.
     */
    static final class Tagged {
        final PredictionRecord prediction;
        // Comparable across operators: the cluster runs in this JVM.
        final long atNanos = System.nanoTime();

        Tagged(PredictionRecord prediction) {
            this.prediction = prediction;
        }
    }

    /**
     * Hands results to this JVM's benchmark driver. Only meaningful on the in-process cluster the
     * benchmark starts; it keeps the measured jobs free of a result fetcher's polling.
     */
    public static final class MemorySink<T> implements Sink<T> {
        static final Map<String, Queue<Tagged>> RESULTS = new ConcurrentHashMap<>();
        private final String runId;

        MemorySink(String runId) {
            this.runId = runId;
        }

        @Override
        public SinkWriter<T> createWriter(WriterInitContext context) {
            Queue<Tagged> queue = RESULTS.get(runId);
            return new SinkWriter<>() {
                @Override
                public void write(T element, Context context) {
                    queue.add(
                            new Tagged(
                                    element instanceof PredictionRecord
                                            ? (PredictionRecord) element
                                            : null));
                }

                @Override
                public void flush(boolean endOfInput) {}

                @Override
                public void close() {}
            };
        }
    }

    /** Both topologies must have done the same work: every window, every task, the same outputs. */
    public static void checkSamePredictions(Result a, Result b, int tasks) {
        if (a.windows != b.windows
                || a.predictions.size() != (long) a.windows * tasks
                || b.predictions.size() != a.predictions.size()) {
            throw new IllegalStateException(
                    String.format(
                            Locale.ROOT,
                            "runs differ: %d/%d windows, %d/%d predictions, expected %d tasks per"
                                    + " window",
                            a.windows,
                            b.windows,
                            a.predictions.size(),
                            b.predictions.size(),
                            tasks));
        }
        Map<String, PredictionRecord> byKey = new HashMap<>();
        for (PredictionRecord p : a.predictions) {
            if (byKey.put(key(p), p) != null) {
                throw new IllegalStateException("duplicate prediction " + key(p));
            }
        }
        for (PredictionRecord q : b.predictions) {
            PredictionRecord p = byKey.remove(key(q));
            if (p == null) {
                throw new IllegalStateException("prediction " + key(q) + " only in one run");
            }
            String why = difference(p, q);
            if (why != null) {
                throw new IllegalStateException("prediction " + key(q) + " differs by " + why);
            }
        }
    }

    /**
     * How {@code p} and {@code q} differ beyond 1e-4 (relative above 1), or null. NaN equals NaN
     * only (a NaN on one side made the difference NaN, and {@code NaN > tolerance} is false: a
     * topology writing NaN passed as identical), and the scores must both be there or both absent,
     * of one length.
     */
    static String difference(PredictionRecord p, PredictionRecord q) {
        if (!java.util.Objects.equals(p.label, q.label)) {
            return "label " + p.label + " / " + q.label;
        }
        if (!close(p.value, q.value)) {
            return "value " + p.value + " / " + q.value;
        }
        if ((p.scores == null) != (q.scores == null)
                || (p.scores != null && p.scores.length != q.scores.length)) {
            return "scores "
                    + java.util.Arrays.toString(p.scores)
                    + " / "
                    + java.util.Arrays.toString(q.scores);
        }
        for (int i = 0; p.scores != null && i < p.scores.length; i++) {
            if (!close(p.scores[i], q.scores[i])) {
                return "score " + i + " " + p.scores[i] + " / " + q.scores[i];
            }
        }
        return null;
    }

    private static boolean close(double a, double b) {
        if (Double.isNaN(a) || Double.isNaN(b)) {
            return Double.isNaN(a) && Double.isNaN(b);
        }
        return Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(a));
    }

    private static String key(PredictionRecord p) {
        return p.deviceId + "/" + p.windowStartMicros + "/" + p.task;
    }
}
