package io.fmstream.it;

import io.fmstream.core.model.BundleManifest;
import io.fmstream.core.records.SourceRef;
import io.fmstream.job.FmstreamJob;
import io.fmstream.job.JobSettings;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The production pipeline (topic check, Kafka source, topology, Kafka sinks) submitted to the
 * test's MiniCluster at parallelism 2, cancelled on close. {@code inputHook} may insert an operator
 * after the source (the failure injection); everything else is the job as deployed.
 */
final class RunningJob implements AutoCloseable {

    /**
     * The test class's MiniCluster: one TaskManager with {@code slots} slots ({@link #PARALLELISM}
     * for one job, more for jobs beside it).
     */
    static org.apache.flink.test.junit5.MiniClusterExtension miniCluster(int slots) {
        return miniCluster(slots, new Configuration());
    }

    /** As above, with both metric reporters on loopback ports ({@link PrometheusScrape}). */
    static org.apache.flink.test.junit5.MiniClusterExtension miniCluster(
            int slots, int fmstreamMetricsPort, int flinkMetricsPort) {
        return miniCluster(
                slots,
                PrometheusScrape.reporterConfiguration(fmstreamMetricsPort, flinkMetricsPort));
    }

    private static org.apache.flink.test.junit5.MiniClusterExtension miniCluster(
            int slots, Configuration configuration) {
        return new org.apache.flink.test.junit5.MiniClusterExtension(
                new org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration.Builder()
                        .setNumberTaskManagers(1)
                        .setNumberSlotsPerTaskManager(slots)
                        .setConfiguration(configuration)
                        .build());
    }

    static final int PARALLELISM = 2;

    final JobSettings settings;
    final BundleManifest manifest;
    final JobClient client;

    private RunningJob(JobSettings settings, BundleManifest manifest, JobClient client) {
        this.settings = settings;
        this.manifest = manifest;
        this.client = client;
    }

    static RunningJob start(
            Configuration conf, String name, UnaryOperator<DataStream<SourceRef>> inputHook)
            throws Exception {
        return start(conf, name, inputHook, null);
    }

    /** As above, restored from {@code savepoint} (a URI) when it is not null. */
    static RunningJob start(
            Configuration conf,
            String name,
            UnaryOperator<DataStream<SourceRef>> inputHook,
            String savepoint)
            throws Exception {
        return start(conf, name, inputHook, savepoint, true);
    }

    /**
     * As above; without restarts ({@code allowRestarts} false) any task failure fails the job, so a
     * test can assert it never restarted by finding it still running.
     */
    static RunningJob start(
            Configuration conf,
            String name,
            UnaryOperator<DataStream<SourceRef>> inputHook,
            String savepoint,
            boolean allowRestarts)
            throws Exception {
        Configuration restart = new Configuration();
        if (allowRestarts) {
            restart.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
            restart.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
            restart.set(
                    RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY,
                    Duration.ofMillis(500));
        } else {
            restart.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        }
        return start(conf, name, inputHook, savepoint, restart);
    }

    /**
     * As above with the job's Flink configuration ({@code flink}: restart strategy, checkpoint
     * storage, ...) given by the test.
     */
    static RunningJob start(
            Configuration conf,
            String name,
            UnaryOperator<DataStream<SourceRef>> inputHook,
            String savepoint,
            Configuration flink)
            throws Exception {
        JobSettings settings = JobSettings.from(conf);
        BundleManifest manifest = FmstreamJob.readManifest(settings.bundleUri);
        Configuration flinkConf = new Configuration(flink);
        if (savepoint != null) {
            flinkConf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
        }
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(flinkConf);
        env.setParallelism(PARALLELISM);
        FmstreamJob.configure(env, settings);
        FmstreamJob.checkTopics(settings);
        DataStream<SourceRef> input = inputHook.apply(FmstreamJob.kafkaSource(env, settings));
        FmstreamJob.attachKafkaSinks(
                FmstreamJob.build(input, settings, manifest), settings, manifest);
        return new RunningJob(settings, manifest, env.executeAsync(name));
    }

    /** Stops the job with a canonical savepoint under {@code dir}; returns the savepoint folder. */
    Path stopWithSavepoint(Path dir) throws Exception {
        String savepoint =
                client.stopWithSavepoint(
                                false, dir.toUri().toString(), SavepointFormatType.CANONICAL)
                        .get(60, TimeUnit.SECONDS);
        return Path.of(URI.create(savepoint));
    }

    @Override
    public void close() throws Exception {
        // A job stopped with a savepoint has finished already: nothing to cancel.
        if (!client.getJobStatus().get().isTerminalState()) {
            client.cancel().get();
        }
    }
}
