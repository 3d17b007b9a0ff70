package io.fmstream.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks, before the job is submitted, that every topic exists with enough partitions, or creates
 * the missing ones when told to, and otherwise refuses with a message naming each problem. A job
 * that starts against a missing topic would only fail later, inside a task, far from the cause.
 */
public final class TopicPreflight {

    private static final Logger LOG = LoggerFactory.getLogger(TopicPreflight.class);

    /** The one admin timeout of the topic checks: the same as the readiness wait's. */
    private static final long TIMEOUT_SECONDS = TopicReadiness.DEFAULT_TIMEOUT.toSeconds();

    private TopicPreflight() {}

    /**
     * @param topics topic name to the topic configs used if it has to be created
     */
    public static void check(
            String bootstrapServers,
            Map<String, Map<String, String>> topics,
            int minPartitions,
            boolean create,
            short replication) {
        check(bootstrapServers, topics, minPartitions, create, minPartitions, replication);
    }

    /**
     * As above, but missing topics are created with {@code createPartitions} partitions, which may
     * exceed {@code minPartitions} (producers accept any existing partition count).
     */
    public static void check(
            String bootstrapServers,
            Map<String, Map<String, String>> topics,
            int minPartitions,
            boolean create,
            int createPartitions,
            short replication) {
        check(
                bootstrapServers,
                topics,
                minPartitions,
                create,
                createPartitions,
                replication,
                Map.of());
    }

    /**
     * As above, with {@code clientProperties} (security settings and the like, see {@link
     * KafkaClientProperties}) passed to the admin client.
     */
    public static void check(
            String bootstrapServers,
            Map<String, Map<String, String>> topics,
            int minPartitions,
            boolean create,
            int createPartitions,
            short replication,
            Map<String, String> clientProperties) {
        Properties props =
                KafkaClientProperties.forAdmin(
                        bootstrapServers, clientProperties, Duration.ofSeconds(TIMEOUT_SECONDS));
        try (Admin admin = Admin.create(props)) {
            Map<String, TopicDescription> found = new LinkedHashMap<>();
            List<String> missing = new ArrayList<>();
            for (String topic : topics.keySet()) {
                try {
                    found.put(
                            topic,
                            admin.describeTopics(List.of(topic))
                                    .allTopicNames()
                                    .get(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                                    .get(topic));
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                        missing.add(topic);
                    } else {
                        throw new IllegalStateException(
                                "Cannot describe topic "
                                        + topic
                                        + " on "
                                        + bootstrapServers
                                        + ": "
                                        + e.getCause(),
                                e.getCause());
                    }
                }
            }
            List<String> problems = new ArrayList<>();
            for (Map.Entry<String, TopicDescription> e : found.entrySet()) {
                int partitions = e.getValue().partitions().size();
                if (partitions < minPartitions) {
                    problems.add(
                            "topic "
                                    + e.getKey()
                                    + " has "
                                    + partitions
                                    + " partitions, at least "
                                    + minPartitions
                                    + " are required (fmstream.topics.partitions)");
                }
            }
            if (!missing.isEmpty() && !create) {
                for (String topic : missing) {
                    problems.add(
                            "topic "
                                    + topic
                                    + " does not exist (create it with at least "
                                    + minPartitions
                                    + " partitions, or set fmstream.topics.create=true)");
                }
            }
            if (!problems.isEmpty()) {
                throw new IllegalStateException(
                        "Kafka topics on "
                                + bootstrapServers
                                + " are not ready:\n  - "
                                + String.join("\n  - ", problems));
            }
            if (!missing.isEmpty()) {
                List<NewTopic> toCreate = new ArrayList<>();
                for (String topic : missing) {
                    toCreate.add(
                            new NewTopic(topic, createPartitions, replication)
                                    .configs(topics.get(topic)));
                }
                admin.createTopics(toCreate).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                TopicReadiness.await(
                        admin, missing, createPartitions, TopicReadiness.DEFAULT_TIMEOUT);
                LOG.info(
                        "Created topics {} with {} partitions, replication {}",
                        missing,
                        createPartitions,
                        replication < 0 ? "the broker's default" : replication);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while checking topics", e);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException(
                    "Cannot check topics on "
                            + bootstrapServers
                            + " within "
                            + TIMEOUT_SECONDS
                            + " s: "
                            + e,
                    e);
        }
    }
}
