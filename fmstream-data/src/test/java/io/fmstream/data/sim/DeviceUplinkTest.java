package io.fmstream.data.sim;

import static io.fmstream.data.sim.Signals.START;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Drop-outs lose whole chunks; offline periods hold chunks back and release them as one backlog.
 */
class DeviceUplinkTest {

    private static final long SECOND = 1_000_000L;

    private static DeviceUplink uplink(Scenario scenario, double rate, int samplesPerChunk) {
        return new DeviceUplink(
                new SimulatedDevice("dev", 3, rate, START, scenario), samplesPerChunk);
    }

    @Test
    void dropoutsLoseTheChunksTheyTouchAndIndexesContinue() {
        Scenario scenario =
                Scenario.builder()
                        .segment(60, Rhythm.NORMAL, 70, Noise.of(0.05))
                        .dropout(10.5, 12.2)
                        .build();
        DeviceUplink u = uplink(scenario, 250, 250);
        List<SimulatedChunk> sent = u.poll(START + 60 * SECOND);

        assertThat(sent)
                .extracting(SimulatedChunk::chunkIndex)
                .doesNotContain(10L, 11L, 12L)
                .hasSize(57)
                .isSorted();
        assertThat(u.droppedCount()).isEqualTo(3);
        assertThat(u.sentCount()).isEqualTo(57);
        for (SimulatedChunk c : sent) {
            long first = c.chunk().getFirstSampleTimeMicros();
            long end = c.truth().endMicros();
            // No released chunk has a sample in [10.5 s, 12.2 s).
            assertThat(end <= START + 10_500_000L || first >= START + 12_200_000L).isTrue();
            assertThat(c.chunk().getFirstSampleIndex()).isEqualTo(c.chunkIndex() * 250);
            assertThat(c.truth().droppedFraction()).isZero();
            assertThat(c.backlogged()).isFalse();
        }
        // The stream resumes at its own index with the samples it would have had without the
        // drop-out.
        SimulatedChunk after = sent.get(10);
        assertThat(after.chunkIndex()).isEqualTo(13);
        assertThat(after.chunk().getFirstSampleIndex()).isEqualTo(13 * 250);
        assertThat(after.chunk().getFirstSampleTimeMicros()).isEqualTo(START + 13 * SECOND);
        DeviceUplink reference = uplink(scenario.withoutLinkEvents(), 250, 250);
        SimulatedChunk same = reference.poll(START + 60 * SECOND).get(13);
        assertThat(Signals.samples(after.chunk())).isEqualTo(Signals.samples(same.chunk()));
        assertThat(after.truth()).isEqualTo(same.truth());

        // Ground truth over a span reports what the backend lost: 3 of these 5 chunks.
        assertThat(u.groundTruth(9 * 250, 14 * 250).droppedFraction()).isEqualTo(0.6);
        // The device-level truth counts samples in the drop-out itself: 1.7 s of 5 s.
        assertThat(u.device().groundTruth(9 * 250, 14 * 250).droppedFraction())
                .isCloseTo(1.7 / 5, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(u.isDropped(9)).isFalse();
        assertThat(u.isDropped(12)).isTrue();
        assertThat(u.releaseAtMicros(11)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void offlinePeriodsHoldChunksBackAndReleaseThemTogetherInOrder() {
        Scenario scenario =
                Scenario.builder()
                        .segment(30, Rhythm.NORMAL, 70, Noise.NONE)
                        .segment(60, Rhythm.AF, 90, Noise.of(0.1))
                        .offline(20, 35)
                        .dropout(50, 51)
                        .build();
        DeviceUplink u = uplink(scenario, 360, 180);
        Map<Long, Long> returnedAt = new HashMap<>();
        List<SimulatedChunk> all = new ArrayList<>();
        List<Integer> batchSizes = new ArrayList<>();
        for (long now = START; now <= START + 90 * SECOND; now += 100_000L) {
            assertThat(u.nextReleaseMicros()).isGreaterThan(now - 100_000L);
            List<SimulatedChunk> batch = u.poll(now);
            for (SimulatedChunk c : batch) {
                assertThat(returnedAt.put(c.chunkIndex(), now))
                        .as("chunk %d returned twice", c.chunkIndex())
                        .isNull();
                assertThat(c.releasedAtMicros()).isLessThanOrEqualTo(now);
            }
            if (!batch.isEmpty()) {
                batchSizes.add(batch.size());
            }
            all.addAll(batch);
        }
        // Chunks are 0.5 s. Completed in [20 s, 35 s): chunks 39 (done at 20 s) to 68 (done at 34.5
        // s).
        for (long k = 0; k < 180; k++) {
            long recorded = START + (k + 1) * SECOND / 2;
            if (k == 100 || k == 101) {
                assertThat(returnedAt).as("chunk %d is in the drop-out", k).doesNotContainKey(k);
            } else if (recorded >= START + 20 * SECOND && recorded < START + 35 * SECOND) {
                assertThat(returnedAt.get(k)).as("held chunk %d", k).isEqualTo(START + 35 * SECOND);
            } else {
                assertThat(returnedAt.get(k)).as("chunk %d", k).isEqualTo(recorded);
            }
        }
        assertThat(all)
                .extracting(SimulatedChunk::chunkIndex)
                .isSorted()
                .doesNotHaveDuplicates()
                .hasSize(178);
        assertThat(all)
                .filteredOn(SimulatedChunk::backlogged)
                .hasSize(30)
                .allMatch(c -> c.releasedAtMicros() == START + 35 * SECOND);
        // The backlog arrives in one poll, with chunk 69 (done at exactly 35 s) right behind it.
        assertThat(batchSizes).contains(31);
    }

    @Test
    void aSinglePollReturnsEverythingDueInStreamOrder() {
        Scenario scenario =
                Scenario.builder()
                        .segment(120, Rhythm.NORMAL, 70, Noise.NONE)
                        .offline(10, 20)
                        .offline(30, 40)
                        .dropout(50, 55)
                        .build();
        DeviceUplink stepwise = uplink(scenario, 128, 128);
        DeviceUplink once = uplink(scenario, 128, 128);
        List<SimulatedChunk> a = new ArrayList<>();
        for (long now = START; now <= START + 100 * SECOND; now += 3_300_000L) {
            a.addAll(stepwise.poll(now));
        }
        a.addAll(stepwise.poll(START + 100 * SECOND));
        List<SimulatedChunk> b = once.poll(START + 100 * SECOND);
        assertThat(b).hasSameSizeAs(a);
        for (int i = 0; i < a.size(); i++) {
            assertThat(Signals.samples(a.get(i).chunk()))
                    .isEqualTo(Signals.samples(b.get(i).chunk()));
            assertThat(a.get(i).truth()).isEqualTo(b.get(i).truth());
            assertThat(a.get(i).releasedAtMicros()).isEqualTo(b.get(i).releasedAtMicros());
        }
        assertThat(once.poll(START + 100 * SECOND)).isEmpty();
        assertThat(once.nextReleaseMicros()).isEqualTo(START + 101 * SECOND);
    }

    @Test
    void profileDrivenDevicesSendEverythingWhenComplete() {
        DeviceUplink u =
                new DeviceUplink(
                        new SimulatedDevice("p", 1, 250, START, HeartRateProfile.resting(70)), 100);
        assertThat(u.poll(START + 399_999L)).isEmpty();
        assertThat(u.poll(START + 400_000L)).hasSize(1);
        assertThat(u.nextReleaseMicros()).isEqualTo(START + 800_000L);
    }

    @Test
    void invalidUplinksAreRejected() {
        SimulatedDevice d =
                new SimulatedDevice(
                        "x", 1, 250, START, Scenario.steady(Rhythm.NORMAL, 70, Noise.NONE));
        assertThatThrownBy(() -> new DeviceUplink(d, 0))
                .isInstanceOf(IllegalArgumentException.class);
        d.nextChunk(10);
        assertThatThrownBy(() -> new DeviceUplink(d, 250))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
