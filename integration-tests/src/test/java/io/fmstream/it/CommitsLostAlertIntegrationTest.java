package io.fmstream.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.core.records.SourceRef;
import io.fmstream.job.FmstreamOptions;
import io.fmstream.testkit.EmbeddedKafka;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.TransactionState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code FmstreamCommitsLost} fired by the loss it is written for: a checkpoint that takes longer
 * than the transaction timeout. The sinks pre-commit their transactions when the checkpoint's
 * barrier reaches them; the checkpoint completes only when every task has snapshotted, and here the
 * source task's snapshot is held 6 s once, twice the 3 s timeout (a test operator chained to the
 * source, so no new record flows meanwhile and no later transaction is opened), and only a
 * checkpoint whose transactions hold records. The broker aborts the pre-committed transactions at
 * the timeout; when the checkpoint completes, Flink's committer cannot commit them, logs it and
 * goes on (fmstream's committer counts it in {@code
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

    @org.junit.jupiter.api.AfterEach
    void stopCommands() throws InterruptedException {
        BackgroundCommand.stopAll(); // also after a failed assertion
    }

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
        HoldSnapshot.DECIDED.set(-1);
        String prefix = conf.get(FmstreamOptions.TRANSACTIONAL_ID_PREFIX);
        HoldSnapshot.RECORDS_IN_FLIGHT =
                () ->
                        io.fmstream.kafka.Transactions.under(
                                        KAFKA.admin(), prefix, Duration.ofSeconds(5))
                                .stream()
                                .anyMatch(t -> t.state() == TransactionState.ONGOING);
        try (LocalPrometheus prometheus =
                        LocalPrometheus.start(
                                List.of("127.0.0.1:" + FMSTREAM_PORT, "127.0.0.1:" + FLINK_PORT));
                RunningJob job =
                        RunningJob.start(
                                conf,
                                "commits-lost-" + suffix,
                                in -> {
                                    // The job's checkpoint timeout (transaction timeout / 2
                                    // here) fails a checkpoint held past the transaction
                                    // timeout before it can complete: that loss is what its rule
                                    // prevents. Flink's default again, past the rule, reproduces
                                    // it (as would a commit fenced by another producer).
                                    in.getExecutionEnvironment()
                                            .getCheckpointConfig()
                                            .setCheckpointTimeout(600_000);
                                    return in.map(
                                                    new HoldSnapshot(),
                                                    TypeInformation.of(SourceRef.class))
                                            .uid("test-hold-snapshot")
                                            .name("Hold snapshot");
                                })) {
            BackgroundCommand simulator =
                    BackgroundCommand.simulate(
                            KAFKA.bootstrapServers(), job.settings.sensorTopic, 40, "PT120S");
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

                // The checkpoint held is the first one after arming whose transactions hold
                // records (HoldSnapshot). Held again, up to three times, should its commits not
                // fail: they must, so a second hold is not expected.
                long fault = 0;
                for (int attempt = 0; attempt < 3 && value(prometheus, failures) == 0; attempt++) {
                    fault = System.currentTimeMillis();
                    HoldSnapshot.ARMED.set(true);
                    // The held checkpoint completes 6 s on; its commits fail then.
                    long until = System.nanoTime() + 20_000_000_000L;
                    while (System.nanoTime() < until && value(prometheus, failures) == 0) {
                        Thread.sleep(500);
                    }
                    System.out.printf(
                            "hold %d (checkpoint %d): %.0f commits failed%n",
                            attempt + 1, HoldSnapshot.TARGET.get(), value(prometheus, failures));
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
                simulator.stop();
            }
        }
    }

    /** The single value of {@code promql}, 0 when it has none. */
    private static double value(LocalPrometheus prometheus, String promql) throws Exception {
        var r = prometheus.query(promql);
        return r.isEmpty() ? 0 : r.get(0).at("/value/1").asDouble();
    }

    /**
     * Passes records through; once {@link #ARMED}, every subtask holds its snapshot of the first
     * checkpoint whose transactions hold records 6 s, twice the 3 s transaction timeout (all of
     * them, whichever snapshots first chooses the checkpoint: a source subtask still running would
     * open transactions that time out too, fail its writer and restart the job before the
     * checkpoint completes). The checkpoint's barrier has gone downstream by then: Flink sends it
     * before taking the snapshot.
     *
     * <p>Why "hold records": a checkpoint whose span brought the sinks no window has empty
     * transactions, which the broker never saw and so cannot abort; holding it loses nothing. With
     * 40 devices (8 windows a second) and 0.5 s checkpoints one span in several is empty, and an
     * earlier version, which held the next checkpoint after seeing any open transaction (often the
     * previous checkpoint's, its barrier already past the source), lost nothing in some runs at a 6
     * s hold. So the snapshot checks, with the source stopped in it, whether the sinks have an
     * ongoing transaction at the broker after their 50 ms linger has sent what they hold: the
     * checkpoint's own (the one before is normally committed by then, and no record can follow this
     * barrier while the source waits here). If none, the next checkpoint is tried.
     */
    static final class HoldSnapshot
            implements MapFunction<SourceRef, SourceRef>, CheckpointedFunction {
        static final AtomicBoolean ARMED = new AtomicBoolean();
        static final AtomicBoolean HELD = new AtomicBoolean();
        static final java.util.concurrent.atomic.AtomicLong TARGET =
                new java.util.concurrent.atomic.AtomicLong(Long.MAX_VALUE);

        /** The last checkpoint whose holding was decided (by the first subtask to snapshot it). */
        static final java.util.concurrent.atomic.AtomicLong DECIDED =
                new java.util.concurrent.atomic.AtomicLong(-1);

        /** Whether the job's sinks have a transaction with records open at the broker. */
        static volatile java.util.concurrent.Callable<Boolean> RECORDS_IN_FLIGHT = () -> false;

        @Override
        public SourceRef map(SourceRef value) {
            return value;
        }

        @Override
        public void snapshotState(FunctionSnapshotContext context) throws Exception {
            long id = context.getCheckpointId();
            synchronized (HoldSnapshot.class) {
                if (ARMED.get() && DECIDED.get() != id) {
                    DECIDED.set(id);
                    Thread.sleep(150); // the sinks' 50 ms linger, and then some
                    boolean records;
                    try {
                        records = RECORDS_IN_FLIGHT.call();
                    } catch (Exception e) {
                        // Failing the snapshot would fail the checkpoint and restart the job: the
                        // next checkpoint is tried instead.
                        records = false;
                    }
                    if (records) {
                        TARGET.set(id);
                        ARMED.set(false);
                    }
                }
            }
            if (id == TARGET.get()) {
                HELD.set(true);
                Thread.sleep(6_000);
            }
        }

        @Override
        public void initializeState(FunctionInitializationContext context) {}
    }
}
