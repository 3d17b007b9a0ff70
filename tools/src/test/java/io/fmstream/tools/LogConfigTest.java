package io.fmstream.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.data.RepositoryLayout;
import java.io.InputStream;
import java.nio.file.Files;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.Filter;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.ConfigurationSource;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.properties.PropertiesConfigurationFactory;
import org.apache.logging.log4j.core.impl.Log4jLogEvent;
import org.apache.logging.log4j.message.SimpleMessage;
import org.junit.jupiter.api.Test;

/**
 * The command-line programs' log configuration silences exactly the known Flink-internal metric
 * name collisions (six WARN lines per checkpoint in the demo) and the heartbeat dropped at
 * shut-down, and nothing else of those loggers.
 */
class LogConfigTest {

    private static final String COLLISION =
            "Name collision: Group already contains a Metric with the name '%s'. Metric will not"
                    + " be reported.[, taskmanager, tm-1, fmstream demo, Predictions (Kafka):"
                    + " Committer, 1]";

    @Test
    void flinksRepeatedCommitterGaugeCollisionsAreDroppedAndOtherCollisionsKept() throws Exception {
        Configuration config;
        try (InputStream in =
                Files.newInputStream(
                        RepositoryLayout.root()
                                .resolve("tools/src/main/resources/log4j2-tools.properties"))) {
            config =
                    new PropertiesConfigurationFactory()
                            .getConfiguration(
                                    new LoggerContext("test"), new ConfigurationSource(in));
        }
        config.initialize();
        LoggerConfig metricGroup = config.getLoggerConfig("org.apache.flink.metrics.MetricGroup");
        assertThat(metricGroup.getName()).isEqualTo("org.apache.flink.metrics.MetricGroup");
        assertThat(metricGroup.getLevel())
                .as("the logger keeps the root level")
                .isEqualTo(Level.WARN);

        assertThat(decide(metricGroup, "pendingCommittables")).isEqualTo(Filter.Result.DENY);
        assertThat(decide(metricGroup, "currentSendTime")).isEqualTo(Filter.Result.DENY);
        assertThat(decide(metricGroup, "fmstream_dead_letters")).isEqualTo(Filter.Result.NEUTRAL);
        assertThat(decide(metricGroup, "pendingCommittablesTotal"))
                .isEqualTo(Filter.Result.NEUTRAL);
        assertThat(config.getLoggerConfig("io.fmstream").getLevel()).isEqualTo(Level.INFO);

        // A heartbeat dropped while the MiniCluster shuts down: silenced; the RPC layer's other
        // messages are kept.
        LoggerConfig rpc =
                config.getLoggerConfig(
                        "org.apache.flink.runtime.rpc.RpcEndpoint$MainThreadExecutor");
        assertThat(rpc.getName()).isEqualTo("org.apache.flink.runtime.rpc");
        assertThat(rpc.getLevel()).isEqualTo(Level.WARN);
        assertThat(
                        decideMessage(
                                rpc,
                                "The scheduled executor service is shutdown and ignores the"
                                        + " command org.apache.flink.runtime.heartbeat"
                                        + ".DefaultHeartbeatMonitor@7e13279"))
                .isEqualTo(Filter.Result.DENY);
        assertThat(decideMessage(rpc, "Could not start RPC endpoint"))
                .isEqualTo(Filter.Result.NEUTRAL);

        // The state report's result fetcher polling a per-job MiniCluster that has shut down:
        // silenced; its other warnings are kept.
        LoggerConfig collect =
                config.getLoggerConfig(
                        "org.apache.flink.streaming.api.operators.collect.CollectResultFetcher");
        assertThat(collect.getLevel()).isEqualTo(Level.WARN);
        assertThat(
                        decideMessage(
                                collect,
                                "Failed to get job status so we assume that the job has"
                                        + " terminated. Some data might be lost."))
                .isEqualTo(Filter.Result.DENY);
        assertThat(decideMessage(collect, "An exception occurred when fetching query results"))
                .isEqualTo(Filter.Result.NEUTRAL);
    }

    private static Filter.Result decideMessage(LoggerConfig logger, String message) {
        Log4jLogEvent event =
                Log4jLogEvent.newBuilder()
                        .setLoggerName(logger.getName())
                        .setLevel(Level.WARN)
                        .setMessage(new SimpleMessage(message))
                        .build();
        return logger.getFilter().filter(event);
    }

    private static Filter.Result decide(LoggerConfig logger, String metric) {
        return decideMessage(logger, String.format(COLLISION, metric));
    }
}
