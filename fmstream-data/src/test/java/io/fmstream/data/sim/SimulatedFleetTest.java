package io.fmstream.data.sim;

import static io.fmstream.data.sim.Signals.START;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fmstream.schemas.SensorChunk;
import io.fmstream.schemas.codec.RecordCodec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SimulatedFleetTest {

    private static final long SECOND = 1_000_000L;
    private static final long HOUR = 3600 * SECOND;
    private static final RecordCodec<SensorChunk> CODEC = RecordCodec.forType(SensorChunk.class);

    /**
     * Polls every {@code stepSeconds} up to {@code seconds}; the encoded chunks and their truths.
     */
    private static List<Object> run(SimulatedFleet fleet, long seconds, long stepSeconds) {
        List<Object> out = new ArrayList<>();
        for (long t = 0; t <= seconds; t += stepSeconds) {
            for (SimulatedChunk c : fleet.poll(START + t * SECOND)) {
                out.add(Arrays.toString(CODEC.encode(c.chunk())));
                out.add(c.truth());
                out.add(c.releasedAtMicros());
            }
        }
        return out;
    }

    @Test
    void sameSeedSameBytesAndTruthDifferentSeedDifferent() {
        List<Object> a = run(SimulatedFleet.generate(8, 42, START, 1.0, HOUR), 600, 5);
        List<Object> b = run(SimulatedFleet.generate(8, 42, START, 1.0, HOUR), 600, 5);
        assertThat(a).isNotEmpty().isEqualTo(b);
        List<Object> c = run(SimulatedFleet.generate(8, 43, START, 1.0, HOUR), 600, 5);
        assertThat(c).isNotEqualTo(a);
    }

    @Test
    void pollTimesDoNotChangeWhatEachDeviceSends() {
        SimulatedFleet fine = SimulatedFleet.generate(6, 7, START, 0.5, HOUR);
        SimulatedFleet coarse = SimulatedFleet.generate(6, 7, START, 0.5, HOUR);
        Map<String, List<Object>> perDeviceFine = perDevice(fine, 1);
        Map<String, List<Object>> perDeviceCoarse = perDevice(coarse, 97);
        assertThat(perDeviceFine).isEqualTo(perDeviceCoarse);
    }

    private static Map<String, List<Object>> perDevice(SimulatedFleet fleet, long step) {
        Map<String, List<Object>> out = new HashMap<>();
        for (long t = 0; t <= 970; t += step) {
            for (SimulatedChunk c : fleet.poll(START + t * SECOND)) {
                out.computeIfAbsent(c.deviceId(), k -> new ArrayList<>())
                        .add(Arrays.toString(CODEC.encode(c.chunk())));
                out.get(c.deviceId()).add(c.truth());
            }
        }
        return out;
    }

    @Test
    void devicesHaveNativeRatesAndEveryChunkIsSentAtMostOnceInOrder() {
        SimulatedFleet fleet = SimulatedFleet.generate(20, 5, START, 1.0, HOUR);
        Set<Double> rates = new HashSet<>();
        for (DeviceUplink u : fleet.uplinks()) {
            assertThat(SimulatedFleet.NATIVE_RATES_HZ).contains(u.device().sampleRateHz());
            assertThat(u.samplesPerChunk()).isEqualTo((int) u.device().sampleRateHz());
            rates.add(u.device().sampleRateHz());
        }
        assertThat(rates).hasSizeGreaterThan(3);
        assertThat(fleet.uplinks())
                .extracting(DeviceUplink::deviceId)
                .doesNotHaveDuplicates()
                .contains("sim-00000", "sim-00019");
        assertThat(fleet.uplink("sim-00003").deviceId()).isEqualTo("sim-00003");
        assertThatThrownBy(() -> fleet.uplink("nope")).isInstanceOf(IllegalArgumentException.class);

        Map<String, Long> lastIndex = new HashMap<>();
        long previousRelease = Long.MIN_VALUE;
        long now = START;
        int polls = 0;
        // Drive the fleet the way a load generator would: sleep until the next send, then poll.
        while (now < START + 900 * SECOND) {
            now = fleet.nextReleaseMicros();
            List<SimulatedChunk> batch = fleet.poll(now);
            polls++;
            assertThat(batch).isNotEmpty();
            for (SimulatedChunk c : batch) {
                assertThat(c.releasedAtMicros())
                        .isEqualTo(now)
                        .isGreaterThanOrEqualTo(previousRelease);
                previousRelease = c.releasedAtMicros();
                Long last = lastIndex.put(c.deviceId(), c.chunkIndex());
                assertThat(c.chunkIndex()).isGreaterThan(last == null ? -1 : last);
                assertThat(c.truth().deviceId()).isEqualTo(c.deviceId());
                assertThat(c.truth().startMicros()).isEqualTo(c.chunk().getFirstSampleTimeMicros());
                assertThat(c.truth().droppedFraction()).isZero();
            }
        }
        assertThat(polls).isGreaterThan(100);
        long dropped = fleet.uplinks().stream().mapToLong(DeviceUplink::droppedCount).sum();
        long backlog = 0;
        for (DeviceUplink u : fleet.uplinks()) {
            // Every chunk recorded so far is sent, dropped, or still held in an offline period.
            long recorded = (now - START) / SECOND;
            long accounted = u.sentCount() + u.droppedCount();
            assertThat(accounted).isLessThanOrEqualTo(recorded);
            backlog += recorded - accounted;
        }
        System.out.printf(
                "fleet: %d polls, %d dropped chunks, %d chunks held offline at the end%n",
                polls, dropped, backlog);
        assertThat(dropped).isPositive();
    }

    @Test
    void explicitFleetsRejectDuplicates() {
        Scenario s = Scenario.steady(Rhythm.NORMAL, 70, Noise.NONE);
        DeviceUplink a = new DeviceUplink(new SimulatedDevice("a", 1, 250, START, s), 250);
        DeviceUplink a2 = new DeviceUplink(new SimulatedDevice("a", 2, 250, START, s), 250);
        assertThatThrownBy(() -> new SimulatedFleet(List.of(a, a2)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SimulatedFleet(List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SimulatedFleet.generate(0, 1, START, 1, HOUR))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
