package io.fmstream.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fmstream.core.window.WindowPhase;
import java.time.Duration;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

class JobSettingsTest {

    private static final String[] REQUIRED = {
        "--fmstream.kafka.bootstrap-servers", "kafka:9092", "--fmstream.bundle", "s3://models/ecg"
    };

    @Test
    void parsesProgramArgumentsWithDefaultsForEverythingElse() {
        JobSettings s = JobSettings.from(FmstreamJob.parseArgs(REQUIRED));
        assertThat(s.bootstrapServers).isEqualTo("kafka:9092");
        assertThat(s.bundleUri).isEqualTo("s3://models/ecg");
        assertThat(s.windowHopOverride).as("unset: the bundle's hop applies").isNull();
        assertThat(s.windowPhase).isEqualTo(WindowPhase.DEVICE);
        assertThat(s.unrecordedWindowPhase)
                .as("unset: states from before grids were recorded are on the epoch grid")
                .isEqualTo(WindowPhase.EPOCH);
        assertThat(s.batchPolicy).isEqualTo(FmstreamOptions.BatchPolicy.CONTINUOUS);
        assertThat(s.allowedLateness).isEqualTo(Duration.ofSeconds(60));
        assertThat(s.maxMissingFraction).isEqualTo(0.2);
        assertThat(s.delivery).isEqualTo(FmstreamOptions.Delivery.EXACTLY_ONCE);
        assertThat(s.maxParallelism).isEqualTo(128);
        assertThat(s.validation.maxFutureMicros()).isEqualTo(300_000_000L);
    }

    @Test
    void refusesAnUnknownFmstreamOptionNamingIt() {
        String[] args = {
            REQUIRED[0], REQUIRED[1], REQUIRED[2], REQUIRED[3], "--fmstream.window.hopp", "10 s"
        };
        assertThatThrownBy(() -> FmstreamJob.parseArgs(args))
                .hasMessageContaining("Unknown option fmstream.window.hopp");
    }

    @Test
    void refusesADurationWithoutItsUnitAndNeverEchoesAStrayValue() {
        // Flink reads a bare number as milliseconds: 1800 was 1.8 s of idle timeout
        assertThatThrownBy(() -> settings("--fmstream.device.idle-timeout", "1800"))
                .hasMessageContaining("fmstream.device.idle-timeout '1800' has no unit");
        assertThat(settings("--fmstream.device.idle-timeout", "1800s").deviceIdleTimeout)
                .isEqualTo(Duration.ofMinutes(30));
        // a token split off a quoted password by the shell: its position, never its text
        String[] stray = {REQUIRED[0], REQUIRED[1], REQUIRED[2], REQUIRED[3], "s3cr3t"};
        assertThatThrownBy(() -> FmstreamJob.parseArgs(stray))
                .hasMessageContaining("argument 5 of 5 is not a --key")
                .hasMessageNotContaining("s3cr3t");
    }

    @Test
    void refusesValidationBoundsThatLetABadChunkThroughOrRejectEveryChunk() {
        assertThatThrownBy(() -> settings("--fmstream.validation.min-sample-rate", "0"))
                .hasMessageContaining("0 < min <= max");
        assertThatThrownBy(() -> settings("--fmstream.validation.min-sample-rate", "2500"))
                .hasMessageContaining("0 < min <= max");
        assertThatThrownBy(() -> settings("--fmstream.validation.max-saturated-fraction", "20"))
                .hasMessageContaining("saturated fraction must be in [0, 1]");
    }

    @Test
    void refusesARelativeBundlePath() {
        String[] relative = {REQUIRED[0], REQUIRED[1], "--fmstream.bundle", "model-artifacts/b"};
        assertThatThrownBy(() -> JobSettings.from(FmstreamJob.parseArgs(relative)))
                .hasMessageContaining("'model-artifacts/b' is a relative path");
        String[] absolute = {REQUIRED[0], REQUIRED[1], "--fmstream.bundle", "/opt/bundles/b"};
        assertThat(JobSettings.from(FmstreamJob.parseArgs(absolute)).bundleUri)
                .isEqualTo("/opt/bundles/b");
    }

    @Test
    void refusesBatchesAndToleranceThatOverflowOnTheTaskManager() {
        assertThatThrownBy(() -> settings("--fmstream.batch.size", "1000000"))
                .hasMessageContaining("fmstream.batch.size must be at most 4096");
        assertThatThrownBy(() -> settings("--fmstream.checkpoint-tolerable-failures", "2147483647"))
                .hasMessageContaining("must be in [0, 1000]");
    }

    @Test
    void refusesDeadLettersLargerThanTheSinkProducerSends() {
        // whole records kept (2 MiB) against Kafka's 1 MiB default: one dead letter failed the
        // sink and the job restarted into it for ever
        assertThatThrownBy(() -> settings("--fmstream.dead-letters.max-kept-bytes", "2097152"))
                .hasMessageContaining("over the sink producer's max.request.size (1048576,");
        assertThatThrownBy(() -> settings("--fmstream.kafka.properties.max.request.size", "262144"))
                .hasMessageContaining("fmstream.dead-letters.max-kept-bytes (524288)");
        assertThat(
                        settings(
                                        "--fmstream.dead-letters.max-kept-bytes",
                                        "2097152",
                                        "--fmstream.kafka.properties.max.request.size",
                                        "4194304")
                                .deadLetterMaxKeptBytes)
                .isEqualTo(2097152);
    }

    @Test
    void readsTheClustersConfigurationUnderTheProgramArguments() {
        // as flink run hands the job its environment: config.yaml / -D, then the arguments
        Configuration cluster = new Configuration();
        cluster.setString("fmstream.kafka.bootstrap-servers", "kafka:9092");
        cluster.setString("fmstream.bundle", "s3://models/ecg");
        cluster.setString("fmstream.transactional-id-prefix", "ward-7");
        cluster.setString("fmstream.kafka.properties.ssl.keystore.password", "from-the-cluster");
        cluster.setString("fmstream.delivery", "AT_LEAST_ONCE");
        cluster.setString("taskmanager.numberOfTaskSlots", "2");
        cluster.addAll(FmstreamJob.parseArgs(new String[] {"--fmstream.delivery", "EXACTLY_ONCE"}));
        JobSettings s = JobSettings.from(FmstreamJob.fmstreamOptions(cluster));
        assertThat(s.transactionalIdPrefix).isEqualTo("ward-7");
        assertThat(s.kafkaProperties).containsEntry("ssl.keystore.password", "from-the-cluster");
        assertThat(s.delivery).isEqualTo(FmstreamOptions.Delivery.EXACTLY_ONCE);
        // checked as the arguments are
        cluster.setString("fmstream.device.idle-timout", "30 min");
        assertThatThrownBy(() -> FmstreamJob.fmstreamOptions(cluster))
                .hasMessageContaining("Unknown option fmstream.device.idle-timout");
    }

    private static JobSettings settings(String... extra) {
        String[] args = new String[REQUIRED.length + extra.length];
        System.arraycopy(REQUIRED, 0, args, 0, REQUIRED.length);
        System.arraycopy(extra, 0, args, REQUIRED.length, extra.length);
        return JobSettings.from(FmstreamJob.parseArgs(args));
    }

    @Test
    void passesKafkaClientPropertiesThroughAndRefusesTheOnesTheJobSetsItself() {
        String[] args = {
            REQUIRED[0],
            REQUIRED[1],
            REQUIRED[2],
            REQUIRED[3],
            "--fmstream.kafka.properties.security.protocol",
            "SASL_SSL",
            "--fmstream.kafka.properties.sasl.mechanism",
            "SCRAM-SHA-512",
            "--fmstream.kafka.properties.sasl.jaas.config",
            "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"job\";"
        };
        JobSettings s = JobSettings.from(FmstreamJob.parseArgs(args));
        assertThat(s.kafkaProperties)
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsKey("sasl.jaas.config")
                .hasSize(3);

        String[] isolation = {
            REQUIRED[0],
            REQUIRED[1],
            REQUIRED[2],
            REQUIRED[3],
            "--fmstream.kafka.properties.isolation.level",
            "read_uncommitted"
        };
        assertThatThrownBy(() -> JobSettings.from(FmstreamJob.parseArgs(isolation)))
                .hasMessageContaining("fmstream.kafka.properties.isolation.level")
                .hasMessageContaining("read_committed");
        String[] timeout = {
            REQUIRED[0],
            REQUIRED[1],
            REQUIRED[2],
            REQUIRED[3],
            "--fmstream.kafka.properties.transaction.timeout.ms",
            "1000"
        };
        assertThatThrownBy(() -> JobSettings.from(FmstreamJob.parseArgs(timeout)))
                .hasMessageContaining("fmstream.transaction-timeout");
        // Offsets committed ahead of the checkpoints would skip unprocessed records at a fresh
        // start, and a group whose offsets never move hides the job's lag.
        for (String[] kv :
                new String[][] {
                    {"enable.auto.commit", "true"},
                    {"commit.offsets.on.checkpoint", "false"},
                    {"auto.offset.reset", "latest"}
                }) {
            String[] reserved = {
                REQUIRED[0],
                REQUIRED[1],
                REQUIRED[2],
                REQUIRED[3],
                "--fmstream.kafka.properties." + kv[0],
                kv[1]
            };
            assertThatThrownBy(() -> JobSettings.from(FmstreamJob.parseArgs(reserved)))
                    .hasMessageContaining("fmstream.kafka.properties." + kv[0])
                    .hasMessageContaining("is set by fmstream itself");
        }
    }

    @Test
    void namesAMissingRequiredSetting() {
        assertThatThrownBy(
                        () ->
                                JobSettings.from(
                                        FmstreamJob.parseArgs(
                                                new String[] {REQUIRED[0], REQUIRED[1]})))
                .hasMessageContaining("fmstream.bundle")
                .hasMessageContaining("Required");
    }

    @Test
    void theWindowPhaseReachesTheJobsWindowSpecAndAnUnknownOneIsRefusedNamingTheOption() {
        String[] args = {
            REQUIRED[0], REQUIRED[1], REQUIRED[2], REQUIRED[3], "--fmstream.window.phase", "DEVICE"
        };
        JobSettings s = JobSettings.from(FmstreamJob.parseArgs(args));
        assertThat(s.windowPhase).isEqualTo(WindowPhase.DEVICE);
        assertThat(s.unrecordedWindowPhase)
                .as("set: it applies to them too")
                .isEqualTo(WindowPhase.DEVICE);
        var manifest =
                FmstreamJob.readManifest(
                        io.fmstream.data.RepositoryLayout.fixtureBundle().toUri().toString());
        assertThat(FmstreamJob.windowSpec(s, manifest).phase()).isEqualTo(WindowPhase.DEVICE);
        String[] epoch = {
            REQUIRED[0], REQUIRED[1], REQUIRED[2], REQUIRED[3], "--fmstream.window.phase", "EPOCH"
        };
        JobSettings e = JobSettings.from(FmstreamJob.parseArgs(epoch));
        assertThat(FmstreamJob.windowSpec(e, manifest).phase()).isEqualTo(WindowPhase.EPOCH);
        assertThat(e.unrecordedWindowPhase).isEqualTo(WindowPhase.EPOCH);
        String[] bad = {
            REQUIRED[0], REQUIRED[1], REQUIRED[2], REQUIRED[3], "--fmstream.window.phase", "DEVICES"
        };
        assertThatThrownBy(() -> JobSettings.from(FmstreamJob.parseArgs(bad)))
                .hasMessageContaining("fmstream.window.phase");
    }

    @Test
    void theNetworkBufferTimeoutIsTenMillisecondsUnlessSetAndReachesTheEnvironment() {
        assertThat(JobSettings.from(FmstreamJob.parseArgs(REQUIRED)).networkBufferTimeout)
                .isEqualTo(Duration.ofMillis(10));
        String[] args = {
            REQUIRED[0],
            REQUIRED[1],
            REQUIRED[2],
            REQUIRED[3],
            "--fmstream.network.buffer-timeout",
            "100 ms"
        };
        var env =
                org.apache.flink.streaming.api.environment.StreamExecutionEnvironment
                        .getExecutionEnvironment();
        FmstreamJob.configure(env, JobSettings.from(FmstreamJob.parseArgs(args)));
        assertThat(env.getBufferTimeout()).isEqualTo(100L);
    }

    @Test
    void refusesOutOfRangeValues() {
        Configuration c = FmstreamJob.parseArgs(REQUIRED);
        c.set(FmstreamOptions.MAX_MISSING_FRACTION, 1.5);
        assertThatThrownBy(() -> JobSettings.from(c))
                .hasMessageContaining("fmstream.window.max-missing-fraction");
        Configuration d = FmstreamJob.parseArgs(REQUIRED);
        d.set(FmstreamOptions.BATCH_SIZE, 0);
        assertThatThrownBy(() -> JobSettings.from(d)).hasMessageContaining("fmstream.batch.size");
        Configuration e = FmstreamJob.parseArgs(REQUIRED);
        e.set(FmstreamOptions.WINDOW_HOP, Duration.ZERO);
        assertThatThrownBy(() -> JobSettings.from(e)).hasMessageContaining("fmstream.window.hop");
    }

    /**
     * A transaction timeout the broker would reach before the commit loses the outputs: the commit
     * comes with the next completed checkpoint, up to (tolerated failures + 1) intervals later.
     */
    /**
     * A hung checkpoint must fail in time for a later one to commit the transactions it holds:
     * unset, the checkpoint timeout is the transaction timeout / (tolerable + 2) (Flink's default,
     * 10 min, equals the default transaction timeout, so one hung checkpoint lost a transaction);
     * set, one that lets the checkpoints a transaction waits for outlast it is refused.
     */
    @Test
    void theCheckpointTimeoutEndsTheCheckpointsATransactionWaitsForBeforeItsTimeout() {
        Configuration c = FmstreamJob.parseArgs(REQUIRED);
        assertThat(JobSettings.from(c).checkpointTimeout).isEqualTo(Duration.ofMinutes(2));
        c.set(FmstreamOptions.CHECKPOINT_TIMEOUT, Duration.ofMinutes(3));
        assertThatThrownBy(() -> JobSettings.from(c))
                .hasMessageStartingWith(
                        "fmstream.checkpoint-timeout (PT3M) x 5 (with"
                                + " fmstream.checkpoint-tolerable-failures = 3) exceeds"
                                + " fmstream.transaction-timeout (PT10M)")
                .hasMessageContaining("at most PT2M");
        c.set(FmstreamOptions.CHECKPOINT_TIMEOUT, Duration.ofSeconds(30));
        assertThat(JobSettings.from(c).checkpointTimeout).isEqualTo(Duration.ofSeconds(30));
        // A timeout under the interval: the interval bounds each checkpoint's turn.
        c.set(FmstreamOptions.CHECKPOINT_INTERVAL, Duration.ofMinutes(2));
        c.set(FmstreamOptions.CHECKPOINT_TIMEOUT, Duration.ofSeconds(5));
        assertThat(JobSettings.from(c).checkpointTimeout).isEqualTo(Duration.ofSeconds(5));
        // At least once: no transaction to outlast, Flink's default unless set.
        Configuration once = FmstreamJob.parseArgs(REQUIRED);
        once.set(FmstreamOptions.DELIVERY, FmstreamOptions.Delivery.AT_LEAST_ONCE);
        assertThat(JobSettings.from(once).checkpointTimeout).isNull();
        // A cluster's own execution.checkpointing.timeout stands within the bound, and is refused
        // beyond it rather than silently replaced.
        var env = withFlinkCheckpointTimeout(Duration.ofMinutes(1));
        FmstreamJob.configure(env, JobSettings.from(FmstreamJob.parseArgs(REQUIRED)));
        assertThat(env.getCheckpointConfig().getCheckpointTimeout())
                .isEqualTo(Duration.ofMinutes(1).toMillis());
        var tooLong = withFlinkCheckpointTimeout(Duration.ofMinutes(10));
        assertThatThrownBy(
                        () ->
                                FmstreamJob.configure(
                                        tooLong, JobSettings.from(FmstreamJob.parseArgs(REQUIRED))))
                .hasMessageStartingWith("execution.checkpointing.timeout (PT10M) x 5");
        // The accuracy job applies the same rule.
        assertThat(
                        io.fmstream.job.accuracy.AccuracyJob.Settings.from(
                                        FmstreamJob.parseArgs(REQUIRED))
                                .checkpointTimeout())
                .isEqualTo(Duration.ofMinutes(2));
    }

    @Test
    void theAccuracyJobReadsTheSharedOptionsByTheSameRules() {
        var accuracy =
                io.fmstream.job.accuracy.AccuracyJob.Settings.from(FmstreamJob.parseArgs(REQUIRED));
        assertThat(accuracy.maxParallelism()).isEqualTo(128);
        String[] secret = {
            REQUIRED[0],
            REQUIRED[1],
            REQUIRED[2],
            REQUIRED[3],
            "--fmstream.kafka.properties.ssl.truststore.password",
            "s3cr3t"
        };
        var withSecret =
                io.fmstream.job.accuracy.AccuracyJob.Settings.from(FmstreamJob.parseArgs(secret));
        assertThat(withSecret.kafkaProperties()).containsEntry("ssl.truststore.password", "s3cr3t");
        assertThat(withSecret.toString()).doesNotContain("s3cr3t").contains("******");
        String[] zero = {
            REQUIRED[0], REQUIRED[1], REQUIRED[2], REQUIRED[3], "--fmstream.topics.partitions", "0"
        };
        assertThatThrownBy(
                        () ->
                                io.fmstream.job.accuracy.AccuracyJob.Settings.from(
                                        FmstreamJob.parseArgs(zero)))
                .hasMessage("fmstream.topics.partitions must be > 0, got 0");
    }

    @Test
    void refusesATransactionTimeoutShorterThanTheCheckpointsItMayWaitFor() {
        Configuration c = FmstreamJob.parseArgs(REQUIRED);
        c.set(FmstreamOptions.CHECKPOINT_INTERVAL, Duration.ofSeconds(30));
        c.set(FmstreamOptions.TRANSACTION_TIMEOUT, Duration.ofSeconds(120));
        assertThatThrownBy(() -> JobSettings.from(c))
                .hasMessageStartingWith(
                        "fmstream.transaction-timeout (PT2M) must be at least 5 x"
                                + " fmstream.checkpoint-interval (PT30S) with"
                                + " fmstream.checkpoint-tolerable-failures = 3");
        c.set(FmstreamOptions.TRANSACTION_TIMEOUT, Duration.ofSeconds(150));
        assertThat(JobSettings.from(c).transactionTimeout).isEqualTo(Duration.ofSeconds(150));
        // Tolerating no failed checkpoint, the next interval is all a transaction waits for.
        c.set(FmstreamOptions.TRANSACTION_TIMEOUT, Duration.ofSeconds(45));
        c.set(FmstreamOptions.TOLERABLE_FAILED_CHECKPOINTS, 0);
        assertThatThrownBy(() -> JobSettings.from(c))
                .hasMessageStartingWith(
                        "fmstream.transaction-timeout (PT45S) must be at least 2 x");
        c.set(FmstreamOptions.TRANSACTION_TIMEOUT, Duration.ofSeconds(60));
        assertThat(JobSettings.from(c).tolerableFailedCheckpoints).isZero();
        // Without transactions the timeout is not used.
        c.set(FmstreamOptions.TRANSACTION_TIMEOUT, Duration.ofSeconds(45));
        c.set(FmstreamOptions.DELIVERY, FmstreamOptions.Delivery.AT_LEAST_ONCE);
        assertThat(JobSettings.from(c).delivery).isEqualTo(FmstreamOptions.Delivery.AT_LEAST_ONCE);
        c.set(FmstreamOptions.TOLERABLE_FAILED_CHECKPOINTS, -1);
        assertThatThrownBy(() -> JobSettings.from(c))
                .hasMessage("fmstream.checkpoint-tolerable-failures must be in [0, 1000], got -1");
    }

    /** The job rides out failed checkpoints (Flink's own default restarts it at the first). */
    @Test
    void theJobToleratesTheConfiguredFailedCheckpoints() {
        Configuration c = FmstreamJob.parseArgs(REQUIRED);
        var env =
                org.apache.flink.streaming.api.environment.StreamExecutionEnvironment
                        .getExecutionEnvironment();
        FmstreamJob.configure(env, JobSettings.from(c));
        assertThat(env.getCheckpointConfig().getTolerableCheckpointFailureNumber()).isEqualTo(3);
        assertThat(env.getCheckpointConfig().getCheckpointTimeout())
                .isEqualTo(Duration.ofMinutes(2).toMillis());
        // Chained operators share records (FmstreamJob.configure says why that is safe).
        assertThat(env.getConfig().isObjectReuseEnabled()).isTrue();
        c.set(FmstreamOptions.TOLERABLE_FAILED_CHECKPOINTS, 0);
        FmstreamJob.configure(env, JobSettings.from(c));
        assertThat(env.getCheckpointConfig().getTolerableCheckpointFailureNumber()).isZero();
    }

    /** An environment whose Flink configuration sets execution.checkpointing.timeout. */
    private static org.apache.flink.streaming.api.environment.StreamExecutionEnvironment
            withFlinkCheckpointTimeout(Duration timeout) {
        Configuration flink = new Configuration();
        flink.set(
                org.apache.flink.configuration.CheckpointingOptions.CHECKPOINTING_TIMEOUT, timeout);
        return org.apache.flink.streaming.api.environment.StreamExecutionEnvironment
                .getExecutionEnvironment(flink);
    }
}
