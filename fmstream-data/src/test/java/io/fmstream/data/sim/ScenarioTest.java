package io.fmstream.data.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ScenarioTest {

    private static final long HOUR = 3_600_000_000L;

    @Test
    void generatedScenariosAreDeterministicAndPlausible() {
        Scenario a = Scenario.generate(17, 6 * HOUR);
        assertThat(Scenario.generate(17, 6 * HOUR)).isEqualTo(a);
        assertThat(Scenario.generate(18, 6 * HOUR)).isNotEqualTo(a);

        Set<Rhythm> seen = EnumSet.noneOf(Rhythm.class);
        long expectedStart = 0;
        for (Scenario.Segment s : a.segments()) {
            assertThat(s.startOffsetMicros()).isEqualTo(expectedStart);
            assertThat(s.durationMicros()).isBetween(30_000_000L, 300_000_000L);
            assertThat(s.durationMicros() % 1_000_000L).isZero();
            assertThat(s.noise().rmsMv()).isBetween(0.01 - 1e-12, 0.3 + 1e-12);
            switch (s.rhythm()) {
                case NORMAL -> assertThat(s.meanBpm()).isBetween(40.0, 180.0);
                case AF -> assertThat(s.meanBpm()).isBetween(60.0, 170.0);
                case OTHER -> {
                    assertThat(s.meanBpm()).isBetween(50.0, 110.0);
                    assertThat(s.pvcEvery()).isBetween(3, 6);
                }
            }
            seen.add(s.rhythm());
            expectedStart = s.endOffsetMicros();
        }
        assertThat(a.nominalDurationMicros()).isGreaterThanOrEqualTo(6 * HOUR);
        assertThat(seen).containsExactlyInAnyOrder(Rhythm.values());
        assertThat(a.dropouts()).isNotEmpty();
        assertThat(a.offlinePeriods()).isNotEmpty();
        for (Scenario.Span d : a.dropouts()) {
            assertThat(d.durationMicros()).isBetween(1_000_000L, 20_000_000L);
            assertThat(a.offlinePeriods())
                    .noneMatch(
                            o ->
                                    o.startOffsetMicros() < d.endOffsetMicros()
                                            && d.startOffsetMicros() < o.endOffsetMicros());
        }
        for (Scenario.Span o : a.offlinePeriods()) {
            assertThat(o.durationMicros()).isBetween(30_000_000L, 300_000_000L);
        }
    }

    @Test
    void lookupsFollowTheSchedule() {
        Scenario s =
                Scenario.builder()
                        .segment(10, Rhythm.NORMAL, 60, Noise.NONE)
                        .segment(20, Rhythm.AF, 120, Noise.of(0.2))
                        .pvcSegment(30, 80, 3, new Noise(0.1, 0, 0))
                        .dropout(5, 6)
                        .offline(40, 50)
                        .build();
        assertThat(s.segmentAt(-1).rhythm()).isEqualTo(Rhythm.NORMAL);
        assertThat(s.segmentAt(9_999_999).rhythm()).isEqualTo(Rhythm.NORMAL);
        assertThat(s.segmentAt(10_000_000).rhythm()).isEqualTo(Rhythm.AF);
        assertThat(s.segmentAt(30_000_000).rhythm()).isEqualTo(Rhythm.OTHER);
        assertThat(s.segmentAt(10 * HOUR).rhythm())
                .as("the last segment is open-ended")
                .isEqualTo(Rhythm.OTHER);

        assertThat(s.targetBpmAt(10_000_000)).isEqualTo(60.0);
        assertThat(s.targetBpmAt(12_500_000)).isCloseTo(90.0, offset(1e-9));
        assertThat(s.targetBpmAt(15_000_000)).isEqualTo(120.0);
        assertThat(s.noiseAt(10_500_000).rmsMv()).isCloseTo(0.1, offset(1e-9));
        assertThat(s.noiseAt(11_000_000)).isEqualTo(Noise.of(0.2));
        assertThat(s.fibrillationWeightAt(9_000_000)).isZero();
        assertThat(s.fibrillationWeightAt(10_250_000)).isCloseTo(0.25, offset(1e-9));
        assertThat(s.fibrillationWeightAt(29_000_000)).isEqualTo(1.0);
        assertThat(s.fibrillationWeightAt(30_500_000)).isCloseTo(0.5, offset(1e-9));

        assertThat(s.rhythmMicros(5_000_000, 35_000_000))
                .containsExactly(5_000_000, 20_000_000, 5_000_000);
        assertThat(s.rhythmMicros(70_000_000, 80_000_000)).containsExactly(0, 0, 10_000_000);

        assertThat(s.inDropout(4_999_999)).isFalse();
        assertThat(s.inDropout(5_000_000)).isTrue();
        assertThat(s.inDropout(6_000_000)).isFalse();
        assertThat(s.overlapsDropout(0, 5_000_000)).isTrue();
        assertThat(s.overlapsDropout(6_000_000, 9_000_000)).isFalse();
        assertThat(s.offlineUntil(39_999_999)).isEqualTo(-1);
        assertThat(s.offlineUntil(40_000_000)).isEqualTo(50_000_000);
        assertThat(s.offlineUntil(50_000_000)).isEqualTo(-1);

        Scenario clean = s.withoutNoise();
        assertThat(clean.segments()).allMatch(seg -> seg.noise().equals(Noise.NONE));
        assertThat(clean.dropouts()).isEqualTo(s.dropouts());
        assertThat(s.withoutLinkEvents().dropouts()).isEmpty();
        assertThat(s.withoutLinkEvents().offlinePeriods()).isEmpty();
        assertThat(s.withoutLinkEvents().segments()).isEqualTo(s.segments());
    }

    @Test
    void invalidSchedulesAreRejected() {
        assertThatThrownBy(() -> Scenario.builder().build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Scenario.builder().segment(10, Rhythm.OTHER, 150, Noise.NONE))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Scenario.builder().segment(10, Rhythm.NORMAL, 190, Noise.NONE))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Scenario.builder().pvcSegment(10, 70, 1, Noise.NONE))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Scenario.builder().segmentMicros(10, Rhythm.AF, 70, Noise.NONE, 3))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Scenario.builder().segment(0, Rhythm.NORMAL, 70, Noise.NONE))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Scenario.builder().segment(-1, Rhythm.NORMAL, 70, Noise.NONE))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(
                        () ->
                                Scenario.builder()
                                        .segment(10, Rhythm.NORMAL, 70, Noise.NONE)
                                        .dropout(1, 3)
                                        .dropout(2, 4)
                                        .build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Scenario.builder().dropout(3, 3))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Scenario.generate(1, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Noise(-0.1, 0, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Noise(Double.NaN, 0, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void noiseSharesSplitThePowerAndAddInQuadrature() {
        Noise n = Noise.of(0.2, 1, 1, 2);
        assertThat(n.rmsMv()).isCloseTo(0.2, offset(1e-12));
        assertThat(n.electrodeMotionMv() * n.electrodeMotionMv()).isCloseTo(0.02, offset(1e-12));
        assertThat(Noise.of(0)).isEqualTo(Noise.NONE);
        assertThat(Noise.of(0.1).rmsMv()).isCloseTo(0.1, offset(1e-12));
        assertThat(
                        List.of(
                                Noise.of(0.1).baselineWanderMv(),
                                Noise.of(0.1).muscleMv(),
                                Noise.of(0.1).electrodeMotionMv()))
                .allMatch(v -> v > 0);
    }
}
