package io.fmstream.tools.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The capacity run's verdicts: percentiles, the lag's slope and what counts as held. */
class CapacityRunTest {

    @Test
    void expectsTheWindowsWhoseEndsLieInTheSpanOnTheGridOfStarts() {
        long s = 1_000_000L;
        // 10 s windows, 5 s hop: starts 0, 5, ... so ends 10, 15, ...; in [100 s, 130 s]: 7
        assertThat(CapacityRun.windowsEndingIn(100 * s, 130 * s, 10 * s, 5 * s, 0)).isEqualTo(7);
        // 10 s windows, 3 s hop: starts 0, 3, 6, ... ends 10, 13, ... 100, 103, ..., 130: 11 (the
        // hop grid of ends, 102, 105, ..., 129, has 10)
        assertThat(CapacityRun.windowsEndingIn(100 * s, 130 * s, 10 * s, 3 * s, 0)).isEqualTo(11);
        // a device phase of 1 s: starts 1, 4, ...; ends 101, 104, ..., 128: 10
        assertThat(CapacityRun.windowsEndingIn(100 * s, 130 * s, 10 * s, 3 * s, s)).isEqualTo(10);
    }

    @Test
    void nearestRankPercentilesAndMissingWindowsAsInfiniteLag() {
        double[] v = new double[1000];
        for (int i = 0; i < v.length; i++) {
            v[i] = i + 1;
        }
        assertThat(CapacityRun.percentile(v, 0.5)).isEqualTo(500);
        assertThat(CapacityRun.percentile(v, 0.99)).isEqualTo(990);
        assertThat(CapacityRun.percentile(v, 0.999)).isEqualTo(999);
        // 1 % of windows never written: p99 still finite, p99.9 not.
        for (int i = 990; i < v.length; i++) {
            v[i] = Double.POSITIVE_INFINITY;
        }
        assertThat(CapacityRun.percentile(v, 0.99)).isEqualTo(990);
        assertThat(CapacityRun.percentile(v, 0.999)).isInfinite();
        assertThat(CapacityRun.percentile(new double[0], 0.5)).isNaN();
    }

    @Test
    void slopeIsTheLagsGrowthPerSecond() {
        List<double[]> steady = new ArrayList<>();
        List<double[]> behind = new ArrayList<>();
        for (int s = 0; s < 300; s += 5) {
            double endMicros = s * 1e6;
            steady.add(new double[] {endMicros, 0.8 + (s % 10 == 0 ? 0.1 : -0.1)});
            behind.add(new double[] {endMicros, 0.8 + 0.01 * s});
        }
        assertThat(CapacityRun.slope(steady)).isCloseTo(0, within(1e-3));
        assertThat(CapacityRun.slope(behind)).isCloseTo(0.01, within(1e-9));
    }

    @Test
    void heldNeedsLowLagNoGrowthAndNothingMissing() {
        assertThat(result(0, 2.0, 0.0).held(5, 0.002)).isTrue();
        assertThat(result(0, 6.0, 0.0).held(5, 0.002)).isFalse();
        assertThat(result(0, 2.0, 0.01).held(5, 0.002)).isFalse();
        assertThat(result(3, 2.0, 0.0).held(5, 0.002)).isFalse();
    }

    private static CapacityRun.Result result(int missing, double lagP99, double slope) {
        return new CapacityRun.Result(
                100,
                60,
                1200,
                missing,
                0.8,
                lagP99,
                lagP99,
                slope,
                0.05,
                0.2,
                0.3,
                5,
                10,
                11,
                100,
                0.5,
                0.05,
                0.1,
                0.0,
                0.0,
                100 << 20,
                500 << 20,
                770_000,
                12.5,
                0.02,
                0.4,
                LatencyTail.attribute(
                        new LatencyTail.Samples(), 0.15, java.util.List.of(), java.util.List.of()),
                0.1,
                java.util.Map.of(),
                0.05);
    }
}
