package io.fmstream.kafka;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;

/**
 * The one wait for new topics, used by the job's preflight, the tools and the local broker: returns
 * once every partition has a leader that answers {@code ListOffsets}. A producer that writes
 * earlier can hit NOT_LEADER_OR_FOLLOWER, and its idempotent retries have been seen to loop on
 * OUT_OF_ORDER_SEQUENCE_NUMBER until records were lost (shared/STACK-NOTES.md, "Records lost right
 * after topic creation").
 */
public final class TopicReadiness {

    /** How long callers wait by default: creation on a healthy broker takes well under a second. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private static final Duration RETRY = Duration.ofMillis(50);

    private TopicReadiness() {}

    /**
     * @param partitions the partition count every topic must show, or 0 for any
     * @throws TimeoutException naming the last state seen when not ready within {@code timeout}
     */
    public static void await(Admin admin, List<String> topics, int partitions, Duration timeout)
            throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long step = Math.max(1, Math.min(5_000, timeout.toMillis()));
        String lastState = "not described yet";
        Exception lastFailure = null;
        while (System.nanoTime() < deadline) {
            try {
                Map<TopicPartition, OffsetSpec> request = new LinkedHashMap<>();
                boolean led = true;
                for (TopicDescription d :
                        admin.describeTopics(topics)
                                .allTopicNames()
                                .get(step, TimeUnit.MILLISECONDS)
                                .values()) {
                    if (partitions > 0 && d.partitions().size() != partitions) {
                        led = false;
                        lastState =
                                d.name()
                                        + " has "
                                        + d.partitions().size()
                                        + " of "
                                        + partitions
                                        + " partitions";
                    }
                    for (TopicPartitionInfo p : d.partitions()) {
                        if (p.leader() == null || p.leader().isEmpty()) {
                            led = false;
                            lastState = d.name() + "-" + p.partition() + " has no leader";
                        }
                        request.put(
                                new TopicPartition(d.name(), p.partition()), OffsetSpec.latest());
                    }
                }
                if (led) {
                    admin.listOffsets(request).all().get(step, TimeUnit.MILLISECONDS);
                    return;
                }
            } catch (ExecutionException | TimeoutException e) {
                // Expected while the partitions are being created: retry until the deadline.
                lastFailure = e;
                lastState = e.toString();
            }
            Thread.sleep(RETRY.toMillis());
        }
        TimeoutException t =
                new TimeoutException(
                        "topics "
                                + topics
                                + " not ready after "
                                + timeout.toSeconds()
                                + " s: "
                                + lastState);
        if (lastFailure != null) {
            t.initCause(lastFailure);
        }
        throw t;
    }
}
