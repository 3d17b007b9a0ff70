package io.fmstream.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fmstream.core.model.BundleManifest;
import io.fmstream.core.model.EncoderRunner;
import io.fmstream.core.model.ModelBundle;
import io.fmstream.core.records.EmbeddingRecord;
import io.fmstream.core.records.PredictionRecord;
import io.fmstream.core.records.SourceRef;
import io.fmstream.core.records.WindowRecord;
import io.fmstream.data.RepositoryLayout;
import io.fmstream.data.sim.HeartRateProfile;
import io.fmstream.data.sim.SimulatedDevice;
import io.fmstream.data.sim.SimulatedFleet;
import io.fmstream.job.FmstreamJob;
import io.fmstream.job.FmstreamOptions;
import io.fmstream.job.JobSettings;
import io.fmstream.schemas.SensorChunk;
import io.fmstream.schemas.codec.RecordCodec;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.RemoteStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Promise 2 measured: the encoder runs once per window however many tasks read it.
 *
 * <p>For each task count N the same simulated input goes through two jobs on one local Flink
 * cluster, alternately, several rounds:
 *
 * <ul>
 *   <li><b>fmstream</b>: the production topology ({@link FmstreamJob#build}): one micro-batched
 *       encoder, N heads reading its embedding;
 *   <li><b>one model per task</b>: what a competent team without a shared encoder deploys: the same
 *       decode, validation and window assembly, then N independent task models, each its own
 *       micro-batched encoder (same batch size, same ONNX Runtime threads) and head.
 * </ul>
 *
 * Both must produce the same predictions (same keys, values within 1e-4), which the command checks
 * before it reports a figure. The encoder's roof (the encoder alone on ready windows, with the
 * job's batch size, slots and ONNX Runtime threads) is measured in the same run, so the job's
 * efficiency is a ratio too. Heads beyond the bundle's own are copies of them under new task names:
 * a head's cost does not depend on what it was trained for.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description =
                "Benchmark: fmstream's shared encoder vs one model per task, and the encoder's"
                        + " roof.")
public final class BenchCommand implements Callable<Integer> {

    @Option(
            names = "--tasks",
            split = ",",
            defaultValue = "1,3,8",
            description = "Task counts to compare (default: ${DEFAULT-VALUE}).")
    List<Integer> taskCounts;

    @Option(
            names = "--devices",
            defaultValue = "20",
            description = "Simulated devices (default: ${DEFAULT-VALUE}).")
    int devices;

    @Option(
            names = "--seconds",
            defaultValue = "500",
            description =
                    "Simulated seconds per device (default: ${DEFAULT-VALUE}; 20 x 500 s = 1980"
                            + " windows).")
    int seconds;

    @Option(
            names = "--rounds",
            defaultValue = "3",
            description = "Alternating rounds; the median is reported (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(
            names = "--parallelism",
            defaultValue = "2",
            description = "Job parallelism (default: ${DEFAULT-VALUE}).")
    int parallelism;

    @Option(
            names = "--bundle",
            description =
                    "Model bundle directory (default: " + RepositoryLayout.DEFAULT_BUNDLE + ").")
    Path bundle;

    @Spec CommandSpec spec;

    private PrintWriter out;

    /** What one measured job run produced. */
    record Run(
            int windows, List<PredictionRecord> predictions, double wallSeconds, double seconds) {}

    @Override
    public Integer call() throws Exception {
        if (taskCounts.isEmpty()
                || taskCounts.stream().anyMatch(n -> n < 1)
                || rounds < 1
                || devices < 1
                || seconds < 20
                || parallelism < 1) {
            throw new IllegalArgumentException(
                    "--tasks must be >= 1 each, --rounds/--devices/--parallelism >= 1, --seconds >="
                            + " 20");
        }
        out = spec.commandLine().getOut();
        Path bundleDir = bundle != null ? bundle : RepositoryLayout.defaultBundle();
        List<SourceRef> input = simulatedInput(devices, seconds);
        out.printf(
                Locale.ROOT,
                "bench: bundle %s, %d devices x %d s (%d chunks), parallelism %d, %d cores, %d"
                        + " round(s)%n",
                bundleDir,
                devices,
                seconds,
                input.size(),
                parallelism,
                Runtime.getRuntime().availableProcessors(),
                rounds);

        // The job's resources: its micro-batch size, one caller per slot, ONNX Runtime threads =
        // cores / slots.
        int batch = settings(bundleDir).batchSize;
        int threadsPerSlot = Math.max(1, Runtime.getRuntime().availableProcessors() / parallelism);
        double roof = encoderRoof(bundleDir, batch, parallelism, threadsPerSlot);
        out.printf(
                Locale.ROOT,
                "bench: encoder roof (encoder alone on ready windows, batch %d, %d callers x %d"
                        + " ONNX Runtime thread(s)): %.0f windows/s%n",
                batch,
                parallelism,
                threadsPerSlot,
                roof);
        Path scratch = Files.createTempDirectory("fmstream-bench-");
        try (MiniCluster cluster = localCluster(scratch)) {
            StreamExecutionEnvironment env = environment(cluster);
            List<String[]> rows = new ArrayList<>();
            for (int n : taskCounts) {
                Path nBundle = bundleWithTasks(bundleDir, n, scratch.resolve("bundle-" + n));
                JobSettings settings = settings(nBundle);
                BundleManifest manifest = FmstreamJob.readManifest(settings.bundleUri);
                FmstreamJob.configure(env, settings);
                double[] shared = new double[rounds];
                double[] perTask = new double[rounds];
                int windows = -1;
                for (int r = 0; r < rounds; r++) {
                    Run a = run(env, input, settings, manifest, true);
                    Run b = run(env, input, settings, manifest, false);
                    checkSamePredictions(a, b, n);
                    windows = a.windows;
                    shared[r] = a.seconds;
                    perTask[r] = b.seconds;
                    out.printf(
                            Locale.ROOT,
                            "bench: N=%d round %d: fmstream %.1f s (job %.1f s), one model per task"
                                    + " %.1f s (job %.1f s); %d windows, %d predictions each,"
                                    + " identical%n",
                            n,
                            r + 1,
                            a.seconds,
                            a.wallSeconds,
                            b.seconds,
                            b.wallSeconds,
                            a.windows,
                            a.predictions.size());
                }
                double s = median(shared);
                double p = median(perTask);
                rows.add(
                        new String[] {
                            String.valueOf(n),
                            String.valueOf(windows),
                            String.format(Locale.ROOT, "%.0f", windows / s),
                            String.format(Locale.ROOT, "%.0f", windows / p),
                            String.format(Locale.ROOT, "%.2fx", p / s),
                            String.format(Locale.ROOT, "%.0f %%", 100 * windows / s / roof)
                        });
            }
            out.println();
            out.println(
                    "| tasks | windows | fmstream windows/s | one model per task windows/s |"
                            + " fmstream speed-up | fmstream / encoder roof |");
            out.println("|---|---|---|---|---|---|");
            for (String[] row : rows) {
                out.println("| " + String.join(" | ", row) + " |");
            }
            out.printf(
                    Locale.ROOT,
                    "%nencoder roof: %.0f windows/s. Rates: windows / time from the job's first"
                        + " output to its last (job start and model loading excluded), median of %d"
                        + " alternating round(s).%n",
                    roof,
                    rounds);
            return 0;
        } finally {
            Scratch.deleteRecursively(scratch);
        }
    }

    /** One bounded job run over the input; waits for and returns every prediction. */
    static Run run(
            StreamExecutionEnvironment env,
            List<SourceRef> input,
            JobSettings settings,
            BundleManifest manifest,
            boolean sharedEncoder)
            throws Exception {
        DataStream<SourceRef> source = RecordedSensorSource.of(env, input);
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
        String runId = UUID.randomUUID().toString();
        ConcurrentLinkedQueue<Tagged> results = new ConcurrentLinkedQueue<>();
        MemorySink.RESULTS.put(runId, results);
        tagged.sinkTo(new MemorySink(runId)).name("Results (in memory)");
        long start = System.nanoTime();
        try {
            env.execute(sharedEncoder ? "fmstream" : "one model per task");
        } finally {
            MemorySink.RESULTS.remove(runId);
        }
        long end = System.nanoTime();
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
        return new Run(windowCount, collected, (end - start) / 1e9, (last - first) / 1e9);
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
    static final class MemorySink implements Sink<Tagged> {
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
    static void checkSamePredictions(Run a, Run b, int tasks) {
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

    /**
     * The encoder alone on ready (random, z-scored) windows, batch after batch, from as many
     * threads as the job has slots, with the job's ONNX Runtime threads per slot: the most this
     * machine can embed with the job's resources, with no decoding, windowing or heads.
     */
    static double encoderRoof(Path bundleDir, int batch, int callers, int threadsPerCaller)
            throws Exception {
        try (ModelBundle b = ModelBundle.load(bundleDir, threadsPerCaller)) {
            EncoderRunner encoder = b.encoder();
            int len = encoder.inputLength();
            float[] windows = new float[batch * len];
            Random random = new Random(7);
            for (int i = 0; i < windows.length; i++) {
                windows[i] = (float) random.nextGaussian();
            }
            AtomicLong embedded = new AtomicLong();
            AtomicBoolean measuring = new AtomicBoolean(false);
            AtomicBoolean stop = new AtomicBoolean(false);
            List<Thread> threads = new ArrayList<>();
            for (int c = 0; c < callers; c++) {
                Thread t =
                        new Thread(
                                () -> {
                                    float[] out = new float[batch * encoder.embeddingDim()];
                                    while (!stop.get()) {
                                        encoder.embed(windows, batch, out);
                                        if (measuring.get()) {
                                            embedded.addAndGet(batch);
                                        }
                                    }
                                },
                                "encoder-roof-" + c);
                t.start();
                threads.add(t);
            }
            Thread.sleep(1_000); // warm-up
            measuring.set(true);
            long start = System.nanoTime();
            Thread.sleep(5_000);
            long count = embedded.get();
            double seconds = (System.nanoTime() - start) / 1e9;
            stop.set(true);
            for (Thread t : threads) {
                t.join();
            }
            return count / seconds;
        }
    }

    /**
     * Chunks of 1 s from steady simulated devices at mixed rates, encoded as on the sensor topic.
     */
    static List<SourceRef> simulatedInput(int deviceCount, int secondsPerDevice) {
        RecordCodec<SensorChunk> codec = RecordCodec.forType(SensorChunk.class);
        long t0 = 1_700_000_000_000_000L;
        List<SourceRef> refs = new ArrayList<>();
        List<SimulatedDevice> fleet = new ArrayList<>();
        for (int d = 0; d < deviceCount; d++) {
            double rate =
                    SimulatedFleet.NATIVE_RATES_HZ.get(d % SimulatedFleet.NATIVE_RATES_HZ.size());
            fleet.add(
                    new SimulatedDevice(
                            "bench-" + d,
                            100 + d,
                            rate,
                            t0,
                            HeartRateProfile.resting(55 + 5 * (d % 20))));
        }
        long offset = 0;
        for (int s = 0; s < secondsPerDevice; s++) {
            for (SimulatedDevice device : fleet) {
                SensorChunk c = device.nextChunk((int) Math.round(device.sampleRateHz()));
                long appendMillis = (t0 + (s + 1) * 1_000_000L) / 1000;
                refs.add(
                        new SourceRef(
                                "sensor",
                                0,
                                offset++,
                                appendMillis,
                                c.getDeviceId().getBytes(StandardCharsets.UTF_8),
                                codec.encode(c)));
            }
        }
        return refs;
    }

    /**
     * A copy of the bundle whose manifest lists exactly {@code n} heads (cycling through its own).
     */
    static Path bundleWithTasks(Path bundleDir, int n, Path target) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode manifest =
                (ObjectNode) json.readTree(bundleDir.resolve(BundleManifest.FILE_NAME).toFile());
        ArrayNode own = (ArrayNode) manifest.get("heads");
        ArrayNode heads = json.createArrayNode();
        Map<String, String> copies = new HashMap<>(); // copy's file -> original file
        Set<String> headFiles = new HashSet<>(); // ONNX or not (linear heads are JSON)
        own.forEach(h -> headFiles.add(h.get("file").asText()));
        for (int i = 0; i < n; i++) {
            ObjectNode h = own.get(i % own.size()).deepCopy();
            if (i >= own.size()) {
                // A bundle names each model file once, so a copy gets its own (identical) file.
                String task = h.get("task").asText() + "_copy" + (i / own.size());
                String original = h.get("file").asText();
                int dot = original.lastIndexOf('.');
                String copy =
                        "heads/"
                                + task
                                + (dot > original.lastIndexOf('/') ? original.substring(dot) : "");
                copies.put(copy, original);
                h.put("task", task);
                h.put("file", copy);
            }
            heads.add(h);
        }
        manifest.set("heads", heads);
        try (Stream<Path> files = Files.walk(bundleDir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path rel = bundleDir.relativize(p);
                if (rel.toString().startsWith("data") || rel.toString().isEmpty()) {
                    continue; // training datasets are not part of a bundle
                }
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target.resolve(rel));
                } else if (p.toString().endsWith(".onnx") || headFiles.contains(rel.toString())) {
                    Files.createDirectories(target.resolve(rel).getParent());
                    Files.copy(p, target.resolve(rel));
                }
            }
        }
        for (Map.Entry<String, String> copy : copies.entrySet()) {
            Files.createDirectories(target.resolve(copy.getKey()).getParent());
            Files.copy(bundleDir.resolve(copy.getValue()), target.resolve(copy.getKey()));
        }
        json.writerWithDefaultPrettyPrinter()
                .writeValue(target.resolve(BundleManifest.FILE_NAME).toFile(), manifest);
        return target;
    }

    private JobSettings settings(Path bundleDir) {
        Configuration c = new Configuration();
        c.set(FmstreamOptions.BUNDLE, bundleDir.toUri().toString());
        // Required setting, never used: the benchmark's input and output stay in memory, so that
        // both topologies are measured without a broker's share of the two cores.
        c.set(FmstreamOptions.BOOTSTRAP_SERVERS, "unused:9092");
        // Bounded runs end with their input; checkpoints would only add noise to the timing.
        c.set(FmstreamOptions.CHECKPOINT_INTERVAL, Duration.ofMinutes(30));
        return JobSettings.from(c);
    }

    /**
     * One local cluster for every run, so that no run pays for (or races) a cluster's start and
     * stop.
     */
    private MiniCluster localCluster(Path scratch) throws Exception {
        Configuration conf = new Configuration();
        conf.setString("io.tmp.dirs", scratch.resolve("io").toString());
        conf.set(RestOptions.PORT, 0);
        MiniCluster cluster =
                new MiniCluster(
                        new MiniClusterConfiguration.Builder()
                                .setConfiguration(conf)
                                .setNumTaskManagers(1)
                                .setNumSlotsPerTaskManager(parallelism)
                                .build());
        cluster.start();
        return cluster;
    }

    private StreamExecutionEnvironment environment(MiniCluster cluster) throws Exception {
        URI rest = cluster.getRestAddress().get();
        // The job's classes are on this JVM's classpath, which the in-process cluster shares: no
        // jar to ship.
        StreamExecutionEnvironment env =
                new RemoteStreamEnvironment(rest.getHost(), rest.getPort(), new Configuration());
        env.setParallelism(parallelism);
        return env;
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
