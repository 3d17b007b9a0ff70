package io.fmstream.job.io;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Checks, before the job is submitted, that every topic exists with enough partitions, or creates
 * the missing ones when told to, and otherwise refuses with a message naming each problem. A job
 * that starts against a missing topic would only fail later, inside a task, far from the cause.
 */
public final class TopicPreflight {

    private static final Logger LOG = LoggerFactory.getLogger(TopicPreflight.class);
    private static final long TIMEOUT_SECONDS = 30;

    private TopicPreflight() {}

    /**
     * Waits until every partition of the new topics has a leader that answers ListOffsets: a
     * producer that writes earlier can hit NOT_LEADER_OR_FOLLOWER, and its idempotent retries
     * have been seen to loop on OUT_OF_ORDER_SEQUENCE_NUMBER until records were lost.
     */
    private static void awaitReady(Admin admin, List<String> topics)
            throws InterruptedException, java.util.concurrent.TimeoutException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try {
                Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> request =
                        new LinkedHashMap<>();
                for (TopicDescription d : admin.describeTopics(topics).allTopicNames()
                        .get(TIMEOUT_SECONDS, TimeUnit.SECONDS).values()) {
                    for (org.apache.kafka.common.TopicPartitionInfo p : d.partitions()) {
                        if (p.leader() == null) {
                            throw new IllegalStateException(d.name() + "-" + p.partition() + " has no leader yet");
                        }
                        request.put(new org.apache.kafka.common.TopicPartition(d.name(), p.partition()),
                                org.apache.kafka.clients.admin.OffsetSpec.latest());
                    }
                }
                admin.listOffsets(request).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                return;
            } catch (ExecutionException | IllegalStateException e) {
                last = e;
                Thread.sleep(100);
            }
        }
        throw new java.util.concurrent.TimeoutException("topics " + topics + " not ready after " + TIMEOUT_SECONDS
                + " s: " + last);
    }

    /**
     * @param topics topic name to the topic configs used if it has to be created
     */
    public static void check(String bootstrapServers, Map<String, Map<String, String>> topics, int minPartitions,
            boolean create, short replication) {
        check(bootstrapServers, topics, minPartitions, create, minPartitions, replication);
    }

    /**
     * As above, but missing topics are created with {@code createPartitions} partitions, which
     * may exceed {@code minPartitions} (producers accept any existing partition count).
     */
    public static void check(String bootstrapServers, Map<String, Map<String, String>> topics, int minPartitions,
            boolean create, int createPartitions, short replication) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
        try (Admin admin = Admin.create(props)) {
            Map<String, TopicDescription> found = new LinkedHashMap<>();
            List<String> missing = new ArrayList<>();
            for (String topic : topics.keySet()) {
                try {
                    found.put(topic, admin.describeTopics(List.of(topic)).allTopicNames()
                            .get(TIMEOUT_SECONDS, TimeUnit.SECONDS).get(topic));
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                        missing.add(topic);
                    } else {
                        throw new IllegalStateException("Cannot describe topic " + topic + " on " + bootstrapServers
                                + ": " + e.getCause(), e.getCause());
                    }
                }
            }
            List<String> problems = new ArrayList<>();
            for (Map.Entry<String, TopicDescription> e : found.entrySet()) {
                int partitions = e.getValue().partitions().size();
                if (partitions < minPartitions) {
                    problems.add("topic " + e.getKey() + " has " + partitions + " partitions, at least " + minPartitions
                            + " are required (fmstream.topics.partitions)");
                }
            }
            if (!missing.isEmpty() && !create) {
                for (String topic : missing) {
                    problems.add("topic " + topic + " does not exist (create it with at least " + minPartitions
                            + " partitions, or set fmstream.topics.create=true)");
                }
            }
            if (!problems.isEmpty()) {
                throw new IllegalStateException("Kafka topics on " + bootstrapServers + " are not ready:\n  - "
                        + String.join("\n  - ", problems));
            }
            if (!missing.isEmpty()) {
                List<NewTopic> toCreate = new ArrayList<>();
                for (String topic : missing) {
                    toCreate.add(new NewTopic(topic, createPartitions, replication).configs(topics.get(topic)));
                }
                admin.createTopics(toCreate).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                awaitReady(admin, missing);
                LOG.info("Created topics {} with {} partitions, replication {}", missing, createPartitions, replication);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while checking topics", e);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("Cannot check topics on " + bootstrapServers + " within "
                    + TIMEOUT_SECONDS + " s: " + e, e);
        }
    }
}
