package io.fmstream.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * The source's client properties: a bounded job (a backfill) leaves the Kafka consumer's metrics
 * out of Flink's metric group unless the user asks for them; the unbounded job keeps the
 * connector's default.
 */
class SourceClientPropertiesTest {

    private static Properties properties(String... extra) {
        return FmstreamJob.sourceClientProperties(SinkProducerConfigTest.settings(extra));
    }

    @Test
    void aBoundedJobDoesNotRegisterTheConsumersMetrics() {
        assertThat(properties("--fmstream.source.bounded", "true"))
                .containsEntry("register.consumer.metrics", "false");
    }

    @Test
    void theUnboundedJobKeepsTheConnectorsDefault() {
        assertThat(properties()).doesNotContainKey("register.consumer.metrics");
    }

    @Test
    void theUsersChoiceWinsInABoundedJob() {
        Properties p =
                properties(
                        "--fmstream.source.bounded",
                        "true",
                        "--fmstream.kafka.properties.register.consumer.metrics",
                        "true",
                        "--fmstream.kafka.properties.client.rack",
                        "r1");
        assertThat(p)
                .containsEntry("register.consumer.metrics", "true")
                .containsEntry("client.rack", "r1");
    }
}
