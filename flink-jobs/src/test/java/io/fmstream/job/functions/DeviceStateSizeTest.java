package io.fmstream.job.functions;

import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.core.ingest.ChunkValidator;
import io.fmstream.core.ingest.ValidationRules;
import io.fmstream.core.records.ChunkRecord;
import io.fmstream.core.records.SourceRef;
import io.fmstream.core.records.WindowRecord;
import io.fmstream.core.window.StreamLimits;
import io.fmstream.core.window.WindowSpec;
import io.fmstream.data.sim.SimulatedChunk;
import io.fmstream.data.sim.SimulatedFleet;
import io.fmstream.schemas.SensorChunk;
import io.fmstream.schemas.SignalType;
import io.fmstream.schemas.codec.RecordCodec;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.runtime.state.hashmap.HashMapStateBackend;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * The window assembler's checkpoint over 20 minutes of the simulator's fleet (drop-outs and offline
 * periods included): it rises while a device holds chunks behind a drop-out and falls back to the
 * same baseline once they are placed. The 15-minute cluster soak once showed it growing 1.95x: the
 * resampler's history array, checkpointed whole, was left grown by each device's first gap.
 */
class DeviceStateSizeTest {

    private static final int DEVICES = 20;
    private static final long MINUTE_MICROS = 60_000_000L;

    @Test
    void theAssemblersCheckpointReturnsToItsBaselineAfterDropOuts() throws Exception {
        long start = 1_796_302_440_000_000L;
        long duration = 20 * MINUTE_MICROS;
        SimulatedFleet fleet = SimulatedFleet.generate(DEVICES, 1, start, 1.0, duration);
        RecordCodec<SensorChunk> codec = RecordCodec.forType(SensorChunk.class);
        ChunkValidator validator = new ChunkValidator(ValidationRules.DEFAULTS, SignalType.ECG);
        List<Long> sizes = new ArrayList<>();
        int windows;
        try (KeyedOneInputStreamOperatorTestHarness<String, ChunkRecord, WindowRecord> harness =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        new KeyedProcessOperator<>(
                                new WindowAssemblerFunction(
                                        WindowSpec.withDefaults(100.0, 10.0),
                                        StreamLimits.DEFAULTS,
                                        30 * 60 * 1000L)),
                        c -> c.deviceId,
                        TypeInformation.of(String.class))) {
            harness.setStateBackend(new HashMapStateBackend());
            harness.setProcessingTime(start / 1000);
            harness.open();
            long offset = 0;
            for (long now = start; now <= start + duration; now += 1_000_000L) {
                harness.setProcessingTime(now / 1000);
                for (SimulatedChunk c : fleet.poll(now)) {
                    ChunkValidator.Result r =
                            validator.validate(
                                    new SourceRef(
                                            "sensor",
                                            0,
                                            offset++,
                                            now / 1000,
                                            null,
                                            codec.encode(c.chunk())));
                    assertThat(r.chunk).as("simulated chunks are valid").isNotNull();
                    harness.processElement(new StreamRecord<>(r.chunk, now / 1000));
                }
                // The job's watermark: append time less the out-of-orderness bound.
                harness.processWatermark(new Watermark(now / 1000 - 5_000));
                if ((now - start) % MINUTE_MICROS == 0 && now > start) {
                    sizes.add(harness.snapshot(sizes.size() + 1, now / 1000).getStateSize());
                }
            }
            windows = harness.extractOutputValues().size();
        }
        // 20 devices x 20 min at a 5 s hop is 4,800 windows, less start-up and drop-outs.
        assertThat(windows).isBetween(4_400, 4_800);
        long baseline = Math.min(sizes.get(0), sizes.get(1));
        long lateLow =
                sizes.subList(sizes.size() - 5, sizes.size()).stream().min(Long::compare).get();
        long peak = sizes.stream().max(Long::compare).get();
        System.out.printf(
                "assembler checkpoint per minute (bytes): %s; baseline %d = %.1f KB per device%n",
                sizes, baseline, baseline / 1024.0 / DEVICES);
        // Some minute of the last five has no drop-out in flight: the state is back at baseline.
        assertThat(lateLow)
                .as("lowest checkpoint of the last 5 minutes")
                .isLessThanOrEqualTo(baseline + baseline / 20);
        // In flight: at most a few devices hold up to a minute of chunks each.
        assertThat(peak).isLessThan(2 * baseline);
        assertThat(baseline / DEVICES).as("bytes per device").isLessThan(8 * 1024);
    }
}
