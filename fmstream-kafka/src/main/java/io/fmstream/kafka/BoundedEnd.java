package io.fmstream.kafka;

import java.time.Duration;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

/**
 * Where a bounded run (a backfill) of a topic ends: each partition's last stable offset when the
 * run is planned, fixed before the job is submitted, so the run reads exactly up to it and the
 * consumer group can be moved there once the run has finished. The next run of the same group
 * starts where this one ended.
 *
 * <p>Why fmstream commits the end itself: Flink's Kafka source commits offsets only as a courtesy
 * to monitoring. At the end of a bounded run the connector opens a new consumer just for the final
 * checkpoint's commit and closes it as the task finishes; in the job's integration test, without
 * this class, 2 runs of 11 left one of the two partitions behind its end (never committed, or at an
 * earlier checkpoint's offset), so the next backfill would have read that part again and written
 * its windows twice.
 *
 * @param topic the topic read
 * @param offsets each partition's end (exclusive: the offset of the next record to arrive)
 */
public record BoundedEnd(String topic, Map<TopicPartition, Long> offsets) {

    public BoundedEnd {
        // In partition order, for the log line; a plain map (no comparator), since the job's
        // source serialises it into its stopping-offsets initializer.
        Map<TopicPartition, Long> byPartition = new LinkedHashMap<>();
        offsets.entrySet().stream()
                .sorted(
                        Map.Entry.comparingByKey(
                                Comparator.comparing(TopicPartition::topic)
                                        .thenComparingInt(TopicPartition::partition)))
                .forEach(e -> byPartition.put(e.getKey(), e.getValue()));
        offsets = Collections.unmodifiableMap(byPartition);
    }

    /**
     * Every partition's last stable offset (READ_COMMITTED: where a {@code read_committed} reader
     * stops; the high watermark for a topic written without transactions).
     *
     * @throws ExecutionException carrying the broker's error, e.g. an unknown topic or a missing
     *     DESCRIBE ACL
     */
    public static BoundedEnd now(Admin admin, String topic, Duration timeout)
            throws ExecutionException, InterruptedException, TimeoutException {
        TopicDescription description =
                admin.describeTopics(List.of(topic))
                        .allTopicNames()
                        .get(timeout.toMillis(), TimeUnit.MILLISECONDS)
                        .get(topic);
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        description
                .partitions()
                .forEach(
                        p ->
                                latest.put(
                                        new TopicPartition(topic, p.partition()),
                                        OffsetSpec.latest()));
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends =
                admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
                        .all()
                        .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        Map<TopicPartition, Long> offsets = new HashMap<>();
        ends.forEach((tp, info) -> offsets.put(tp, info.offset()));
        return new BoundedEnd(topic, offsets);
    }

    /**
     * Moves {@code group}'s committed offsets of the topic to this end. Allowed while the group has
     * no active member, which holds for a Flink job's group: its source assigns partitions itself
     * and joins no group.
     *
     * @throws ExecutionException carrying the broker's error, e.g. a missing READ ACL on the group,
     *     or a group with active members
     */
    public void commit(Admin admin, String group, Duration timeout)
            throws ExecutionException, InterruptedException, TimeoutException {
        Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
        offsets.forEach((tp, offset) -> commit.put(tp, new OffsetAndMetadata(offset)));
        admin.alterConsumerGroupOffsets(group, commit)
                .all()
                .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
}
