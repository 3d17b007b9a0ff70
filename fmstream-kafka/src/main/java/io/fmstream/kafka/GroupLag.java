package io.fmstream.kafka;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

/**
 * How far a consumer group is behind, measured from outside the consumer: each partition's last
 * stable offset minus the group's committed offset, summed per topic. This is the lag an operator
 * can trust when the job itself is in trouble: Flink's own {@code pendingRecords} comes from the
 * source's last fetch, so it freezes when the source stops fetching (a job too slow to drain its
 * queue) and vanishes while the job restarts. The fmstream job commits its group's offsets when a
 * checkpoint completes, so the lag includes up to one checkpoint interval of records and grows
 * while checkpoints fail.
 */
public final class GroupLag {

    private GroupLag() {}

    /**
     * Records past {@code group}'s committed offsets, by topic; partitions without a committed
     * offset are left out (the group has not started on them, so no lag can be stated).
     *
     * @throws ExecutionException carrying the broker's error, e.g. a missing DESCRIBE ACL on the
     *     group or the topics
     */
    public static Map<String, Long> byTopic(Admin admin, String group, Duration timeout)
            throws ExecutionException, InterruptedException, TimeoutException {
        Map<TopicPartition, OffsetAndMetadata> committed =
                admin.listConsumerGroupOffsets(group)
                        .partitionsToOffsetAndMetadata()
                        .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        committed.forEach(
                (tp, offset) -> {
                    if (offset != null) {
                        latest.put(tp, OffsetSpec.latest());
                    }
                });
        Map<String, Long> lag = new TreeMap<>();
        if (latest.isEmpty()) {
            return lag;
        }
        // READ_COMMITTED: the last stable offset, which is where a read_committed group stops;
        // the same as the high watermark for a topic written without transactions.
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends =
                admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
                        .all()
                        .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        ends.forEach(
                (tp, end) ->
                        lag.merge(
                                tp.topic(),
                                Math.max(0L, end.offset() - committed.get(tp).offset()),
                                Long::sum));
        return lag;
    }
}
