package io.fmstream.data.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.core.ingest.ChunkValidator;
import io.fmstream.core.ingest.ValidationRules;
import io.fmstream.core.records.SourceRef;
import io.fmstream.core.records.WindowRecord;
import io.fmstream.core.window.DeviceStreamState;
import io.fmstream.core.window.DeviceWindowAssembler;
import io.fmstream.core.window.SegmentCause;
import io.fmstream.core.window.WindowListener;
import io.fmstream.core.window.WindowSpec;
import io.fmstream.schemas.SensorChunk;
import io.fmstream.schemas.SignalType;
import io.fmstream.schemas.codec.RecordCodec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The simulator's drifting device clocks through the job's decode-and-validate step and window
 * assembler: two hours of a fleet whose sample clocks are off by up to 250 ppm against the clock
 * that stamps their chunks start no segment and lose no window (each device started a {@code
 * CLOCK_JUMP} segment every few hours before the assembler followed drift).
 */
class DriftingFleetAssemblyTest {

    private static final long START = 1_800_000_000_000_000L;

    @Test
    void twoHoursOfAFleetWithDriftingClocksStartNoSegmentAndLoseNoWindow() {
        // Steady devices at every native rate, without drop-outs (their gaps would drop windows
        // for reasons of their own), clocks from 250 ppm fast to 250 ppm slow: within the two
        // hours all but the last drift past the 1-s clock tolerance, where each used to start a
        // CLOCK_JUMP segment.
        long micros = 2 * 3600 * 1_000_000L;
        List<DeviceUplink> uplinks = new ArrayList<>();
        double[] ppms = {250, -250, 150, -150, 100};
        for (int i = 0; i < SimulatedFleet.NATIVE_RATES_HZ.size(); i++) {
            double rate = SimulatedFleet.NATIVE_RATES_HZ.get(i);
            SimulatedDevice device =
                    new SimulatedDevice(
                            "drift-" + i,
                            i,
                            rate,
                            START,
                            Scenario.steady(Rhythm.NORMAL, 60 + 5 * i, Noise.of(0.02)));
            uplinks.add(
                    new DeviceUplink(device, (int) rate)
                            .withFaults(new LinkFaults(0, -1, -1, 0, i, ppms[i])));
        }
        SimulatedFleet fleet = new SimulatedFleet(uplinks);
        ChunkValidator validator = new ChunkValidator(ValidationRules.DEFAULTS, SignalType.ECG);
        DeviceWindowAssembler assembler =
                new DeviceWindowAssembler(
                        new WindowSpec(100.0, 10_000_000L, 5_000_000L, 60_000_000L, 0.2f));
        RecordCodec<SensorChunk> codec = RecordCodec.forType(SensorChunk.class);
        Map<String, DeviceStreamState> states = new HashMap<>();
        Map<String, List<Long>> starts = new HashMap<>();
        List<SegmentCause> segments = new ArrayList<>();
        long[] dropped = {0};
        long[] slips = {0};
        WindowListener out =
                new WindowListener() {
                    @Override
                    public void emitted(WindowRecord w) {
                        starts.computeIfAbsent(w.deviceId, d -> new ArrayList<>())
                                .add(w.windowStartMicros);
                    }

                    @Override
                    public void droppedIncomplete(String device, long start, float missing) {
                        dropped[0]++;
                    }

                    @Override
                    public void segmentStarted(String device, SegmentCause cause, long skipped) {
                        segments.add(cause);
                    }

                    @Override
                    public void clockSlipped(String device, long slipMicros) {
                        slips[0]++;
                    }
                };
        long offset = 0;
        for (SimulatedChunk sc : fleet.poll(START + micros)) {
            SensorChunk chunk = sc.chunk();
            SourceRef ref =
                    new SourceRef(
                            "sensor",
                            0,
                            offset++,
                            chunk.getFirstSampleTimeMicros() / 1000,
                            chunk.getDeviceId().toString().getBytes(StandardCharsets.UTF_8),
                            codec.encode(chunk));
            ChunkValidator.Result r = validator.validate(ref);
            assertThat(r.deadLetter).isNull();
            DeviceStreamState s =
                    states.computeIfAbsent(r.chunk.deviceId, d -> assembler.newState(r.chunk));
            assertThat(assembler.offer(s, r.chunk, Long.MIN_VALUE, out).taken()).isTrue();
        }
        assertThat(segments).isEmpty();
        assertThat(dropped[0]).isZero();
        assertThat(slips[0]).as("slips over the fleet").isPositive();
        assertThat(starts).hasSize(uplinks.size());
        for (List<Long> s : starts.values()) {
            assertThat(s.size()).isGreaterThan(1400); // 2 h at a 5-s hop
            for (int i = 1; i < s.size(); i++) {
                assertThat(s.get(i) - s.get(i - 1)).isEqualTo(5_000_000L);
            }
        }
    }
}
