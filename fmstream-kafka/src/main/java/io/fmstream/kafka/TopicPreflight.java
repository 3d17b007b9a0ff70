package io.fmstream.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
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

    /** Throws one error naming every problem, if there is any. */
    private static void refuseIfAny(String bootstrapServers, List<String> problems) {
        if (!problems.isEmpty()) {
            throw new IllegalStateException(
                    "Kafka topics on "
                            + bootstrapServers
                            + " are not ready:\n  - "
                            + String.join("\n  - ", problems));
        }
    }

    /**
     * A transaction timeout over the brokers' {@code transaction.max.timeout.ms} (15 min by
     * default): every sink's producer would fail to start with {@code InvalidTxnTimeoutException}
     * and the job restart for ever without writing anything. Read from one broker; where the
     * principal may not describe broker configs (no DescribeConfigs on the cluster, as under the
     * ACLs {@code bin/fmstream acls} grants), Kafka's default maximum is assumed: skipping the
     * check left exactly the hardened deployments without it.
     */
    private static List<String> transactionTimeoutProblems(Admin admin, Duration timeout)
            throws InterruptedException, TimeoutException {
        try {
            var nodes = admin.describeCluster().nodes().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (nodes.isEmpty()) {
                return List.of();
            }
            ConfigResource broker =
                    new ConfigResource(
                            ConfigResource.Type.BROKER, nodes.iterator().next().idString());
            Config config =
                    admin.describeConfigs(List.of(broker))
                            .all()
                            .get(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                            .get(broker);
            ConfigEntry entry = config == null ? null : config.get(MAX_TRANSACTION_TIMEOUT);
            String max = entry == null ? null : entry.value();
            return transactionTimeoutProblems(
                    timeout, max == null ? null : Long.parseLong(max), null);
        } catch (ExecutionException e) {
            return transactionTimeoutProblems(timeout, null, e.getCause().toString());
        }
    }

    /** Kafka's default {@code transaction.max.timeout.ms}. */
    static final long KAFKA_DEFAULT_MAX_TRANSACTION_TIMEOUT_MS = 15 * 60 * 1000L;

    /**
     * The problem with {@code timeout} against the brokers' maximum ({@code brokerMaxMillis}), or,
     * where that could not be read ({@code unreadable} says why), against Kafka's default.
     */
    public static List<String> transactionTimeoutProblems(
            Duration timeout, Long brokerMaxMillis, String unreadable) {
        if (brokerMaxMillis == null && unreadable == null) {
            return List.of();
        }
        long max =
                brokerMaxMillis != null
                        ? brokerMaxMillis
                        : KAFKA_DEFAULT_MAX_TRANSACTION_TIMEOUT_MS;
        if (timeout.toMillis() <= max) {
            if (unreadable != null) {
                LOG.warn(
                        "Cannot read the brokers' {} ({}): the transaction timeout {} is within"
                                + " Kafka's default maximum",
                        MAX_TRANSACTION_TIMEOUT,
                        unreadable,
                        timeout);
            }
            return List.of();
        }
        return List.of(
                "the transaction timeout ("
                        + timeout
                        + ", fmstream.transaction-timeout) exceeds the brokers' "
                        + MAX_TRANSACTION_TIMEOUT
                        + " ("
                        + max
                        + " ms"
                        + (unreadable != null
                                ? ", Kafka's default: the brokers' own could not be read ("
                                        + unreadable
                                        + "); grant the job's principal DescribeConfigs on the"
                                        + " cluster to check it"
                                : "")
                        + "): every sink's producer would fail to start"
                        + " (InvalidTxnTimeoutException) and the job restart for ever; lower it,"
                        + " or raise the brokers' limit");
    }

    private static final String MAX_TRANSACTION_TIMEOUT = "transaction.max.timeout.ms";

    /**
     * An existing topic whose creation config names a {@code message.timestamp.type} (the sensor
     * topic: LogAppendTime) must have it: with CreateTime the records carry the producers' clocks,
     * and a clock running ahead pushes its partition's watermark forward, so other devices' gaps
     * close early and their chunks become LATE. Where the principal may not describe configs (no
     * DescribeConfigs ACL), the check is skipped with a warning rather than refusing the job.
     */
    private static List<String> timestampTypeProblems(
            Admin admin, Map<String, Map<String, String>> topics, java.util.Set<String> existing)
            throws InterruptedException, TimeoutException {
        List<String> problems = new ArrayList<>();
        for (String topic : existing) {
            String wanted = topics.get(topic).get(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG);
            if (wanted == null) {
                continue;
            }
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            Config config;
            try {
                config =
                        admin.describeConfigs(List.of(resource))
                                .all()
                                .get(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                                .get(resource);
            } catch (ExecutionException e) {
                LOG.warn(
                        "Cannot read the configs of topic {} ({}): its {} is not checked",
                        topic,
                        e.getCause().toString(),
                        TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG);
                continue;
            }
            ConfigEntry entry =
                    config == null ? null : config.get(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG);
            String actual = entry == null ? null : entry.value();
            if (actual != null && !actual.equals(wanted)) {
                problems.add(
                        "topic "
                                + topic
                                + " has "
                                + TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG
                                + "="
                                + actual
                                + ", the job needs "
                                + wanted
                                + " (its event time is the broker's append time, which no"
                                + " device clock can push forward): kafka-configs.sh"
                                + " --bootstrap-server <servers> --alter --entity-type topics"
                                + " --entity-name "
                                + topic
                                + " --add-config "
                                + TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG
                                + "="
                                + wanted);
            }
        }
        return problems;
    }

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
        check(
                bootstrapServers,
                topics,
                minPartitions,
                create,
                createPartitions,
                replication,
                clientProperties,
                Requirements.NONE);
    }

    /**
     * What the job needs of the cluster beyond its topics.
     *
     * @param timestampTypes an existing topic whose creation config names a {@code
     *     message.timestamp.type} must have it (see {@link #timestampTypeProblems})
     * @param transactionTimeout the sinks' transaction timeout, which must not exceed the brokers'
     *     {@code transaction.max.timeout.ms}; null: not checked
     */
    public record Requirements(boolean timestampTypes, Duration transactionTimeout) {
        /** Producers' needs: none beyond the topics. */
        public static final Requirements NONE = new Requirements(false, null);
    }

    /**
     * As above, with the job's {@code requirements} checked with the same admin client (producers
     * pass {@link Requirements#NONE}: the timestamp type does not matter to them).
     */
    public static void check(
            String bootstrapServers,
            Map<String, Map<String, String>> topics,
            int minPartitions,
            boolean create,
            int createPartitions,
            short replication,
            Map<String, String> clientProperties,
            Requirements requirements) {
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
            if (requirements.timestampTypes()) {
                problems.addAll(timestampTypeProblems(admin, topics, found.keySet()));
            }
            if (requirements.transactionTimeout() != null) {
                problems.addAll(
                        transactionTimeoutProblems(admin, requirements.transactionTimeout()));
            }
            refuseIfAny(bootstrapServers, problems);
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
        } catch (ExecutionException | TimeoutException e) {
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
