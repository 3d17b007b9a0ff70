package io.fmstream.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.core.records.SourceRef;
import io.fmstream.job.FmstreamOptions;
import io.fmstream.testkit.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The alerts that guard delivery, each fired by the fault it is written for, against a live job
 * scraped by Debian's Prometheus (rules as shipped, windows shortened as in {@link
 * LocalPrometheus}; thresholds untouched but the held transaction's age, 3 minutes scaled to 30 s),
 * one fault after the other:
 *
 * <ol>
 *   <li>Checkpoint storage that refuses new checkpoints (a file where the next checkpoint's folder
 *       goes, as a full or read-only volume does): {@code FmstreamCheckpointsFailing}, and since a
 *       failed checkpoint fails the job, {@code FmstreamJobRestarting}; then healed.
 *   <li>A producer under the job's transactional-id prefix that died holding a transaction open on
 *       the predictions topic (what a superseded pooled transaction does after a downscale,
 *       FLINK-40626): {@code read_committed} readers see nothing new, so {@code
 *       FmstreamCommitsStalled} fires while the job goes on writing, and {@code
 *       FmstreamTransactionHeldOpen} once the transaction is older than the threshold.
 *   <li>The job falling behind its input (a test operator after the source holds each record 250
 *       ms): {@code FmstreamLatencySLOBreach} and {@code FmstreamLagGrowing} (the probe's reading
 *       of the job's consumer-group lag); then released.
 * </ol>
 *
 * Every other alert stays silent throughout: the set of alerts seen firing is asserted exactly. A
 * failsafe test (needing no job jar) so that it runs beside the multi-process cluster tests.
 */
class AlertFaultsIntegrationTest {

    private static final int FMSTREAM_PORT = PrometheusScrape.freePort();
    private static final int FLINK_PORT = PrometheusScrape.freePort();
    private static final int PROBE_PORT = PrometheusScrape.freePort();

    /**
     * The held-transaction alert's threshold, 3 minutes as shipped, scaled to 30 s as the rules'
     * windows are (promtool tests the shipped one): the alert is the same expression over the same
     * probe metric, and the test no longer waits 3 minutes for it (its longest wait in CI).
     */
    private static final String HELD_OPEN_RULE =
            "max by (sink) (fmstream_transaction_oldest_open_seconds) > 180";

    private static final int HELD_OPEN_SECONDS = 30;

    @RegisterExtension static final EmbeddedKafka KAFKA = EmbeddedKafka.builder().extension();

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            RunningJob.miniCluster(RunningJob.PARALLELISM, FMSTREAM_PORT, FLINK_PORT);

    @TempDir Path dir;

    @Test
    void aHeldTransactionAndFailingCheckpointsFireTheirAlertsAndNothingElse() throws Exception {
        String suffix = IntegrationSettings.uniqueSuffix();
        Configuration conf = IntegrationSettings.forRun(KAFKA.bootstrapServers(), suffix);
        String prefix = conf.get(FmstreamOptions.TRANSACTIONAL_ID_PREFIX);
        Path checkpoints = dir.resolve("checkpoints");
        Configuration flink = new Configuration();
        flink.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.toUri().toString());
        // Restarts without end, as in production: the alert, not the job's death, reports them.
        flink.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        flink.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 1000);
        flink.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofSeconds(1));
        Map<String, Long> fired = new LinkedHashMap<>();
        Throttle.SLOW.set(false);
        try (LocalPrometheus prometheus =
                        LocalPrometheus.start(
                                List.of(
                                        "127.0.0.1:" + FMSTREAM_PORT,
                                        "127.0.0.1:" + FLINK_PORT,
                                        "127.0.0.1:" + PROBE_PORT),
                                rules -> {
                                    assertThat(rules).contains(HELD_OPEN_RULE);
                                    return rules.replace(
                                            HELD_OPEN_RULE,
                                            HELD_OPEN_RULE.replace(
                                                    "> 180", "> " + HELD_OPEN_SECONDS));
                                });
                RunningJob job =
                        RunningJob.start(
                                conf,
                                "alert-faults-" + suffix,
                                in ->
                                        in.map(new Throttle(), TypeInformation.of(SourceRef.class))
                                                .uid("test-throttle")
                                                .name("Throttle"),
                                null,
                                flink)) {
            BackgroundCommand simulator =
                    BackgroundCommand.simulate(
                            KAFKA.bootstrapServers(), job.settings.sensorTopic, 40, "PT300S");
            BackgroundCommand probe =
                    PrometheusAlertsIntegrationTest.probe(conf, PROBE_PORT, "PT2S", "PT310S");
            PrometheusAlertsIntegrationTest.await(
                    "predictions committed and seen by the probe",
                    Duration.ofSeconds(90),
                    () ->
                            !prometheus
                                    .query("sum(fmstream_committed_latency_seconds_count) > 0")
                                    .isEmpty());
            // Healthy: nothing fires. The rules' `for:` is 10 s here, where production waits
            // minutes, so a start-up transient (checkpoints Flink could not trigger while tasks
            // were starting, under the load of the tests beside this one) may fire briefly; it
            // must be over within a minute, and from then on every alert is counted.
            PrometheusAlertsIntegrationTest.await(
                    "no alert firing once the job is up",
                    Duration.ofSeconds(60),
                    () -> prometheus.firing().isEmpty());
            Watch watch = new Watch(prometheus, fired, System.currentTimeMillis());
            watch.poll();
            assertThat(fired).as("alerts while healthy").isEmpty();

            // Fault 1: the next checkpoints' folders cannot be made.
            Path jobDir = checkpoints.resolve(job.client.getJobID().toString());
            long last = lastCheckpoint(jobDir);
            List<Path> blockers = new ArrayList<>();
            long fault1 = System.currentTimeMillis();
            for (long id = last + 1; id <= last + 2000; id++) {
                // A checkpoint may have begun since the listing: its folder is there already
                // (one CI run failed writing over it). Left alone, it completes or fails on its
                // own; the ones after it are blocked.
                try {
                    blockers.add(
                            Files.writeString(
                                    jobDir.resolve("chk-" + id),
                                    "not a folder",
                                    StandardOpenOption.CREATE_NEW,
                                    StandardOpenOption.WRITE));
                } catch (FileAlreadyExistsException begun) {
                    // skipped: see above
                }
            }
            watch.awaitFiring("FmstreamCheckpointsFailing", fault1, Duration.ofSeconds(150));
            watch.awaitFiring("FmstreamJobRestarting", fault1, Duration.ofSeconds(90));
            // Healed: the job restores from its last good checkpoint and commits again.
            for (Path b : blockers) {
                Files.delete(b);
            }
            double committed = committedSeen(prometheus);
            watch.await(
                    "commits again after the checkpoint storage healed",
                    Duration.ofSeconds(60),
                    () -> committedSeen(prometheus) > committed);

            // Fault 2: a transaction left open under the job's prefix on the predictions topic,
            // with a timeout long enough that the broker does not end it during the test. (Done
            // after fault 1: the restarted job's recovery aborts open transactions under its
            // prefix, which is what ends such a transaction in production too.)
            watch.awaitResolved(Duration.ofSeconds(60), "FmstreamCommitsStalled");
            try (KafkaProducer<byte[], byte[]> zombie = zombie(prefix + "-predictions-9-0")) {
                zombie.initTransactions();
                zombie.beginTransaction();
                for (int partition = 0; partition < 2; partition++) {
                    zombie.send(
                            new ProducerRecord<>(
                                    job.settings.predictionsTopic,
                                    partition,
                                    "zombie".getBytes(StandardCharsets.UTF_8),
                                    "never committed".getBytes(StandardCharsets.UTF_8)));
                }
                zombie.flush();
                long openedAt = System.currentTimeMillis();
                watch.awaitFiring("FmstreamCommitsStalled", openedAt, Duration.ofSeconds(90));

                // Fault 3: the job falls behind its input (each record held 250 ms: 8 records/s
                // at parallelism 2 against the simulator's 40).
                // The replays after fault 1's restarts may have breached the latency SLO too:
                // over before this fault, which must fire it anew.
                watch.awaitResolved(
                        Duration.ofSeconds(90), "FmstreamLatencySLOBreach", "FmstreamLagGrowing");
                long fault3 = System.currentTimeMillis();
                Throttle.SLOW.set(true);
                watch.awaitFiring("FmstreamLatencySLOBreach", fault3, Duration.ofSeconds(90));
                watch.awaitFiring("FmstreamLagGrowing", fault3, Duration.ofSeconds(90));
                Throttle.SLOW.set(false);

                // The held transaction: older than the (scaled) threshold, plus the alert's
                // 10 s, the probe's 2 s and the scrape.
                watch.awaitFiring(
                        "FmstreamTransactionHeldOpen",
                        openedAt,
                        Duration.ofMillis(
                                Math.max(
                                        20_000,
                                        openedAt
                                                + HELD_OPEN_SECONDS * 1000L
                                                + 50_000
                                                - System.currentTimeMillis())));
                System.out.printf(
                        "FmstreamTransactionHeldOpen fired %.1f s after the transaction opened%n",
                        (fired.get("FmstreamTransactionHeldOpen") - openedAt) / 1000.0);
                assertThat(fired.get("FmstreamTransactionHeldOpen") - openedAt)
                        .as("not before the transaction was %d s old", HELD_OPEN_SECONDS)
                        .isGreaterThanOrEqualTo(HELD_OPEN_SECONDS * 1000L);
                zombie.abortTransaction();
            }
            System.out.printf("alerts fired (s after the job was healthy): %s%n", watch.report());
            // The restarts' re-commits Flink counts as failed: with pooled ids some are refused
            // as fenced (committed before, id reused since) and must not page (one CI run did,
            // when the alert read failedCommittables).
            System.out.printf(
                    "commit give-ups over the run: Flink failedCommittables %.0f, fenced in"
                            + " recovery %.0f, lost %.0f%n",
                    sum(prometheus, "flink_taskmanager_job_task_operator_failedCommittables"),
                    sum(prometheus, "fmstream_sink_commits_fenced_in_recovery_total"),
                    sum(prometheus, "fmstream_sink_commits_lost_total"));
            assertThat(fired.keySet())
                    .as("alerts that fired")
                    .containsExactlyInAnyOrder(
                            "FmstreamCommitsStalled",
                            "FmstreamLatencySLOBreach",
                            "FmstreamLagGrowing",
                            "FmstreamCheckpointsFailing",
                            "FmstreamJobRestarting",
                            "FmstreamTransactionHeldOpen");
            simulator.stop();
            probe.stop();
        }
    }

    @org.junit.jupiter.api.AfterEach
    void stopCommands() throws InterruptedException {
        BackgroundCommand.stopAll(); // also after a failed assertion
    }

    /** The increase of counter {@code name} over the run, all series summed (0 when none). */
    private static double sum(LocalPrometheus prometheus, String name) throws Exception {
        var r = prometheus.query("sum(increase(" + name + "[30m]))");
        return r.isEmpty() ? 0 : r.get(0).at("/value/1").asDouble();
    }

    /** Predictions the probe has seen committed. */
    private static double committedSeen(LocalPrometheus prometheus) throws Exception {
        List<com.fasterxml.jackson.databind.JsonNode> r =
                prometheus.query("sum(fmstream_committed_latency_seconds_count)");
        return r.isEmpty() ? 0 : r.get(0).at("/value/1").asDouble();
    }

    /** Holds each record 250 ms while {@link #SLOW} is set: a job slower than its input. */
    static final class Throttle implements MapFunction<SourceRef, SourceRef> {
        static final AtomicBoolean SLOW = new AtomicBoolean();

        @Override
        public SourceRef map(SourceRef value) throws InterruptedException {
            if (SLOW.get()) {
                Thread.sleep(250);
            }
            return value;
        }
    }

    /** The id of the newest completed checkpoint in {@code jobDir}, waiting for one. */
    private static long lastCheckpoint(Path jobDir) throws Exception {
        try (Stream<Path> files = Files.list(jobDir)) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.matches("chk-\\d+"))
                    .mapToLong(n -> Long.parseLong(n.substring(4)))
                    .max()
                    .orElseThrow(() -> new AssertionError("no checkpoint in " + jobDir));
        }
    }

    private static KafkaProducer<byte[], byte[]> zombie(String transactionalId) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 600_000);
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /**
     * Polls Prometheus's alerts every second; remembers when each first fired ({@code fired}) and
     * when each of its firing episodes began, so a fault is credited only with firings that began
     * after it was injected.
     */
    private static final class Watch {
        private final LocalPrometheus prometheus;
        private final Map<String, Long> fired;
        private final Map<String, List<Long>> episodes = new LinkedHashMap<>();
        private Set<String> firingNow = Set.of();
        private final long start;

        Watch(LocalPrometheus prometheus, Map<String, Long> fired, long start) {
            this.prometheus = prometheus;
            this.fired = fired;
            this.start = start;
        }

        void poll() throws Exception {
            long now = System.currentTimeMillis();
            Set<String> firing = new TreeSet<>(prometheus.firing());
            for (String a : firing) {
                fired.putIfAbsent(a, now);
                if (!firingNow.contains(a)) {
                    episodes.computeIfAbsent(a, k -> new ArrayList<>()).add(now);
                }
            }
            firingNow = firing;
        }

        /** Waits for a firing episode of {@code alert} that began at or after {@code since}. */
        void awaitFiring(String alert, long since, Duration timeout) throws Exception {
            await(
                    alert + " firing",
                    timeout,
                    () ->
                            episodes.getOrDefault(alert, List.of()).stream()
                                    .anyMatch(t -> t >= since));
        }

        /** Waits until none of {@code alerts} fires (a previous fault's are over). */
        void awaitResolved(Duration timeout, String... alerts) throws Exception {
            await(
                    "resolved: " + String.join(", ", alerts),
                    timeout,
                    () -> java.util.Arrays.stream(alerts).noneMatch(firingNow::contains));
        }

        void await(String what, Duration timeout, PrometheusAlertsIntegrationTest.Check check)
                throws Exception {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                poll();
                if (check.ok()) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError(
                            "not within " + timeout + ": " + what + "; fired: " + report());
                }
                Thread.sleep(1000);
            }
        }

        /** Each alert with the starts of its firing episodes, seconds after the watch began. */
        String report() {
            Set<String> lines = new TreeSet<>();
            episodes.forEach(
                    (a, ts) ->
                            lines.add(
                                    a
                                            + " +"
                                            + ts.stream()
                                                    .map(
                                                            t ->
                                                                    String.format(
                                                                            "%.0f",
                                                                            (t - start) / 1e3))
                                                    .collect(
                                                            java.util.stream.Collectors.joining(
                                                                    ", +"))
                                            + " s"));
            return lines.toString();
        }
    }
}
