package io.fmstream.tools.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FanOutRunTest {

    @Test
    void theSteadyPartLeavesOutTheRunsStartAndDrain() {
        // 101 outputs: a slow start (one every 50 ms for 10 outputs), a steady middle (one every
        // 1 ms), a slow drain; given out of order, as the sink's queue may hold them.
        long[] made = new long[101];
        long t = 0;
        for (int i = 0; i < made.length; i++) {
            made[i] = t;
            t += (i < 10 || i >= 90) ? 50_000_000L : 1_000_000L;
        }
        long[] shuffled = new long[made.length];
        for (int i = 0; i < made.length; i++) {
            shuffled[i] = made[(i * 37) % made.length];
        }
        FanOutRun.SteadySpan span = FanOutRun.steadySpan(shuffled);
        // Outputs 10 to 90: 80 windows over 80 ms, where the whole run's rate is far lower.
        assertThat(span.windows()).isEqualTo(80);
        assertThat(span.seconds()).isCloseTo(0.080, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(span.windows() / span.seconds()).isEqualTo(1000.0);
        assertThat(100 / ((made[100] - made[0]) / 1e9)).isLessThan(200);
    }

    @Test
    void tooFewOutputsHaveNoSteadyPart() {
        FanOutRun.SteadySpan span = FanOutRun.steadySpan(new long[] {1, 2, 3});
        assertThat(span.seconds()).isNaN();
        assertThat(span.windows()).isZero();
    }
}
