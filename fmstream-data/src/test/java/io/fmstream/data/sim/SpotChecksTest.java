package io.fmstream.data.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.schemas.SensorChunk;
import java.util.List;
import org.junit.jupiter.api.Test;

class SpotChecksTest {

    private static final long START = 1_800_000_000_000_000L;

    @Test
    void onlyTheRecordingsAreSentEachFromIndexZeroAndEndedByAFlaggedChunk() {
        SimulatedDevice device =
                new SimulatedDevice(
                        "spot", 9, 250, START, Scenario.steady(Rhythm.NORMAL, 70, Noise.of(0.02)));
        DeviceUplink uplink =
                new DeviceUplink(device, 250).withSpotChecks(new SpotChecks(100, 30, 10));
        List<SimulatedChunk> sent = uplink.poll(START + 300_000_000L);
        // Recordings at chunks [10,40), [110,140), [210,240).
        assertThat(sent).hasSize(90);
        SensorChunk first = sent.get(0).chunk();
        assertThat(first.getFirstSampleIndex()).isZero();
        assertThat(first.getFirstSampleTimeMicros()).isEqualTo(START + 10_000_000L);
        assertThat(sent.get(29).chunk().getEndOfRecording()).isTrue();
        assertThat(sent.get(29).chunk().getFirstSampleIndex()).isEqualTo(29 * 250);
        assertThat(sent.get(30).chunk().getFirstSampleIndex()).isZero();
        assertThat(sent.get(30).chunk().getFirstSampleTimeMicros()).isEqualTo(START + 110_000_000L);
        assertThat(sent).filteredOn(c -> c.chunk().getEndOfRecording()).hasSize(3);
    }

    /** A spot-check device drawn to reboot does: its index restarts inside the recording. */
    @Test
    void aRebootInsideARecordingRestartsItsIndex() {
        SimulatedDevice device =
                new SimulatedDevice(
                        "spot", 9, 100, START, Scenario.steady(Rhythm.NORMAL, 70, Noise.of(0.02)));
        DeviceUplink uplink =
                new DeviceUplink(device, 100)
                        .withFaults(new LinkFaults(0, 2, -1, 0, 0))
                        .withSpotChecks(new SpotChecks(10, 5, 0));
        List<SimulatedChunk> sent = uplink.poll(START + 5_000_000L);
        assertThat(sent)
                .extracting(c -> c.chunk().getFirstSampleIndex())
                .containsExactly(0L, 100L, 0L, 100L, 200L);
    }

    @Test
    void aFleetGetsSpotCheckDevicesOfThirtyToSixtySeconds() {
        SimulatedFleet fleet =
                SimulatedFleet.generate(100, 4, START, 1.0, 600_000_000L).withSpotChecks(4, 0.2);
        List<SpotChecks> spots =
                fleet.uplinks().stream()
                        .map(DeviceUplink::spotChecks)
                        .filter(java.util.Objects::nonNull)
                        .toList();
        assertThat(spots.size()).isBetween(10, 32);
        assertThat(spots).allMatch(s -> s.lengthChunks() >= 30 && s.lengthChunks() <= 60);
        assertThat(spots).allMatch(s -> s.periodChunks() >= 120 && s.periodChunks() <= 300);
    }
}
