package io.fmstream.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fmstream.kafka.TopicPreflight;
import io.fmstream.testkit.EmbeddedKafka;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The start-up topic check against a real broker. */
class TopicPreflightTest {

    @RegisterExtension static final EmbeddedKafka KAFKA = EmbeddedKafka.builder().extension();

    @Test
    void refusesToStartNamingEveryMissingAndTooSmallTopic() {
        String small = EmbeddedKafka.uniqueTopic("small");
        String missing = EmbeddedKafka.uniqueTopic("missing");
        KAFKA.createTopics(1, small);
        Map<String, Map<String, String>> topics = new LinkedHashMap<>();
        topics.put(small, Map.of());
        topics.put(missing, Map.of());
        assertThatThrownBy(
                        () ->
                                TopicPreflight.check(
                                        KAFKA.bootstrapServers(), topics, 2, false, (short) 1))
                .hasMessageContaining(
                        "topic " + small + " has 1 partitions, at least 2 are required")
                .hasMessageContaining("topic " + missing + " does not exist");
    }

    @Test
    void createsMissingTopicsWithTheirConfigsAndThenAcceptsThem() throws Exception {
        String sensor = EmbeddedKafka.uniqueTopic("sensor");
        Map<String, Map<String, String>> topics =
                Map.of(sensor, Map.of(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime"));
        TopicPreflight.check(KAFKA.bootstrapServers(), topics, 3, true, (short) 1);

        assertThat(
                        KAFKA.admin()
                                .describeTopics(List.of(sensor))
                                .allTopicNames()
                                .get()
                                .get(sensor)
                                .partitions())
                .hasSize(3);
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, sensor);
        Config config = KAFKA.admin().describeConfigs(List.of(resource)).all().get().get(resource);
        assertThat(config.get(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG).value())
                .isEqualTo("LogAppendTime");
        TopicPreflight.check(KAFKA.bootstrapServers(), topics, 3, false, (short) 1);
    }
}
