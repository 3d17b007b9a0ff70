package io.fmstream.data.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import org.junit.jupiter.api.Test;

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
        assertThat(w.contributionMv(fast, 0.0))
                .isCloseTo(w.contributionMv(slow, 0.0), offset(0.02));
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

    @Test
    void afBeatsAreSinusBeatsWithoutThePWave() {
        EcgWaveform af = EcgWaveform.forKind(BeatKind.AF_CONDUCTED);
        assertThat(af).isSameAs(EcgWaveform.atrialFibrillation());
        assertThat(af.hasWave("P")).isFalse();
        assertThat(w.hasWave("P")).isTrue();
        Beat beat = new Beat(0.0, 1.0, 1.0, BeatKind.AF_CONDUCTED);
        assertThat(af.contributionMv(beat, -0.1944)).as("no P").isCloseTo(0.0, offset(0.01));
        for (double t = -0.06; t <= 0.6; t += 0.01) {
            assertThat(af.contributionMv(beat, t))
                    .isCloseTo(w.contributionMv(beat, t), offset(1e-3));
        }
    }

    @Test
    void pvcsAreWideTallAndHaveADiscordantT() {
        EcgWaveform pvc = EcgWaveform.forKind(BeatKind.PVC);
        assertThat(pvc).isSameAs(EcgWaveform.prematureVentricular());
        assertThat(pvc.hasWave("P")).isFalse();
        Beat beat = new Beat(0.0, 1.0, 1.0, BeatKind.PVC);
        assertThat(pvc.contributionMv(beat, 0.0)).isBetween(1.2, 1.4);
        // QRS extent (first to last deflection beyond 20 % of the R height): PVC over 120 ms, the
        // clinical
        // criterion of a wide QRS; the sinus QRS under 100 ms.
        assertThat(qrsExtent(pvc, beat, 0.2 * pvc.contributionMv(beat, 0))).isGreaterThan(0.12);
        Beat sinus = new Beat(0.0, 1.0, 1.0);
        assertThat(qrsExtent(w, sinus, 0.2 * w.contributionMv(sinus, 0))).isLessThan(0.1);
        // T wave opposite to the QRS.
        assertThat(pvc.contributionMv(beat, 0.28)).isLessThan(-0.3);
    }

    @Test
    void wavesStopAdaptingBeyondTheLongestSinusRr() {
        Beat pause = new Beat(0.0, 2.4, 1.0);
        Beat longest = new Beat(0.0, 1.5, 1.0);
        for (double t = -0.6; t <= 0.9; t += 0.01) {
            assertThat(w.contributionMv(pause, t)).isEqualTo(w.contributionMv(longest, t));
        }
        assertThat(w.contributionMv(pause, w.reachAfterRSeconds() + 1e-9)).isZero();
    }

    /**
     * Time from the first to the last point within 150 ms of R where |beat| exceeds {@code level}.
     */
    private static double qrsExtent(EcgWaveform wf, Beat beat, double level) {
        double first = Double.NaN;
        double last = Double.NaN;
        for (int i = -300; i <= 300; i++) {
            double t = i * 0.0005;
            if (Math.abs(wf.contributionMv(beat, t)) > level) {
                first = Double.isNaN(first) ? t : first;
                last = t;
            }
        }
        return last - first;
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
