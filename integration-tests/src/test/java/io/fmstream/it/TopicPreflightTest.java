package io.fmstream.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fmstream.kafka.TopicPreflight;
import io.fmstream.testkit.EmbeddedKafka;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
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

    /**
     * An existing sensor topic with the producers' timestamps (Kafka's default, CreateTime) is
     * refused with the command that fixes it: the job's event time is the broker's append time, and
     * a device clock running ahead would push its partition's watermark forward.
     */
    @Test
    void refusesAnExistingSensorTopicWithTheProducersTimestampsNamingTheFix() throws Exception {
        String sensor = EmbeddedKafka.uniqueTopic("sensor-createtime");
        KAFKA.createTopics(2, sensor);
        Map<String, Map<String, String>> topics =
                Map.of(sensor, Map.of(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime"));
        // Producers' check (simulate, replay) takes it: the type does not matter to them.
        TopicPreflight.check(KAFKA.bootstrapServers(), topics, 2, true, (short) 1);
        assertThatThrownBy(
                        () -> checkForJob(topics, 2, new TopicPreflight.Requirements(true, null)))
                .hasMessageContaining(
                        "topic "
                                + sensor
                                + " has message.timestamp.type=CreateTime, the job"
                                + " needs LogAppendTime")
                .hasMessageContaining(
                        "--alter --entity-type topics --entity-name "
                                + sensor
                                + " --add-config message.timestamp.type=LogAppendTime");
        // Once altered as the message says, it is accepted.
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, sensor);
        KAFKA.admin()
                .incrementalAlterConfigs(
                        Map.of(
                                resource,
                                List.of(
                                        new AlterConfigOp(
                                                new ConfigEntry(
                                                        TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG,
                                                        "LogAppendTime"),
                                                AlterConfigOp.OpType.SET))))
                .all()
                .get();
        checkForJob(topics, 2, new TopicPreflight.Requirements(true, null));
    }

    /**
     * A transaction timeout over the brokers' transaction.max.timeout.ms (15 min by default) is
     * refused at submission: every sink's producer would fail to start and the job restart for
     * ever.
     */
    @Test
    void refusesATransactionTimeoutOverTheBrokersMaximum() {
        String topic = EmbeddedKafka.uniqueTopic("txn");
        Map<String, Map<String, String>> topics = Map.of(topic, Map.of());
        assertThatThrownBy(
                        () ->
                                checkForJob(
                                        topics,
                                        1,
                                        new TopicPreflight.Requirements(
                                                false, java.time.Duration.ofMinutes(20))))
                .hasMessageContaining(
                        "the transaction timeout (PT20M, fmstream.transaction-timeout) exceeds"
                                + " the brokers' transaction.max.timeout.ms (900000 ms)");
        checkForJob(
                topics,
                1,
                new TopicPreflight.Requirements(false, java.time.Duration.ofMinutes(15)));
    }

    /**
     * Under the ACLs {@code bin/fmstream acls} grants the job may not read broker configs: Kafka's
     * default maximum (15 min) is assumed instead of skipping the check.
     */
    @Test
    void assumesKafkasDefaultMaximumWhereTheBrokersOwnCannotBeRead() {
        String denied = "ClusterAuthorizationException: not authorized";
        assertThat(
                        TopicPreflight.transactionTimeoutProblems(
                                java.time.Duration.ofMinutes(20), null, denied))
                .singleElement()
                .asString()
                .contains("(900000 ms, Kafka's default: the brokers' own could not be read")
                .contains(denied);
        assertThat(
                        TopicPreflight.transactionTimeoutProblems(
                                java.time.Duration.ofMinutes(15), null, denied))
                .isEmpty();
        assertThat(
                        TopicPreflight.transactionTimeoutProblems(
                                java.time.Duration.ofMinutes(20), 3_600_000L, null))
                .as("a broker allowing an hour")
                .isEmpty();
    }

    /** The job's check: missing topics created, with {@code requirements}. */
    private static void checkForJob(
            Map<String, Map<String, String>> topics,
            int partitions,
            TopicPreflight.Requirements requirements) {
        TopicPreflight.check(
                KAFKA.bootstrapServers(),
                topics,
                partitions,
                true,
                partitions,
                (short) 1,
                Map.of(),
                requirements);
    }
}
