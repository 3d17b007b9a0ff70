package io.fmstream.tools.bench;

import io.fmstream.core.records.SourceRef;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
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
