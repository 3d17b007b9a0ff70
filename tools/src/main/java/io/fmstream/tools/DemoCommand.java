package io.fmstream.tools;

import io.fmstream.core.model.BundleManifest;
import io.fmstream.data.RepositoryLayout;
import io.fmstream.data.sim.DeviceUplink;
import io.fmstream.data.sim.Noise;
import io.fmstream.data.sim.Rhythm;
import io.fmstream.data.sim.Scenario;
import io.fmstream.data.sim.SimulatedChunk;
import io.fmstream.data.sim.SimulatedDevice;
import io.fmstream.data.sim.SimulatedFleet;
import io.fmstream.job.FmstreamJob;
import io.fmstream.job.FmstreamOptions;
import io.fmstream.job.JobSettings;
import io.fmstream.job.accuracy.AccuracyJob;
import io.fmstream.local.LocalKafkaCluster;
import io.fmstream.metrics.ReporterSettings;
import io.fmstream.schemas.AccuracyOutcome;
import io.fmstream.schemas.GroundTruth;
import io.fmstream.schemas.Prediction;
import io.fmstream.schemas.SensorChunk;
import io.fmstream.schemas.codec.DecodeException;
import io.fmstream.schemas.codec.RecordCodec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The embedded default: a Kafka broker (a child JVM), a local Flink cluster (web UI, Prometheus
 * reporter) running the production job with the real bundle, and a simulated fleet with ground
 * truth; a status line every few seconds and a sample of predictions next to the truth. Stops
 * cleanly on Ctrl-C or after {@code --duration}.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description =
                "Run broker, local Flink cluster, job and simulator in this process and show what"
                        + " flows.")
public final class DemoCommand implements Callable<Integer> {

    @picocli.CommandLine.Mixin LinkFaultOptions faults;

    @Option(
            names = "--devices",
            defaultValue = "50",
            description = "Simulated devices (default: ${DEFAULT-VALUE}).")
    int devices;

    @Option(
            names = "--duration",
            description = "Stop after this long, ISO-8601 (e.g. PT2M); default: until Ctrl-C.")
    Duration duration;

    @Option(
            names = "--bundle",
            description =
                    "Model bundle directory (default: " + RepositoryLayout.DEFAULT_BUNDLE + ").")
    Path bundle;

    @Option(
            names = "--parallelism",
            defaultValue = "2",
            description = "Job parallelism (default: ${DEFAULT-VALUE}).")
    int parallelism;

    @Option(
            names = "--status-every",
            defaultValue = "PT5S",
            description = "Status line interval (default: ${DEFAULT-VALUE}).")
    Duration statusEvery;

    @Option(
            names = "--web-ui-port",
            defaultValue = "8081",
            description = "Flink web UI port (default: ${DEFAULT-VALUE}).")
    int webUiPort;

    @Option(
            names = "--prometheus-port",
            defaultValue = "9249",
            description =
                    "Port of Flink's Prometheus reporter, Flink's own metrics (default:"
                            + " ${DEFAULT-VALUE}).")
    int prometheusPort;

    @Option(
            names = "--fmstream-metrics-port",
            defaultValue = "9250",
            description =
                    "Port of fmstream's Prometheus reporter, the job's fmstream_* metrics, on"
                            + " loopback (default: ${DEFAULT-VALUE}).")
    int fmstreamMetricsPort;

    @Option(
            names = "--samples",
            defaultValue = "3",
            description =
                    "Predictions shown with their truth per status line (default:"
                            + " ${DEFAULT-VALUE}).")
    int samples;

    private volatile boolean stopping;

    /** The final per-task scores, for tests: task to [count, sum]. */
    private volatile Map<String, double[]> finalAgreement = Map.of();

    public Map<String, double[]> finalAgreement() {
        return finalAgreement;
    }

    @Override
    public Integer call() throws Exception {
        Path bundleDir = bundle != null ? bundle : defaultBundle();
        CountDownLatch stopped = new CountDownLatch(1);
        Thread mainThread = Thread.currentThread();
        Thread hook =
                new Thread(
                        () -> {
                            stopping = true;
                            mainThread.interrupt();
                            try {
                                stopped.await(60, TimeUnit.SECONDS);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        },
                        "fmstream-demo-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);

        // Flink's web upload and spill folders go here, and go away with the demo.
        Path scratch = Files.createTempDirectory("fmstream-demo-");
        MiniCluster closeFlink = null;
        // Kafka's own broker as a child JVM bound to loopback (Kafka's test kit, which runs one in
        // process, binds its listeners to every interface whatever `listeners` says); one node,
        // so topics and the transaction log have one replica.
        try (LocalKafkaCluster kafka = new LocalKafkaCluster(scratch.resolve("kafka"), 1)) {
            kafka.start();
            Configuration conf = new Configuration();
            conf.set(FmstreamOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
            conf.set(FmstreamOptions.BUNDLE, bundleDir.toUri().toString());
            conf.set(FmstreamOptions.CREATE_TOPICS, true);
            conf.set(FmstreamOptions.TOPIC_PARTITIONS, Math.max(2, parallelism));
            conf.set(FmstreamOptions.CHECKPOINT_INTERVAL, Duration.ofSeconds(2));
            conf.set(FmstreamOptions.TRANSACTION_TIMEOUT, Duration.ofSeconds(60));
            JobSettings settings = JobSettings.from(conf);
            BundleManifest manifest = FmstreamJob.readManifest(settings.bundleUri);

            Configuration cluster = new Configuration();
            cluster.set(RestOptions.PORT, webUiPort);
            // Loopback only: the demo's web UI accepts jar uploads and cancels jobs.
            cluster.set(RestOptions.BIND_ADDRESS, "localhost");
            cluster.set(RestOptions.ADDRESS, "localhost");
            cluster.setString("jobmanager.bind-host", "localhost");
            cluster.setString("taskmanager.bind-host", "localhost");
            cluster.setString("taskmanager.host", "localhost");
            cluster.setString("web.upload.dir", scratch.resolve("web-upload").toString());
            cluster.setString("io.tmp.dirs", scratch.resolve("io").toString());
            // Checkpoints on disk, as on a real cluster: the JobManager's memory storage refuses a
            // checkpoint over 5 MB, which a fleet of about 900 devices reaches.
            cluster.setString(
                    "execution.checkpointing.dir",
                    scratch.resolve("checkpoints").toUri().toString());
            // No Kerberos or other delegation tokens here: without this the token manager warns at
            // start-up that it obtained none.
            cluster.setString("security.delegation.tokens.enabled", "false");
            ReporterSettings.flinkConfiguration(
                            "localhost",
                            String.valueOf(prometheusPort),
                            String.valueOf(fmstreamMetricsPort))
                    .forEach(cluster::setString);
            // One local Flink cluster running two jobs: the inference job and the accuracy job
            // beside it (one slot more), as on a real cluster.
            MiniCluster flink =
                    new MiniCluster(
                            new MiniClusterConfiguration.Builder()
                                    .setConfiguration(cluster)
                                    .setNumTaskManagers(1)
                                    .setNumSlotsPerTaskManager(parallelism + 1)
                                    .build());
            flink.start();
            closeFlink = flink;
            StreamExecutionEnvironment env =
                    StreamExecutionEnvironment.createLocalEnvironment(cluster);
            env.setParallelism(parallelism);
            FmstreamJob.configure(env, settings);
            FmstreamJob.wireKafka(env, settings, manifest);
            Topics.ensure(
                    kafka.bootstrapServers(),
                    settings.sensorTopic,
                    Topics.DEFAULT_GROUND_TRUTH,
                    true,
                    2);
            StreamGraph inference = env.getStreamGraph();
            inference.setJobName("fmstream demo");
            flink.submitJob(inference).get(60, TimeUnit.SECONDS);
            JobID jobId = inference.getJobID();
            StreamExecutionEnvironment accuracyEnv =
                    StreamExecutionEnvironment.createLocalEnvironment(cluster);
            accuracyEnv.setParallelism(1);
            AccuracyJob.build(accuracyEnv, AccuracyJob.Settings.from(conf));
            StreamGraph accuracy = accuracyEnv.getStreamGraph();
            accuracy.setJobName("fmstream accuracy");
            flink.submitJob(accuracy).get(60, TimeUnit.SECONDS);
            System.out.printf(
                    "demo: Kafka %s | Flink web UI http://localhost:%d | Prometheus"
                            + " http://localhost:%d/metrics (fmstream) and"
                            + " http://localhost:%d/metrics (Flink) | job %s (parallelism %d) |"
                            + " bundle %s %s%s%n",
                    kafka.bootstrapServers(),
                    webUiPort,
                    fmstreamMetricsPort,
                    prometheusPort,
                    jobId,
                    parallelism,
                    manifest.bundleId(),
                    manifest.version(),
                    manifest.fixture()
                            ? " (TEST FIXTURE: random weights, predictions mean nothing)"
                            : "");

            long start = System.currentTimeMillis();
            long simStart = Math.floorDiv(start * 1000L, 5_000_000L) * 5_000_000L;
            long scenarioMicros =
                    (duration != null ? duration : Duration.ofHours(24)).toNanos() / 1000;
            SimulatedFleet fleet =
                    faults.apply(fleet(devices, simStart, scenarioMicros), 1, scenarioMicros);
            System.out.printf(
                    "demo: %d simulated devices; rates %s Hz; scenarios mix normal sinus rhythm, AF"
                        + " and PVCs, noise, drop-outs and offline periods; %s is offline from 20 s"
                        + " to 80 s and then uploads its backlog%n",
                    devices, SimulatedFleet.NATIVE_RATES_HZ, OFFLINE_DEVICE);
            try (KafkaPublisher publisher =
                            new KafkaPublisher(
                                    kafka.bootstrapServers(),
                                    settings.sensorTopic,
                                    Topics.DEFAULT_GROUND_TRUTH);
                    Watcher watcher = new Watcher(kafka.bootstrapServers(), settings)) {
                long nextStatus = start + statusEvery.toMillis();
                while (!stopping
                        && (duration == null
                                || System.currentTimeMillis() - start < duration.toMillis())) {
                    List<SimulatedChunk> ready = fleet.poll(System.currentTimeMillis() * 1000L);
                    List<SensorChunk> chunks = new ArrayList<>();
                    List<GroundTruth> truths = new ArrayList<>();
                    for (SimulatedChunk c : ready) {
                        chunks.add(c.chunk());
                        truths.add(Truths.toAvro(c.truth(), "simulator seed=1"));
                    }
                    publisher.publishChunks(chunks);
                    publisher.publishTruth(truths);
                    watcher.poll();
                    if (System.currentTimeMillis() >= nextStatus) {
                        nextStatus += statusEvery.toMillis();
                        System.out.println(
                                watcher.status(
                                        devices,
                                        publisher.acknowledged(),
                                        System.currentTimeMillis() - start));
                        watcher.accuracy.samples(samples).forEach(System.out::println);
                        System.out.println(
                                "demo: agreement with ground truth (accuracy job): "
                                        + watcher.accuracy.summary());
                    }
                    try {
                        Thread.sleep(200);
                    } catch (InterruptedException e) {
                        break;
                    }
                }
                Thread.interrupted();
                finalAgreement = Map.copyOf(watcher.accuracy.perTask());
                System.out.println(
                        "demo: final agreement with ground truth (accuracy job): "
                                + watcher.accuracy.summary());
                System.out.println("demo: stopping");
            } finally {
                // Both jobs stop while the broker still runs, so their last transactions are
                // aborted cleanly instead of waiting out the broker's absence.
                stopJob(flink, jobId);
                stopJob(flink, accuracy.getJobID());
                flink.close();
                closeFlink = null;
            }
        } finally {
            if (closeFlink != null) {
                // Cancels both jobs and stops the cluster.
                closeFlink.close();
            }
            Scratch.deleteRecursively(scratch);
            stopped.countDown();
            if (!stopping) {
                Runtime.getRuntime().removeShutdownHook(hook);
            }
        }
        System.out.println("demo: stopped cleanly");
        return 0;
    }

    static final String OFFLINE_DEVICE = "sim-phone-offline";

    /**
     * The generated fleet, with its first device replaced by one whose phone is offline from 20 s
     * to 80 s, so even a short demo shows a backlog arriving a minute late and still being
     * windowed.
     */
    private static SimulatedFleet fleet(int devices, long simStart, long scenarioMicros) {
        List<DeviceUplink> uplinks =
                new ArrayList<>(
                        SimulatedFleet.generate(devices, 1, simStart, 1.0, scenarioMicros)
                                .uplinks());
        Scenario offline =
                Scenario.builder()
                        .segment(
                                Math.max(120, scenarioMicros / 1e6),
                                Rhythm.NORMAL,
                                72,
                                Noise.of(0.02))
                        .offline(20, 80)
                        .build();
        uplinks.set(
                0,
                new DeviceUplink(
                        new SimulatedDevice(OFFLINE_DEVICE, 99, 250, simStart, offline), 250));
        return new SimulatedFleet(uplinks);
    }

    private static void stopJob(MiniCluster flink, JobID id) throws Exception {
        if (!flink.getJobStatus(id).get(30, TimeUnit.SECONDS).isTerminalState()) {
            awaitNoCheckpointInFlight(flink, id);
            flink.cancelJob(id).get(60, TimeUnit.SECONDS);
        }
        flink.requestJobResult(id).get(60, TimeUnit.SECONDS);
    }

    /**
     * Waits (at most 10 s) for a moment with no checkpoint in flight, so the cancel lands between
     * two checkpoints: one in flight is aborted with a WARN and a stack trace ("Checkpoint
     * Coordinator is suspending"), harmless but alarming to whoever stops the demo. The cancel
     * follows within milliseconds, against a checkpoint interval of seconds.
     */
    private static void awaitNoCheckpointInFlight(MiniCluster flink, JobID id) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        try {
            while (System.nanoTime() < deadline) {
                var stats =
                        flink.getExecutionGraph(id)
                                .get(10, TimeUnit.SECONDS)
                                .getCheckpointStatsSnapshot();
                if (stats == null || stats.getCounts().getNumberOfInProgressCheckpoints() == 0) {
                    return;
                }
                Thread.sleep(10);
            }
        } catch (Exception e) {
            // Only a nicety: whatever goes wrong here (an interrupt from Ctrl-C included), the
            // cancel that follows still runs.
        }
    }

    private static Path defaultBundle() {
        Path real = RepositoryLayout.defaultBundle();
        return Files.exists(real.resolve("manifest.json"))
                ? real
                : RepositoryLayout.fixtureBundle();
    }

    /** Reads the output and ground-truth topics (read_committed) and summarises what arrived. */
    private static final class Watcher implements AutoCloseable {
        private final KafkaConsumer<byte[], byte[]> consumer;
        private final JobSettings settings;
        private final RecordCodec<Prediction> predictions = RecordCodec.forType(Prediction.class);
        private final RecordCodec<AccuracyOutcome> outcomes =
                RecordCodec.forType(AccuracyOutcome.class);
        final AccuracySummary accuracy = new AccuracySummary();
        private long embeddingCount;
        private long predictionCount;
        private long deadLetterCount;
        // Over the last minute, not per status interval: a stall must stay visible.
        private final LatencyWindow writtenLatency = new LatencyWindow(60_000);
        private final LatencyWindow committedLatency = new LatencyWindow(60_000);

        Watcher(String bootstrapServers, JobSettings settings) {
            this.settings = settings;
            Properties p = new Properties();
            p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
            p.put(ConsumerConfig.GROUP_ID_CONFIG, "fmstream-demo-status");
            p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            consumer =
                    new KafkaConsumer<>(
                            p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            consumer.subscribe(
                    List.of(
                            settings.embeddingsTopic,
                            settings.predictionsTopic,
                            settings.deadLetterTopic,
                            FmstreamOptions.ACCURACY_TOPIC.defaultValue()));
        }

        void poll() throws DecodeException {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                long now = System.currentTimeMillis();
                if (r.topic().equals(settings.embeddingsTopic)) {
                    embeddingCount++;
                } else if (r.topic().equals(settings.predictionsTopic)) {
                    predictionCount++;
                    Prediction p = predictions.decode(r.value());
                    if (p.getScope() == io.fmstream.schemas.PredictionScope.RECORDING) {
                        continue; // the status line is about windows
                    }
                    writtenLatency.add(
                            now, p.getEmitTimeMillis() - p.getNewestChunkAppendTimeMillis());
                    committedLatency.add(now, now - p.getNewestChunkAppendTimeMillis());
                } else if (r.topic().equals(settings.deadLetterTopic)) {
                    deadLetterCount++;
                } else {
                    accuracy.add(outcomes.decode(r.value()));
                }
            }
        }

        String status(int devices, long chunks, long elapsedMillis) {
            double s = Math.max(1, elapsedMillis) / 1000.0;
            String line =
                    String.format(
                            "demo: %4.0f s | %d devices | chunks %d (%.0f/s) | windows %d (%.1f/s)"
                                + " | predictions %d (%.1f/s) | dead letters %d | latency over the"
                                + " last minute, p50/p99/max: written %s ms, committed %s ms",
                            s,
                            devices,
                            chunks,
                            chunks / s,
                            embeddingCount,
                            embeddingCount / s,
                            predictionCount,
                            predictionCount / s,
                            deadLetterCount,
                            writtenLatency.summary(System.currentTimeMillis()),
                            committedLatency.summary(System.currentTimeMillis()));
            return line;
        }

        @Override
        public void close() {
            consumer.close();
        }
    }
}
