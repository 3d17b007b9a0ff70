package io.fmstream.data.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.fmstream.schemas.SensorChunk;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LinkFaultsTest {

    private static final long START = 1_800_000_000_000_000L;

    @Test
    void aRebootRestartsTheIndexAndAClockJumpShiftsTimestampsAndTruthAlike() {
        SimulatedDevice device =
                new SimulatedDevice(
                        "d", 5, 250, START, Scenario.steady(Rhythm.NORMAL, 70, Noise.of(0.02)));
        DeviceUplink uplink =
                new DeviceUplink(device, 250).withFaults(new LinkFaults(0, 100, 150, 3_000_000, 1));
        List<SimulatedChunk> chunks = uplink.poll(START + 200_000_000L);
        assertThat(chunks).hasSize(200); // chunk 199 is complete at exactly 200 s
        SensorChunk beforeReboot = chunks.get(99).chunk();
        SensorChunk afterReboot = chunks.get(100).chunk();
        assertThat(beforeReboot.getFirstSampleIndex()).isEqualTo(99 * 250);
        assertThat(afterReboot.getFirstSampleIndex()).isZero();
        assertThat(afterReboot.getFirstSampleTimeMicros()).isEqualTo(START + 100_000_000L);
        SimulatedChunk jumped = chunks.get(150);
        assertThat(jumped.chunk().getFirstSampleIndex()).isEqualTo(50 * 250);
        assertThat(jumped.chunk().getFirstSampleTimeMicros()).isEqualTo(START + 153_000_000L);
        assertThat(jumped.truth().startMicros()).isEqualTo(START + 153_000_000L);
    }

    @Test
    void losesAboutTheGivenFractionOfChunksTheSameWayEveryTime() {
        List<Long> lost = new ArrayList<>();
        for (int run = 0; run < 2; run++) {
            SimulatedDevice device =
                    new SimulatedDevice(
                            "d", 5, 250, START, Scenario.steady(Rhythm.NORMAL, 70, Noise.of(0.02)));
            DeviceUplink uplink =
                    new DeviceUplink(device, 250).withFaults(new LinkFaults(0.02, -1, -1, 0, 42));
            uplink.poll(START + 10_001_000_000L);
            lost.add(uplink.droppedCount());
        }
        assertThat(lost.get(0)).isEqualTo(lost.get(1)).isBetween(140L, 260L);
    }

    @Test
    void aDriftingSampleClockStampsItsChunksAndTheirTruthEarlierOrLaterAsItRuns() {
        // A clock 100 ppm fast: after 3,600 s of samples only 3,599.64 s of real time passed.
        for (double ppm : new double[] {100, -100}) {
            SimulatedDevice device =
                    new SimulatedDevice(
                            "d", 5, 250, START, Scenario.steady(Rhythm.NORMAL, 70, Noise.of(0.02)));
            DeviceUplink uplink =
                    new DeviceUplink(device, 250).withFaults(new LinkFaults(0, -1, -1, 0, 1, ppm));
            List<SimulatedChunk> chunks = uplink.poll(START + 3_602_000_000L);
            SimulatedChunk last = chunks.get(3600);
            long expected = START + Math.round(3600e6 / (1 + ppm * 1e-6));
            assertThat(last.chunk().getFirstSampleIndex()).isEqualTo(3600L * 250);
            assertThat(last.chunk().getFirstSampleTimeMicros()).isCloseTo(expected, within(1L));
            assertThat(last.truth().startMicros())
                    .isEqualTo(last.chunk().getFirstSampleTimeMicros());
            assertThat(chunks.get(0).chunk().getFirstSampleTimeMicros()).isEqualTo(START);
            // Complete, and sent, on the clock that stamps it: never stamped after it was sent.
            assertThat(last.recordedAtMicros())
                    .isCloseTo(START + Math.round(3601e6 / (1 + ppm * 1e-6)), within(1L));
        }
    }

    @Test
    void aFleetDrawsEachDevicesDriftWithinTheBound() {
        SimulatedFleet fleet =
                SimulatedFleet.generate(50, 3, START, 1.0, 600_000_000L)
                        .withFaults(3, 0, 0, 100, 600_000_000L);
        assertThat(fleet.uplinks())
                .allMatch(u -> Math.abs(u.faults().clockDriftPpm()) <= 100)
                .anyMatch(u -> u.faults().clockDriftPpm() > 50)
                .anyMatch(u -> u.faults().clockDriftPpm() < -50);
    }

    @Test
    void aFleetGetsFaultsOnRoughlyTheGivenFractionOfDevices() {
        SimulatedFleet fleet =
                SimulatedFleet.generate(200, 3, START, 1.0, 600_000_000L)
                        .withFaults(3, 0.02, 0.1, 600_000_000L);
        long misbehaving =
                fleet.uplinks().stream().filter(u -> u.faults().rebootAtChunk() >= 0).count();
        assertThat(misbehaving).isBetween(8L, 35L);
        assertThat(fleet.uplinks()).allMatch(u -> u.faults().lossFraction() == 0.02);
    }
}
