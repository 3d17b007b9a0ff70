package io.fmstream.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The broker used as a JUnit extension: started before the class, shared by nested classes. */
class EmbeddedKafkaExtensionTest {

    @RegisterExtension static final EmbeddedKafka KAFKA = EmbeddedKafka.builder().extension();

    @Test
    void brokerIsRunningInTests() {
        String topic = EmbeddedKafka.uniqueTopic("ext");
        KAFKA.createTopics(1, topic);
        KAFKA.produce(topic, null, "v".getBytes(StandardCharsets.UTF_8));
        assertThat(KAFKA.drain(topic, 1, Duration.ofSeconds(20))).hasSize(1);
    }

    @Nested
    class NestedTests {
        @Test
        void nestedClassSeesTheSameBroker() {
            assertThat(KAFKA.bootstrapServers()).isNotBlank();
        }
    }

    @Nested
    class SecondNestedClass {
        @Test
        void brokerSurvivesTheFirstNestedClass() {
            String topic = EmbeddedKafka.uniqueTopic("ext-nested");
            KAFKA.createTopics(2, topic);
            assertThat(KAFKA.drainUntilQuiet(topic, Duration.ofMillis(300), Duration.ofSeconds(5)))
                    .isEmpty();
        }
    }
}
