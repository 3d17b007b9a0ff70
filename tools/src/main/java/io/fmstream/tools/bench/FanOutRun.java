package io.fmstream.tools.bench;

import io.fmstream.core.model.BundleManifest;
import io.fmstream.core.records.EmbeddingRecord;
import io.fmstream.core.records.PredictionRecord;
import io.fmstream.core.records.SourceRef;
import io.fmstream.core.records.WindowRecord;
import io.fmstream.job.FmstreamJob;
import io.fmstream.job.JobSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.flink.api.common.typeinfo.TypeInformation;
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
            EncoderTimeReporter.Totals encoder) {

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
                    new EncoderTimeReporter.Totals(Double.NaN, Double.NaN, 0, 0, 0, 0));
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
        // Windows are counted in the same job; every output is stamped when it is made, so the rate
        // is measured from the job's first output to its last (start-up and model loading
        // excluded).
        DataStream<Tagged> tagged =
                predictions
                        .map(Tagged::prediction, TypeInformation.of(Tagged.class))
                        .union(windows.map(w -> Tagged.window(), TypeInformation.of(Tagged.class)));
        return execute(
                env, tagged, sharedEncoder ? "fmstream" : "one model per task", sampleThreads);
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
        DataStream<Tagged> tagged =
                naive.outputs()
                        .map(
                                o -> {
                                    PredictionRecord p = new PredictionRecord();
                                    p.deviceId = o.deviceId;
                                    p.windowStartMicros = o.windowStartMicros;
                                    p.task = o.task;
                                    p.scores = o.scores;
                                    return Tagged.prediction(p);
                                },
                                TypeInformation.of(Tagged.class))
                        .union(
                                naive.windows()
                                        .map(
                                                w -> Tagged.window(),
                                                TypeInformation.of(Tagged.class)));
        return execute(
                env, tagged, "naive (" + resampling.name().toLowerCase(Locale.ROOT) + ")", true);
    }

    private static Result execute(
            StreamExecutionEnvironment env,
            DataStream<Tagged> tagged,
            String name,
            boolean sampleThreads)
            throws Exception {
        String runId = UUID.randomUUID().toString();
        ConcurrentLinkedQueue<Tagged> results = new ConcurrentLinkedQueue<>();
        MemorySink.RESULTS.put(runId, results);
        tagged.sinkTo(new MemorySink(runId)).name("Results (in memory)");
        EncoderTimeReporter.reset();
        long cpu0 = processCpuNanos();
        long start = System.nanoTime();
        ThreadCpu threads = sampleThreads ? ThreadCpu.start() : null;
        try {
            env.execute(name);
        } finally {
            MemorySink.RESULTS.remove(runId);
            if (threads != null) {
                threads.stop();
            }
        }
        long end = System.nanoTime();
        double cpu = (processCpuNanos() - cpu0) / 1e9;
        LAST_THREADS.set(threads == null ? Map.of() : threads.byName());
        List<PredictionRecord> collected = new ArrayList<>();
        int windowCount = 0;
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        for (Tagged t : results) {
            first = Math.min(first, t.atNanos);
            last = Math.max(last, t.atNanos);
            if (t.prediction == null) {
                windowCount++;
            } else {
                collected.add(t.prediction);
            }
        }
        return new Result(
                windowCount,
                collected,
                (end - start) / 1e9,
                (last - first) / 1e9,
                cpu,
                EncoderTimeReporter.totals());
    }

    /** CPU seconds by thread name (subtask indexes stripped) of the last run, for profiling. */
    public static final ThreadLocal<Map<String, Double>> LAST_THREADS =
            ThreadLocal.withInitial(Map::of);

    /**
     * CPU time of every thread of this JVM during a run, sampled every 10 ms (a task thread's time
     * is gone once it ends, so the last sample before is kept).
     */
    static final class ThreadCpu {
        /**
         * A task thread's last interval before it ends is lost: at 50 ms that was up to 0.01 ms per
         * window per thread in the benchmark's shortest runs. Sampling ~100 threads costs tens of
         * microseconds of this (unmeasured) thread.
         */
        private static final long SAMPLE_MILLIS = 10;

        private final Map<Long, String> names = new ConcurrentHashMap<>();
        private final Map<Long, Long> first = new ConcurrentHashMap<>();
        private final Map<Long, Long> last = new ConcurrentHashMap<>();
        private final java.lang.management.ThreadMXBean mx =
                java.lang.management.ManagementFactory.getThreadMXBean();
        private volatile boolean running = true;
        private final Thread sampler = new Thread(this::loop, "bench-thread-cpu");

        static ThreadCpu start() {
            ThreadCpu t = new ThreadCpu();
            t.sample();
            t.sampler.setDaemon(true);
            t.sampler.start();
            return t;
        }

        private void loop() {
            while (running) {
                sample();
                try {
                    Thread.sleep(SAMPLE_MILLIS);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        private void sample() {
            for (java.lang.management.ThreadInfo i : mx.getThreadInfo(mx.getAllThreadIds())) {
                if (i == null || i.getThreadId() == sampler.getId()) {
                    continue; // the sampler's own CPU is the measurement's, not the job's
                }
                long cpu = mx.getThreadCpuTime(i.getThreadId());
                if (cpu < 0) {
                    continue;
                }
                names.putIfAbsent(i.getThreadId(), i.getThreadName());
                first.putIfAbsent(i.getThreadId(), cpu);
                last.put(i.getThreadId(), cpu);
            }
        }

        void stop() throws InterruptedException {
            running = false;
            sampler.join();
            sample();
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
     * A prediction, or (prediction null) the mark of one assembled window, and when it was made.
     */
    public static final class Tagged {
        public PredictionRecord prediction;
        public long atNanos;

        public Tagged() {}

        static Tagged prediction(PredictionRecord p) {
            Tagged t = window();
            t.prediction = p;
            return t;
        }

        static Tagged window() {
            Tagged t = new Tagged();
            // Comparable across operators: the cluster runs in this JVM.
            t.atNanos = System.nanoTime();
            return t;
        }
    }

    /**
     * Hands results to this JVM's benchmark driver. Only meaningful on the in-process cluster the
     * benchmark starts; it keeps the measured jobs free of a result fetcher's polling.
     */
    public static final class MemorySink implements Sink<Tagged> {
        static final Map<String, Queue<Tagged>> RESULTS = new ConcurrentHashMap<>();
        private final String runId;

        MemorySink(String runId) {
            this.runId = runId;
        }

        @Override
        public SinkWriter<Tagged> createWriter(WriterInitContext context) {
            Queue<Tagged> queue = RESULTS.get(runId);
            return new SinkWriter<>() {
                @Override
                public void write(Tagged element, Context context) {
                    queue.add(element);
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
            double diff = Math.abs(p.value - q.value);
            if (p.scores != null && q.scores != null) {
                for (int i = 0; i < p.scores.length; i++) {
                    diff = Math.max(diff, Math.abs(p.scores[i] - q.scores[i]));
                }
            }
            if (diff > 1e-4 * Math.max(1, Math.abs(p.value))) {
                throw new IllegalStateException("prediction " + key(q) + " differs by " + diff);
            }
        }
    }

    private static String key(PredictionRecord p) {
        return p.deviceId + "/" + p.windowStartMicros + "/" + p.task;
    }
}
