package io.fmstream.tools.bench;

import io.fmstream.core.records.SourceRef;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Sensor-topic records held in memory, delivered as the Kafka source delivers them: event time is
 * each record's append time, and one key's records stay on one path, in order, as in a Kafka
 * partition. For bounded runs of the topology without a broker (parity tests, benchmarks).
 */
public final class RecordedSensorSource {

    private RecordedSensorSource() {}

    /** Lists handed to jobs of a cluster in this JVM, by id. */
    private static final Map<String, List<SourceRef>> IN_THIS_JVM = new ConcurrentHashMap<>();

    private static final Map<List<SourceRef>, String> IDS =
            java.util.Collections.synchronizedMap(new java.util.IdentityHashMap<>());

    private static final java.util.concurrent.atomic.AtomicLong NEXT_ID =
            new java.util.concurrent.atomic.AtomicLong();

    /**
     * As {@link #of}, but the records are handed over inside this JVM instead of serialised into
     * the job graph: only for a cluster running in this JVM (the benchmark's). Why: shipping tens
     * of thousands of records with each submitted job costs CPU in proportion to the input, which
     * the benchmark would otherwise count as the job's cost per window.
     */
    public static DataStream<SourceRef> inThisJvm(
            StreamExecutionEnvironment env, List<SourceRef> records) {
        // One id per list object: an id from its identity hash and size could name another,
        // later list (the first one collected, the hash reused), and putIfAbsent then fed the
        // job the earlier list's records.
        String id =
                IDS.computeIfAbsent(
                        records,
                        r -> {
                            String fresh = "records-" + NEXT_ID.incrementAndGet();
                            IN_THIS_JVM.put(fresh, List.copyOf(r));
                            return fresh;
                        });
        return env.fromSequence(0, records.size() - 1)
                .setParallelism(1)
                .map(new Lookup(id), TypeInformation.of(SourceRef.class))
                .setParallelism(1)
                .assignTimestampsAndWatermarks(
                        WatermarkStrategy.<SourceRef>forMonotonousTimestamps()
                                .withTimestampAssigner((r, ts) -> r.appendTimeMillis))
                .setParallelism(1)
                .partitionCustom(
                        (String key, int partitions) -> Math.floorMod(key.hashCode(), partitions),
                        r -> new String(r.key, StandardCharsets.UTF_8));
    }

    /** The record at an index of a list registered in this JVM. */
    private static final class Lookup implements MapFunction<Long, SourceRef> {
        private final String id;

        Lookup(String id) {
            this.id = id;
        }

        @Override
        public SourceRef map(Long index) {
            List<SourceRef> records = IN_THIS_JVM.get(id);
            if (records == null) {
                throw new IllegalStateException(
                        "records " + id + " are not in this JVM: inThisJvm needs a local cluster");
            }
            return records.get(index.intValue());
        }
    }

    public static DataStream<SourceRef> of(
            StreamExecutionEnvironment env, List<SourceRef> records) {
        // fromData is a parallelism-1 source. Left to itself Flink would rebalance its records
        // round-robin over the parallel decode subtasks, and the keyBy behind them could then see
        // one device's chunks out of order, which a Kafka partition never does (the assembler
        // would rightly call some of them LATE). So partition by key, as the producer does.
        return env.fromData(records, TypeInformation.of(SourceRef.class))
                .assignTimestampsAndWatermarks(
                        WatermarkStrategy.<SourceRef>forMonotonousTimestamps()
                                .withTimestampAssigner((r, ts) -> r.appendTimeMillis))
                .setParallelism(1)
                .partitionCustom(
                        (String key, int partitions) -> Math.floorMod(key.hashCode(), partitions),
                        r -> new String(r.key, StandardCharsets.UTF_8));
    }
}
