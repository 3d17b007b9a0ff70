package io.fmstream.tools;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The options of every command that writes sensor chunks (simulate, replay), declared once and
 * mixed in with {@code @Mixin}: where to write, and whether to create missing topics.
 */
final class ProducerOptions {

    @Option(
            names = "--bootstrap-servers",
            required = true,
            description = "Kafka bootstrap servers.")
    String bootstrapServers;

    @Option(
            names = "--topic",
            defaultValue = Topics.DEFAULT_SENSOR,
            description = "Sensor topic (default: ${DEFAULT-VALUE}).")
    String topic;

    @Option(
            names = "--ground-truth-topic",
            defaultValue = Topics.DEFAULT_GROUND_TRUTH,
            description = "Ground-truth topic (default: ${DEFAULT-VALUE}); 'none' to skip.")
    String truthTopic;

    @Option(
            names = "--create-topics",
            description = "Create missing topics (sensor topic with LogAppendTime).")
    boolean createTopics;

    @Option(
            names = "--partitions",
            defaultValue = "4",
            description = "Partitions of created topics (default: ${DEFAULT-VALUE}).")
    int partitions;

    // The broker's default.replication.factor unless given: a fixed 1 made every acks=all send
    // to a created topic fail on brokers with min.insync.replicas 2 (the local cluster's).
    @Option(
            names = "--replication-factor",
            defaultValue = "-1",
            description =
                    "Replication factor of created topics; -1: the broker's"
                            + " default.replication.factor (default: ${DEFAULT-VALUE}).")
    short replicationFactor;

    @Mixin KafkaClientOptions kafka = new KafkaClientOptions();

    /** The ground-truth topic, or null for 'none'. */
    String truthTopicOrNull() {
        return "none".equals(truthTopic) ? null : truthTopic;
    }

    /**
     * Checks that the broker answers and the topics exist (creating them when asked), then opens
     * the publisher: a misspelled server or topic fails here with its name, not mid-run.
     */
    KafkaPublisher openPublisher() {
        String truth = truthTopicOrNull();
        java.util.Map<String, String> props = kafka.properties();
        KafkaPublisher.requireReachable(bootstrapServers, props);
        Topics.ensure(
                bootstrapServers, topic, truth, createTopics, partitions, replicationFactor, props);
        return new KafkaPublisher(bootstrapServers, topic, truth, props);
    }
}
