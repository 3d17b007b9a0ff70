package io.fmstream.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.core.records.SourceRef;
import io.fmstream.job.FmstreamOptions;
import io.fmstream.testkit.EmbeddedKafka;
import io.fmstream.tools.SimulateCommand;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

/**
 * {@code FmstreamCommitsLost} fired by the loss it is written for: a checkpoint that takes longer
 * than the transaction timeout. The sinks pre-commit their transactions when the checkpoint's
 * barrier reaches them; the checkpoint completes only when every task has snapshotted, and here the
 * source task's snapshot is held 12 s once (a test operator chained to the source, so no new record
 * flows meanwhile and no later transaction is opened). The broker aborts the pre-committed
 * transactions at the 3 s timeout; when the checkpoint completes, Flink's committer cannot commit
 * them, logs it and goes on (fmstream's committer counts it in {@code
 * fmstream_sink_commits_lost_total{reason="aborted"}}): those outputs are lost, and before this
 * alert nothing but a log line said so. Against a live job scraped by Debian's Prometheus (rules as
 * shipped, windows shortened as in {@link LocalPrometheus}): silent while checkpoints are prompt,
 * firing after the slow one.
 */
class CommitsLostAlertIntegrationTest {

    private static final int FMSTREAM_PORT = PrometheusScrape.freePort();
    private static final int FLINK_PORT = PrometheusScrape.freePort();

    /** The broker looks for timed-out transactions every 10 s by default. */
    @RegisterExtension
    static final EmbeddedKafka KAFKA =
            EmbeddedKafka.builder()
                    .brokerProperty(
                            "transaction.abort.timed.out.transaction.cleanup.interval.ms", "500")
                    .extension();

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            RunningJob.miniCluster(RunningJob.PARALLELISM, FMSTREAM_PORT, FLINK_PORT);

    @Test
    void aCheckpointSlowerThanTheTransactionTimeoutFiresTheAlert() throws Exception {
        String suffix = IntegrationSettings.uniqueSuffix();
        Configuration conf = IntegrationSettings.forRun(KAFKA.bootstrapServers(), suffix);
        conf.set(FmstreamOptions.TRANSACTION_TIMEOUT, Duration.ofSeconds(3));
        conf.set(FmstreamOptions.TOLERABLE_FAILED_CHECKPOINTS, 0);
        // Windows on each device's own phase, so that outputs flow every checkpoint (40 devices:
        // 8 windows a second against a 0.5 s interval) and the checkpoint held has records in its
        // transactions; on the epoch grid they came in a burst every 5 s and one checkpoint in
        // ten had any. The sinks keep the job's defaults (50 ms linger).
        conf.set(FmstreamOptions.WINDOW_PHASE, io.fmstream.core.window.WindowPhase.DEVICE);
        HoldSnapshot.ARMED.set(false);
        HoldSnapshot.TARGET.set(Long.MAX_VALUE);
        try (LocalPrometheus prometheus =
                        LocalPrometheus.start(
                                List.of("127.0.0.1:" + FMSTREAM_PORT, "127.0.0.1:" + FLINK_PORT));
                RunningJob job =
                        RunningJob.start(
                                conf,
                                "commits-lost-" + suffix,
                                in ->
                                        in.map(
                                                        new HoldSnapshot(),
                                                        TypeInformation.of(SourceRef.class))
                                                .uid("test-hold-snapshot")
                                                .name("Hold snapshot"))) {
            CompletableFuture<Integer> simulator =
                    CompletableFuture.supplyAsync(
                            () ->
                                    new CommandLine(new SimulateCommand())
                                            .execute(
                                                    "--bootstrap-servers",
                                                    KAFKA.bootstrapServers(),
                                                    "--topic",
                                                    job.settings.sensorTopic,
                                                    "--create-topics",
                                                    "--devices",
                                                    "40",
                                                    "--duration",
                                                    "PT120S",
                                                    "--metrics-port",
                                                    "0"));
            try {
                // What the alert reads: transactions given up on that are lost (here aborted by
                // the broker at the transaction timeout), not Flink's failedCommittables.
                String failures = "sum(fmstream_sink_commits_lost_total{reason=\"aborted\"})";
                String committed =
                        "sum(flink_taskmanager_job_task_operator_successfulCommittables)";
                PrometheusAlertsIntegrationTest.await(
                        "transactions committed",
                        Duration.ofSeconds(120),
                        () -> value(prometheus, committed) > 0);
                for (int i = 0; i < 5; i++) {
                    assertThat(value(prometheus, failures)).as("failed commits").isZero();
                    assertThat(prometheus.firing()).doesNotContain("FmstreamCommitsLost");
                    Thread.sleep(1000);
                }

                // The checkpoint held is the next one after an open transaction of the job is
                // seen (held again, up to four times, should its transactions have been empty).
                String prefix = conf.get(FmstreamOptions.TRANSACTIONAL_ID_PREFIX);
                long fault = 0;
                for (int attempt = 0; attempt < 4 && value(prometheus, failures) == 0; attempt++) {
                    long deadline = System.nanoTime() + 20_000_000_000L;
                    while (System.nanoTime() < deadline
                            && io.fmstream.kafka.Transactions.under(
                                            KAFKA.admin(), prefix, Duration.ofSeconds(5))
                                    .stream()
                                    .noneMatch(io.fmstream.kafka.Transactions.Txn::open)) {
                        Thread.sleep(20);
                    }
                    fault = System.currentTimeMillis();
                    HoldSnapshot.ARMED.set(true);
                    // The held checkpoint completes 12 s on; its commits fail then.
                    long until = System.nanoTime() + 20_000_000_000L;
                    while (System.nanoTime() < until && value(prometheus, failures) == 0) {
                        Thread.sleep(500);
                    }
                    System.out.printf(
                            "hold %d: %.0f commits failed%n",
                            attempt + 1, value(prometheus, failures));
                }
                PrometheusAlertsIntegrationTest.await(
                        "FmstreamCommitsLost firing",
                        Duration.ofSeconds(30),
                        () -> prometheus.firing().contains("FmstreamCommitsLost"));
                double lost = value(prometheus, failures);
                System.out.printf(
                        "FmstreamCommitsLost fired %.1f s after the slow checkpoint began; %.0f"
                                + " transactions not committed%n",
                        (System.currentTimeMillis() - fault) / 1000.0, lost);
                assertThat(HoldSnapshot.HELD.get()).as("the snapshot was held").isTrue();
                assertThat(lost).as("transactions the committer gave up on").isPositive();
            } finally {
                simulator.cancel(true);
            }
        }
    }

    /** The single value of {@code promql}, 0 when it has none. */
    private static double value(LocalPrometheus prometheus, String promql) throws Exception {
        var r = prometheus.query(promql);
        return r.isEmpty() ? 0 : r.get(0).at("/value/1").asDouble();
    }

    /**
     * Passes records through; once {@link #ARMED}, every subtask holds its snapshot of the next
     * checkpoint 12 s, four times the 3 s transaction timeout (all of them, whichever snapshots
     * first chooses the checkpoint: a source subtask still running would open transactions that
     * time out too, fail its writer and restart the job before the checkpoint completes). The
     * checkpoint's barrier has gone downstream by then: Flink sends it before taking the snapshot.
     */
    static final class HoldSnapshot
            implements MapFunction<SourceRef, SourceRef>, CheckpointedFunction {
        static final AtomicBoolean ARMED = new AtomicBoolean();
        static final AtomicBoolean HELD = new AtomicBoolean();
        static final java.util.concurrent.atomic.AtomicLong TARGET =
                new java.util.concurrent.atomic.AtomicLong(Long.MAX_VALUE);

        @Override
        public SourceRef map(SourceRef value) {
            return value;
        }

        @Override
        public void snapshotState(FunctionSnapshotContext context) throws Exception {
            long id = context.getCheckpointId();
            if (ARMED.compareAndSet(true, false)) {
                TARGET.set(id);
            }
            if (id == TARGET.get()) {
                HELD.set(true);
                // Not 6 s (twice the timeout), as before: with the sinks' 50 ms linger a 6 s hold
                // lost no transaction in 2 of 2 runs, 4 holds each (no commit failed at all, with
                // records in every checkpoint), where with Kafka's 5 ms linger the first hold
                // lost them; 12 s lost them at the first hold in 3 of 3 runs. Why 6 s is not
                // enough with the linger is not found.
                Thread.sleep(12_000);
            }
        }

        @Override
        public void initializeState(FunctionInitializationContext context) {}
    }
}
