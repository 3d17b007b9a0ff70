package io.fmstream.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fmstream.data.RepositoryLayout;
import io.fmstream.job.FmstreamOptions;
import io.fmstream.job.accuracy.AccuracyJob;
import io.fmstream.schemas.Prediction;
import io.fmstream.schemas.PredictionScope;
import io.fmstream.schemas.codec.RecordCodec;
import io.fmstream.testkit.EmbeddedKafka;
import io.fmstream.tools.ProbeCommand;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The operations kit against a live job: Debian's Prometheus scrapes both reporters of a running
 * job (fed by the simulator) and evaluates {@code docker/prometheus/rules/fmstream.rules.yml}
 * (windows shortened to seconds, see {@link LocalPrometheus}). Every expression of the Grafana
 * dashboard returns series; injected faults fire their alerts (a second job whose rhythm head fails
 * at every run: task without predictions; bad records: dead letters; the simulator stopping: input
 * stopped; the job gone: no bundle in service) and the others stay silent while the job is healthy;
 * the fleet-wide fraction of predictions written within 250 ms, 1 s and 5 s computed in PromQL from
 * the histogram agrees with a consumer's own measurement.
 */
class PrometheusAlertsIntegrationTest {

    private static final int FMSTREAM_PORT = PrometheusScrape.freePort();
    private static final int FLINK_PORT = PrometheusScrape.freePort();
    private static final int PROBE_PORT = PrometheusScrape.freePort();

    @RegisterExtension static final EmbeddedKafka KAFKA = EmbeddedKafka.builder().extension();

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            RunningJob.miniCluster(
                    // The job, the accuracy job and the job with a failing head.
                    2 * RunningJob.PARALLELISM + 1, FMSTREAM_PORT, FLINK_PORT);

    @Test
    void dashboardExpressionsReturnDataAndInjectedFaultsFireTheirAlerts(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        String suffix = IntegrationSettings.uniqueSuffix();
        Configuration conf = IntegrationSettings.forRun(KAFKA.bootstrapServers(), suffix);
        // Lost chunks (below) hold the windows behind them until the gap is decided: with 3 s of
        // lateness some predictions are written after 1 s but before 5 s, so the latency
        // fractions compared below are not all 1.
        conf.set(FmstreamOptions.ALLOWED_LATENESS, Duration.ofSeconds(3));
        try (LocalPrometheus prometheus =
                LocalPrometheus.start(
                        List.of(
                                "127.0.0.1:" + FMSTREAM_PORT,
                                "127.0.0.1:" + FLINK_PORT,
                                "127.0.0.1:" + PROBE_PORT))) {
            // Fault 0, beside the job from the start: a second job whose bundle's rhythm head fails
            // at every run (it loads like a good one), fed one burst of input once it runs.
            FailingHead failing = FailingHead.start(tmp);
            RunningJob job = RunningJob.start(conf, "prometheus-it-" + suffix, input -> input);
            String predictionsTopic = job.settings.predictionsTopic;
            // The accuracy job beside it, scoring the predictions against the simulator's truth.
            Configuration accuracy = new Configuration(conf);
            accuracy.set(FmstreamOptions.GROUND_TRUTH_TOPIC, "truth-" + suffix);
            accuracy.set(FmstreamOptions.ACCURACY_TOPIC, "accuracy-" + suffix);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(1);
            AccuracyJob.build(env, AccuracyJob.Settings.from(accuracy));
            JobClient accuracyJob = env.executeAsync("accuracy-" + suffix);
            BackgroundCommand simulator =
                    BackgroundCommand.simulate(
                            KAFKA.bootstrapServers(),
                            job.settings.sensorTopic,
                            10,
                            "PT70S",
                            "--ground-truth-topic",
                            "truth-" + suffix,
                            "--loss-fraction",
                            "0.05");
            // An independent read_committed consumer, measuring committed latency as the probe
            // does, to check the probe's histogram against.
            CommittedLatencyConsumer independent =
                    new CommittedLatencyConsumer(KAFKA.bootstrapServers(), predictionsTopic);
            independent.start();
            // The committed-latency probe, as an operator runs it beside the job.
            BackgroundCommand probe = probe(conf, PROBE_PORT, "PT5S", "PT100S");
            // When the probe stopped serving its metrics: Prometheus's last scrape of it is just
            // before.
            CompletableFuture<Long> probeEnded =
                    probe.exit().thenApply(rc -> System.currentTimeMillis());
            failing.feed(prometheus);
            await(
                    "windows in Prometheus",
                    Duration.ofSeconds(90),
                    () -> !prometheus.query("sum(fmstream_windows_emitted_total) > 0").isEmpty());

            failing.check(prometheus);

            // Healthy: no alert but the dead-letter one may fire once bad records come in. The
            // failing-head job, gone now, is left out: the per-job input alert may still see its
            // last (flat) samples for the shortened rate window.
            assertThat(prometheus.firingExcept(failing.name)).isEmpty();

            // Fault 1: records that are not sensor chunks.
            for (int i = 0; i < 100; i++) {
                KAFKA.produce(
                        job.settings.sensorTopic,
                        ("intruder-" + i).getBytes(StandardCharsets.UTF_8),
                        "not an Avro single-object record".getBytes(StandardCharsets.UTF_8));
            }
            List<String> expressions = dashboardExpressions();
            List<String> empty = new ArrayList<>(expressions);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!empty.isEmpty() && System.nanoTime() < deadline) {
                List<String> still = new ArrayList<>();
                for (String e : empty) {
                    if (prometheus.query(e).isEmpty()) {
                        still.add(e);
                    }
                }
                empty = still;
                Thread.sleep(1000);
            }
            assertThat(empty).as("dashboard expressions without data").isEmpty();
            await(
                    "FmstreamDeadLetterRateHigh",
                    Duration.ofSeconds(30),
                    () -> prometheus.firing().contains("FmstreamDeadLetterRateHigh"));
            assertThat(prometheus.firingExcept(failing.name))
                    .containsExactly("FmstreamDeadLetterRateHigh");

            // Fault 2: the devices stop sending.
            assertThat(simulator.exit().get(150, TimeUnit.SECONDS)).isZero();
            await(
                    "FmstreamInputStopped",
                    Duration.ofSeconds(60),
                    () -> prometheus.firing().contains("FmstreamInputStopped"));

            // Fleet-wide latency from the histogram buckets against a consumer's measurement of
            // the same predictions (send time minus the newest chunk's append time).
            RecordCodec<Prediction> codec = RecordCodec.forType(Prediction.class);
            List<Long> latencies = new ArrayList<>();
            for (ConsumerRecord<byte[], byte[]> r :
                    KAFKA.drainUntilQuiet(
                            predictionsTopic, Duration.ofSeconds(3), Duration.ofSeconds(30))) {
                Prediction p = codec.decode(r.value());
                if (p.getScope() == PredictionScope.WINDOW) {
                    latencies.add(p.getEmitTimeMillis() - p.getNewestChunkAppendTimeMillis());
                }
            }
            assertThat(latencies).hasSizeGreaterThan(100);
            assertThat(latencies.stream().filter(l -> l > 1000).count())
                    .as("predictions held behind a lost chunk")
                    .isPositive();
            for (double bound : new double[] {0.25, 1, 5}) {
                long under = latencies.stream().filter(l -> l <= bound * 1000).count();
                double consumer = (double) under / latencies.size();
                String le = bound == 0.25 ? "0.25" : Long.toString((long) bound);
                List<JsonNode> promql =
                        prometheus.query(
                                "sum(fmstream_written_latency_seconds_bucket{topic=\""
                                        + predictionsTopic
                                        + "\",le=\""
                                        + le
                                        + "\"}) /"
                                        + " sum(fmstream_written_latency_seconds_count{topic=\""
                                        + predictionsTopic
                                        + "\"})");
                assertThat(promql).hasSize(1);
                double fromPrometheus = promql.get(0).at("/value/1").asDouble();
                System.out.printf(
                        "predictions written within %s s: PromQL %.4f, consumer %.4f (%d)%n",
                        le, fromPrometheus, consumer, latencies.size());
                assertThat(fromPrometheus)
                        .isCloseTo(consumer, org.assertj.core.data.Offset.offset(0.02));
            }

            assertThat(probe.exit().get(120, TimeUnit.SECONDS)).isZero();

            // Committed latency: the probe's histogram against an independent consumer of the
            // same predictions, as Prometheus last scraped it (2.5 s before the probe stopped,
            // long after the last prediction).
            double scraped = probeEnded.get() / 1000.0 - 2.5;
            List<Double> committed = independent.finish();
            assertThat(committed).hasSizeGreaterThan(100);
            List<JsonNode> count =
                    prometheus.queryAt("sum(fmstream_committed_latency_seconds_count)", scraped);
            assertThat(count).hasSize(1);
            assertThat(count.get(0).at("/value/1").asDouble())
                    .as("predictions the probe observed")
                    .isEqualTo(committed.size());
            // The 2 points, with the two sightings' clocks allowed to differ. The two
            // consumers poll on their own threads, and a commit makes a whole transaction's
            // predictions visible at once, so where the distribution is dense (the 250 ms bound)
            // one consumer being descheduled for a few tens of milliseconds on the 2 busy cores
            // moves a whole commit across the bound in its count and not in the other's (seen
            // once: 0.5046 vs 0.4343). So the probe's fraction within b must lie, to 2 points,
            // between the independent consumer's fractions within b - 100 ms and b + 100 ms:
            // an error in the probe's arithmetic, buckets or PromQL still fails, a scheduling
            // difference between two honest readers does not.
            double sightingSkew = 0.1;
            for (String le : new String[] {"0.25", "1", "2.5", "5"}) {
                double bound = Double.parseDouble(le);
                double consumer = fractionWithin(committed, bound);
                double consumerEarly = fractionWithin(committed, bound - sightingSkew);
                double consumerLate = fractionWithin(committed, bound + sightingSkew);
                List<JsonNode> promql =
                        prometheus.queryAt(
                                // The probe's client writes bounds as 1.0, 2.5, 5.0.
                                "sum(fmstream_committed_latency_seconds_bucket{le=~\""
                                        + le
                                        + "(\\\\.0)?\"}) /"
                                        + " sum(fmstream_committed_latency_seconds_count)",
                                scraped);
                assertThat(promql).hasSize(1);
                double fromPrometheus = promql.get(0).at("/value/1").asDouble();
                System.out.printf(
                        "predictions committed within %s s: probe's histogram in PromQL %.4f,"
                                + " independent consumer %.4f (%.4f within %.2f s, %.4f within"
                                + " %.2f s; %d)%n",
                        le,
                        fromPrometheus,
                        consumer,
                        consumerEarly,
                        bound - sightingSkew,
                        consumerLate,
                        bound + sightingSkew,
                        committed.size());
                assertThat(fromPrometheus)
                        .as("probe's fraction within %s s", le)
                        .isBetween(consumerEarly - 0.02, consumerLate + 0.02);
            }

            // Fault 2b: the probe is gone (it ran for its duration): the alerts that only its
            // series feed are blind, which is an alert of its own.
            await(
                    "FmstreamProbeDown",
                    Duration.ofSeconds(60),
                    () -> prometheus.firing().contains("FmstreamProbeDown"));

            // Fault 3: the job is gone (cancelled; a bundle that fails to load looks the same).
            job.close();
            accuracyJob.cancel().get(60, TimeUnit.SECONDS);
            await(
                    "FmstreamModelNotServing",
                    Duration.ofSeconds(60),
                    () -> prometheus.firing().contains("FmstreamModelNotServing"));
        }
    }

    /**
     * A job whose bundle's rhythm head loads but fails at every run ({@code failing-head.onnx},
     * made by {@code model-artifacts/recipe/failing_head_fixture.py}), without restarts, fed one
     * burst of 2 devices x 40 s. The job must keep running, write every window's embedding and the
     * other two tasks' predictions, count every rhythm failure, and fire {@code
     * FmstreamTaskWithoutPredictions} for that job and task only.
     */
    private static final class FailingHead {
        static final int DEVICES = 2;
        static final int SECONDS = 40;
        final RunningJob job;
        final String name;

        private FailingHead(RunningJob job, String name) {
            this.job = job;
            this.name = name;
        }

        static FailingHead start(java.nio.file.Path tmp) throws Exception {
            String suffix = IntegrationSettings.uniqueSuffix();
            Configuration conf = IntegrationSettings.forRun(KAFKA.bootstrapServers(), suffix);
            conf.set(FmstreamOptions.BUNDLE, bundle(tmp.resolve("bundle")).toUri().toString());
            String name = "failing-head-" + suffix;
            return new FailingHead(RunningJob.start(conf, name, input -> input, null, false), name);
        }

        /**
         * The burst, once the job's embed operator runs (its bundle in Prometheus), so that its
         * outputs are not late for a job still starting.
         */
        void feed(LocalPrometheus prometheus) throws Exception {
            await(
                    "the failing-head job running",
                    Duration.ofSeconds(90),
                    () ->
                            !prometheus
                                    .query("fmstream_bundle_info{job_name=\"" + name + "\"}")
                                    .isEmpty());
            long t0 =
                    Math.floorDiv(
                                    System.currentTimeMillis() * 1000L - SECONDS * 1_000_000L,
                                    5_000_000L)
                            * 5_000_000L;
            RecordCodec<io.fmstream.schemas.SensorChunk> codec =
                    RecordCodec.forType(io.fmstream.schemas.SensorChunk.class);
            for (int d = 0; d < DEVICES; d++) {
                io.fmstream.data.sim.SimulatedDevice device =
                        new io.fmstream.data.sim.SimulatedDevice(
                                "failing-head-" + d,
                                300 + d,
                                250,
                                t0,
                                io.fmstream.data.sim.HeartRateProfile.resting(62 + 7 * d));
                for (int second = 0; second < SECONDS; second++) {
                    KAFKA.produce(
                            job.settings.sensorTopic,
                            ("failing-head-" + d).getBytes(StandardCharsets.UTF_8),
                            codec.encode(device.nextChunk(250)));
                }
            }
        }

        /** The fixture bundle with its rhythm head replaced by the failing one. */
        private static java.nio.file.Path bundle(java.nio.file.Path dir) throws Exception {
            TestFiles.copyTree(IntegrationSettings.fixtureBundle(), dir);
            byte[] head;
            try (var in =
                    PrometheusAlertsIntegrationTest.class.getResourceAsStream(
                            "failing-head.onnx")) {
                head = in.readAllBytes();
            }
            ObjectMapper json = new ObjectMapper();
            var manifest =
                    (com.fasterxml.jackson.databind.node.ObjectNode)
                            json.readTree(dir.resolve("manifest.json").toFile());
            for (JsonNode h : manifest.get("heads")) {
                if (h.get("task").asText().equals("rhythm")) {
                    java.nio.file.Files.write(dir.resolve(h.get("file").asText()), head);
                    ((com.fasterxml.jackson.databind.node.ObjectNode) h)
                            .put("sha256", io.fmstream.core.model.Sha256.hex(head));
                }
            }
            json.writerWithDefaultPrettyPrinter()
                    .writeValue(dir.resolve("manifest.json").toFile(), manifest);
            return dir;
        }

        /**
         * Waits for the alert, checks what the job wrote and counted, cancels the job and waits for
         * the alert to end.
         */
        void check(LocalPrometheus prometheus) throws Exception {
            String alert =
                    "ALERTS{alertname=\"FmstreamTaskWithoutPredictions\",alertstate=\"firing\"}";
            // Fired at some point since the burst: it ends by itself 30 s (the test's rate
            // window) after the burst's last embedding.
            String fired = "max by (job_name, task) (max_over_time(" + alert + "[3m]))";
            await(
                    "FmstreamTaskWithoutPredictions for the failing head",
                    Duration.ofSeconds(90),
                    () -> !prometheus.query(fired).isEmpty());
            List<JsonNode> firing = prometheus.query(fired);
            assertThat(firing).hasSize(1);
            assertThat(firing.get(0).at("/metric/job_name").asText()).isEqualTo(name);
            assertThat(firing.get(0).at("/metric/task").asText()).isEqualTo("rhythm");

            // Every window of the burst embedded (2 devices x 6 complete windows), the other
            // tasks predicted each, rhythm none, every rhythm failure counted.
            int windows = DEVICES * ((SECONDS - 10) / 5);
            String embeddings = "sum(fmstream_embeddings_total{job_name=\"" + name + "\"})";
            await(
                    "the burst's windows embedded",
                    Duration.ofSeconds(60),
                    () -> value(prometheus, embeddings) >= windows);
            java.util.Map<String, Integer> byTask = new java.util.TreeMap<>();
            RecordCodec<Prediction> codec = RecordCodec.forType(Prediction.class);
            for (ConsumerRecord<byte[], byte[]> r :
                    KAFKA.drainUntilQuiet(
                            job.settings.predictionsTopic,
                            Duration.ofSeconds(3),
                            Duration.ofSeconds(30))) {
                Prediction p = codec.decode(r.value());
                if (p.getScope() == PredictionScope.WINDOW) {
                    byTask.merge(p.getTask(), 1, Integer::sum);
                }
            }
            int written =
                    KAFKA.drainUntilQuiet(
                                    job.settings.embeddingsTopic,
                                    Duration.ofSeconds(1),
                                    Duration.ofSeconds(30))
                            .size();
            double failures =
                    value(
                            prometheus,
                            "sum(fmstream_head_failures_total{job_name=\""
                                    + name
                                    + "\",task=\"rhythm\"})");
            System.out.printf(
                    "failing head: %d embeddings written, predictions by task %s, rhythm"
                            + " failures counted %.0f%n",
                    written, byTask, failures);
            assertThat(written).isGreaterThanOrEqualTo(windows);
            assertThat(byTask)
                    .containsExactly(
                            java.util.Map.entry("heart_rate", written),
                            java.util.Map.entry("signal_quality", written));
            assertThat(failures).isEqualTo(written);
            // Without restarts, a failure that reached Flink would have failed the job.
            assertThat(job.client.getJobStatus().get())
                    .isEqualTo(org.apache.flink.api.common.JobStatus.RUNNING);

            job.close();
            await(
                    "no alert once the failing-head job is gone",
                    Duration.ofSeconds(60),
                    () -> prometheus.firing().isEmpty());
        }

        private static double value(LocalPrometheus prometheus, String promql) throws Exception {
            List<JsonNode> r = prometheus.query(promql);
            return r.isEmpty() ? 0 : r.get(0).at("/value/1").asDouble();
        }
    }

    /** The fraction of latencies (seconds) at or below {@code bound}. */
    private static double fractionWithin(List<Double> latencies, double bound) {
        return (double) latencies.stream().filter(l -> l <= bound).count() / latencies.size();
    }

    /**
     * A read_committed consumer from the end of the predictions topic: for each window prediction,
     * when it became visible minus the append time of its window's newest chunk, seconds.
     */
    private static final class CommittedLatencyConsumer extends Thread {
        private final String bootstrap;
        private final String topic;
        final List<Double> latencies = new java.util.concurrent.CopyOnWriteArrayList<>();
        private volatile boolean stop;

        CommittedLatencyConsumer(String bootstrap, String topic) {
            super("independent-committed-latency");
            setDaemon(true);
            this.bootstrap = bootstrap;
            this.topic = topic;
        }

        @Override
        public void run() {
            java.util.Properties p = new java.util.Properties();
            p.put("bootstrap.servers", bootstrap);
            p.put("isolation.level", "read_committed");
            p.put("enable.auto.commit", "false");
            RecordCodec<Prediction> codec = RecordCodec.forType(Prediction.class);
            try (org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]> c =
                    new org.apache.kafka.clients.consumer.KafkaConsumer<>(
                            p,
                            new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                            new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
                List<org.apache.kafka.common.TopicPartition> parts = new ArrayList<>();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (parts.isEmpty() && System.nanoTime() < deadline) {
                    for (var i : c.partitionsFor(topic, Duration.ofSeconds(30))) {
                        parts.add(new org.apache.kafka.common.TopicPartition(topic, i.partition()));
                    }
                    if (parts.isEmpty()) {
                        Thread.sleep(200); // the job creates it
                    }
                }
                c.assign(parts);
                c.seekToEnd(parts);
                while (!stop) {
                    for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(100))) {
                        long now = System.currentTimeMillis();
                        Prediction pr = codec.decode(r.value());
                        if (pr.getScope() == PredictionScope.WINDOW) {
                            latencies.add((now - pr.getNewestChunkAppendTimeMillis()) / 1000.0);
                        }
                    }
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        List<Double> finish() throws InterruptedException {
            stop = true;
            join(10_000);
            return latencies;
        }
    }

    private static List<String> dashboardExpressions() throws Exception {
        List<String> exprs = new ArrayList<>();
        JsonNode dashboard =
                new ObjectMapper()
                        .readTree(
                                RepositoryLayout.root()
                                        .resolve("docker/grafana/dashboards/fmstream.json")
                                        .toFile());
        for (JsonNode panel : dashboard.get("panels")) {
            for (JsonNode t : panel.get("targets")) {
                exprs.add(t.get("expr").asText());
            }
        }
        return exprs;
    }

    /**
     * {@code bin/fmstream probe} as an operator runs it beside the job of {@code conf} (its
     * predictions topic, transactional-id prefix and consumer group), serving on {@code port}.
     */
    static BackgroundCommand probe(
            Configuration conf, int port, String transactionScanInterval, String duration) {
        return BackgroundCommand.start(
                "probe",
                new ProbeCommand(),
                "--bootstrap-servers",
                conf.get(FmstreamOptions.BOOTSTRAP_SERVERS),
                "--topic",
                conf.get(FmstreamOptions.PREDICTIONS_TOPIC),
                "--metrics-port",
                String.valueOf(port),
                "--transactional-id-prefix",
                conf.get(FmstreamOptions.TRANSACTIONAL_ID_PREFIX),
                "--transaction-scan-interval",
                transactionScanInterval,
                "--consumer-group",
                conf.get(FmstreamOptions.CONSUMER_GROUP),
                "--lag-scan-interval",
                "PT2S",
                "--duration",
                duration);
    }

    @org.junit.jupiter.api.AfterEach
    void stopCommands() throws InterruptedException {
        BackgroundCommand.stopAll();
    }

    interface Check {
        boolean ok() throws Exception;
    }

    static void await(String what, Duration timeout, Check check) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (check.ok()) {
                return;
            }
            Thread.sleep(1000);
        }
        throw new AssertionError("not within " + timeout + ": " + what);
    }
}
