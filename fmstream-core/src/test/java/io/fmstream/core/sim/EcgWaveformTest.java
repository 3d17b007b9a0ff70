package io.fmstream.core.sim;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

class EcgWaveformTest {

    private final EcgWaveform w = EcgWaveform.normalSinus();

    @Test
    void waveHeightsFollowMcSharry() {
        Beat beat = new Beat(0.0, 1.0, 1.0);
        assertThat(w.contributionMv(beat, 0.0)).isCloseTo(1.0, offset(0.02));
        assertThat(w.contributionMv(beat, -0.1944)).as("P").isCloseTo(0.25, offset(0.02));
        assertThat(w.contributionMv(beat, 0.2778)).as("T").isCloseTo(0.40, offset(0.02));
        assertThat(w.contributionMv(beat, 0.0417)).as("S").isLessThan(-0.15);
        assertThat(w.contributionMv(beat, 0.6)).as("diastole").isCloseTo(0.0, offset(0.01));
    }

    @Test
    void qrsKeepsItsWidthWhileTMovesWithTheRate() {
        Beat slow = new Beat(0.0, 1.5, 1.0);
        Beat fast = new Beat(0.0, 60.0 / 170, 1.0);
        assertThat(w.contributionMv(fast, 0.0)).isCloseTo(w.contributionMv(slow, 0.0), offset(0.02));
        double tSlow = argMax(slow, 0.1, 0.6);
        double tFast = argMax(fast, 0.1, 0.6);
        assertThat(tFast).isLessThan(tSlow);
        assertThat(tFast).as("T peak before the next R").isLessThan(60.0 / 170);
    }

    @Test
    void reachCoversEveryContribution() {
        Beat beat = new Beat(0.0, 1.5, 1.0);
        assertThat(w.contributionMv(beat, -w.reachBeforeRSeconds() - 1e-9)).isZero();
        assertThat(w.contributionMv(beat, w.reachAfterRSeconds() + 1e-9)).isZero();
    }

    private double argMax(Beat beat, double from, double to) {
        double best = from;
        for (double t = from; t <= to; t += 0.001) {
            if (w.contributionMv(beat, t) > w.contributionMv(beat, best)) {
                best = t;
            }
        }
        return best;
    }
}
