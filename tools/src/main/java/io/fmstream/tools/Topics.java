package io.fmstream.tools;

import io.fmstream.kafka.TopicPreflight;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.config.TopicConfig;

/** The topics the producers write, checked (or created) the same way the job checks its own. */
final class Topics {

    static final String DEFAULT_SENSOR = io.fmstream.kafka.Topics.SENSOR_CHUNKS;
    static final String DEFAULT_GROUND_TRUTH = io.fmstream.kafka.Topics.GROUND_TRUTH;

    private Topics() {}

    static void ensure(
            String bootstrapServers,
            String sensorTopic,
            String truthTopic,
            boolean create,
            int partitions) {
        ensure(bootstrapServers, sensorTopic, truthTopic, create, partitions, (short) -1, Map.of());
    }

    /**
     * Checks the topics, creating missing ones when asked with {@code partitions} partitions and
     * {@code replication} replicas (-1: the broker's {@code default.replication.factor}).
     */
    static void ensure(
            String bootstrapServers,
            String sensorTopic,
            String truthTopic,
            boolean create,
            int partitions,
            short replication,
            Map<String, String> clientProperties) {
        Map<String, Map<String, String>> topics = new LinkedHashMap<>();
        // The job's event time is the append time; see FmstreamJob.checkTopics.
        topics.put(sensorTopic, Map.of(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime"));
        if (truthTopic != null) {
            topics.put(truthTopic, Map.of());
        }
        TopicPreflight.check(
                bootstrapServers, topics, 1, create, partitions, replication, clientProperties);
    }

    /**
     * Assigns every partition of {@code topic} to {@code consumer} (no group rebalance), refusing a
     * topic that does not exist.
     */
    static java.util.List<org.apache.kafka.common.TopicPartition> assignAll(
            org.apache.kafka.clients.consumer.KafkaConsumer<?, ?> consumer,
            String topic,
            String bootstrapServers) {
        java.util.List<org.apache.kafka.common.PartitionInfo> partitions =
                consumer.partitionsFor(topic, java.time.Duration.ofSeconds(10));
        if (partitions == null || partitions.isEmpty()) {
            throw new IllegalArgumentException(
                    "Topic " + topic + " does not exist on " + bootstrapServers);
        }
        java.util.List<org.apache.kafka.common.TopicPartition> assigned =
                new java.util.ArrayList<>();
        partitions.forEach(
                pi ->
                        assigned.add(
                                new org.apache.kafka.common.TopicPartition(topic, pi.partition())));
        consumer.assign(assigned);
        return assigned;
    }
}
