package io.fmstream.kafka;

import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * Least-privilege Kafka ACLs for each principal of a deployment, from the names the jobs are
 * configured with: one definition for {@code bin/fmstream acls} (which prints or applies them) and
 * for {@code SecureClusterIT} (which runs the jobs under exactly these and nothing more).
 *
 * <p>Why each grant: a consumer in a group needs READ on its topics and its group; {@code DESCRIBE}
 * lets the jobs' topic preflight check partitions; an exactly-once sink needs WRITE and DESCRIBE on
 * its transactional ids (a prefix per sink, {@link TransactionalIds}: the sink makes one id per
 * subtask and pool slot), IDEMPOTENT_WRITE on the cluster, and READ on its output topics, because
 * transaction recovery lists the producers with open transactions on them (DescribeProducers),
 * which Kafka authorises as READ.
 */
public final class Acls {

    /** Kafka's one cluster resource name. */
    public static final String CLUSTER = "kafka-cluster";

    private Acls() {}

    /**
     * The inference job: reads the sensor topic in its group, writes its outputs exactly once.
     *
     * @param principal e.g. {@code User:fmstream-job}
     */
    public static List<AclBinding> inferenceJob(
            String principal,
            String sensorTopic,
            String consumerGroup,
            List<String> outputTopics,
            String transactionalIdPrefix) {
        List<AclBinding> acls = new ArrayList<>();
        acls.addAll(groupConsumer(principal, consumerGroup, List.of(sensorTopic)));
        // The topic check reads the sensor topic's message.timestamp.type.
        acls.addAll(onTopics(principal, List.of(sensorTopic), AclOperation.DESCRIBE_CONFIGS));
        List<String> sinkPrefixes = new ArrayList<>();
        for (String sink : TransactionalIds.INFERENCE_SINKS) {
            sinkPrefixes.add(TransactionalIds.inferenceSink(transactionalIdPrefix, sink));
        }
        acls.addAll(transactionalProducer(principal, outputTopics, sinkPrefixes));
        return acls;
    }

    /**
     * The accuracy job: reads predictions and ground truth in its group, writes the accuracy topic
     * exactly once under its own transactional-id prefix.
     */
    public static List<AclBinding> accuracyJob(
            String principal,
            String predictionsTopic,
            String groundTruthTopic,
            String consumerGroup,
            String accuracyTopic,
            String transactionalIdPrefix) {
        List<AclBinding> acls = new ArrayList<>();
        acls.addAll(
                groupConsumer(
                        principal, consumerGroup, List.of(predictionsTopic, groundTruthTopic)));
        acls.addAll(
                transactionalProducer(
                        principal, List.of(accuracyTopic), List.of(transactionalIdPrefix)));
        return acls;
    }

    /**
     * The probe ({@code bin/fmstream probe}): reads the predictions topic without a group (assigned
     * partitions), describes the jobs' transactions (DESCRIBE on their transactional-id prefix,
     * which covers the accuracy job's ids too: its prefix extends the inference job's) and reads
     * the job's consumer-group lag (DESCRIBE on the group and the sensor topic: committed offsets
     * and end offsets, never the records).
     */
    public static List<AclBinding> probe(
            String principal,
            String predictionsTopic,
            String sensorTopic,
            String consumerGroup,
            String transactionalIdPrefix) {
        List<AclBinding> acls =
                onTopics(
                        principal,
                        List.of(predictionsTopic),
                        AclOperation.READ,
                        AclOperation.DESCRIBE);
        acls.addAll(onTopics(principal, List.of(sensorTopic), AclOperation.DESCRIBE));
        acls.add(
                allow(
                        principal,
                        ResourceType.GROUP,
                        consumerGroup,
                        PatternType.LITERAL,
                        AclOperation.DESCRIBE));
        // Each of the jobs' own prefixes, not the bare one: that also covered another
        // deployment's ids (fmstream-eu-... under fmstream), whose transactions the probe then
        // exported and alerted on.
        for (String p : TransactionalIds.ofJobs(transactionalIdPrefix)) {
            acls.add(
                    allow(
                            principal,
                            ResourceType.TRANSACTIONAL_ID,
                            p,
                            PatternType.PREFIXED,
                            AclOperation.DESCRIBE));
        }
        return acls;
    }

    /** A plain idempotent producer (a device gateway, a labelling service): write, describe. */
    public static List<AclBinding> producer(String principal, List<String> topics) {
        List<AclBinding> acls =
                onTopics(principal, topics, AclOperation.WRITE, AclOperation.DESCRIBE);
        acls.add(idempotentWrite(principal));
        return acls;
    }

    /** A consumer app reading {@code topics} in {@code consumerGroup}. */
    public static List<AclBinding> groupConsumer(
            String principal, String consumerGroup, List<String> topics) {
        List<AclBinding> acls =
                onTopics(principal, topics, AclOperation.READ, AclOperation.DESCRIBE);
        acls.add(
                allow(
                        principal,
                        ResourceType.GROUP,
                        consumerGroup,
                        PatternType.LITERAL,
                        AclOperation.READ));
        return acls;
    }

    /** {@code ops} on each of {@code topics}, topic by topic. */
    private static List<AclBinding> onTopics(
            String principal, List<String> topics, AclOperation... ops) {
        List<AclBinding> acls = new ArrayList<>();
        for (String t : topics) {
            for (AclOperation op : ops) {
                acls.add(allow(principal, ResourceType.TOPIC, t, PatternType.LITERAL, op));
            }
        }
        return acls;
    }

    private static List<AclBinding> transactionalProducer(
            String principal, List<String> topics, List<String> transactionalIdPrefixes) {
        List<AclBinding> acls =
                onTopics(
                        principal,
                        topics,
                        AclOperation.WRITE,
                        AclOperation.READ,
                        AclOperation.DESCRIBE);
        for (String prefix : transactionalIdPrefixes) {
            for (AclOperation op : List.of(AclOperation.WRITE, AclOperation.DESCRIBE)) {
                acls.add(
                        allow(
                                principal,
                                ResourceType.TRANSACTIONAL_ID,
                                prefix,
                                PatternType.PREFIXED,
                                op));
            }
        }
        acls.add(idempotentWrite(principal));
        return acls;
    }

    private static AclBinding idempotentWrite(String principal) {
        return allow(
                principal,
                ResourceType.CLUSTER,
                CLUSTER,
                PatternType.LITERAL,
                AclOperation.IDEMPOTENT_WRITE);
    }

    private static AclBinding allow(
            String principal,
            ResourceType type,
            String name,
            PatternType pattern,
            AclOperation op) {
        if (!principal.contains(":")) {
            throw new IllegalArgumentException(
                    "principal must be TYPE:NAME (e.g. User:fmstream-job), got " + principal);
        }
        return new AclBinding(
                new ResourcePattern(type, name, pattern),
                new AccessControlEntry(principal, "*", op, AclPermissionType.ALLOW));
    }

    /**
     * The {@code kafka-acls.sh} command that creates {@code acl}, for operators who apply ACLs with
     * Kafka's own tools.
     */
    public static String kafkaAclsCommand(AclBinding acl) {
        ResourcePattern r = acl.pattern();
        String resource =
                switch (r.resourceType()) {
                    case TOPIC -> "--topic " + r.name();
                    case GROUP -> "--group " + r.name();
                    case TRANSACTIONAL_ID -> "--transactional-id " + r.name();
                    case CLUSTER -> "--cluster";
                    default -> throw new IllegalArgumentException("not used here: " + r);
                };
        String operation = camelCase(acl.entry().operation().name());
        return "kafka-acls.sh --bootstrap-server \"$BOOTSTRAP\" --command-config \"$ADMIN_CONFIG\""
                + " --add --allow-principal "
                + acl.entry().principal()
                + " --operation "
                + operation
                + " "
                + resource
                + (r.patternType() == PatternType.PREFIXED
                        ? " --resource-pattern-type prefixed"
                        : "");
    }

    /** The name kafka-acls.sh takes: IDEMPOTENT_WRITE as IdempotentWrite. */
    private static String camelCase(String s) {
        StringBuilder b = new StringBuilder();
        for (String word : s.split("_")) {
            b.append(word.charAt(0)).append(word.substring(1).toLowerCase(java.util.Locale.ROOT));
        }
        return b.toString();
    }
}
