package io.fmstream.job.functions;

import static io.fmstream.job.functions.Chunks.SECOND_MICROS;
import static io.fmstream.job.functions.Chunks.appendMillis;
import static io.fmstream.job.functions.Chunks.chunk;
import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.core.records.ChunkRecord;
import io.fmstream.core.records.WindowRecord;
import io.fmstream.core.window.StreamLimits;
import io.fmstream.core.window.WindowSpec;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.hashmap.HashMapStateBackend;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * What bounds the number of devices: a client that invents a new device id per record leaves one
 * state entry (and two timers) per id, and the idle timeout removes every one of them.
 */
class ManyDevicesStateTest {

    private static final int DEVICES = 100_000;
    private static final long IDLE_TIMEOUT_MILLIS = 30 * 60 * 1000L;

    @Test
    void oneHundredThousandDistinctDeviceIdsLeaveNoStateAfterTheIdleTimeout() throws Exception {
        WindowSpec spec =
                new WindowSpec(
                        100.0, 10 * SECOND_MICROS, 5 * SECOND_MICROS, 60 * SECOND_MICROS, 0.2f);
        try (KeyedOneInputStreamOperatorTestHarness<String, ChunkRecord, WindowRecord> harness =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        new KeyedProcessOperator<>(
                                new WindowAssemblerFunction(
                                        spec, StreamLimits.DEFAULTS, IDLE_TIMEOUT_MILLIS)),
                        c -> c.deviceId,
                        TypeInformation.of(String.class))) {
            harness.setStateBackend(new HashMapStateBackend());
            harness.setProcessingTime(0);
            harness.open();
            ChunkRecord template = chunk("template", 250, 0, 0.2);
            for (int i = 0; i < DEVICES; i++) {
                ChunkRecord c = chunk("spoofed-" + i, 250, 0, 0.2);
                harness.processElement(new StreamRecord<>(c, appendMillis(template)));
            }
            assertThat(devices(harness)).isEqualTo(DEVICES);
            assertThat(harness.numProcessingTimeTimers()).isEqualTo(DEVICES);

            harness.setProcessingTime(IDLE_TIMEOUT_MILLIS - 1);
            assertThat(devices(harness)).isEqualTo(DEVICES);
            harness.setProcessingTime(IDLE_TIMEOUT_MILLIS);
            assertThat(devices(harness)).isZero();
            assertThat(harness.numProcessingTimeTimers()).isZero();
            assertThat(harness.numEventTimeTimers()).isZero();
            // 0.2 s per device: never a window.
            assertThat(harness.getOutput()).isEmpty();
        }
    }

    private static long devices(
            KeyedOneInputStreamOperatorTestHarness<String, ChunkRecord, WindowRecord> harness)
            throws Exception {
        try (var keys =
                harness.getOperator()
                        .getKeyedStateBackend()
                        .getKeys("device-stream", VoidNamespace.INSTANCE)) {
            return keys.count();
        }
    }
}
