package io.fmstream.data.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import org.junit.jupiter.api.Test;

/** The unit noise processes: unit RMS, the intended shape, and purity (no hidden state). */
class NoiseModelTest {

    private final NoiseModel model = new NoiseModel(99, new Physiology(99));

    @Test
    void everyProcessHasUnitRms() {
        double rate = 250;
        int n = (int) (rate * 600);
        double bw = 0;
        double ma = 0;
        double em = 0;
        for (int i = 0; i < n; i++) {
            double t = i / rate;
            bw += square(model.baselineWander(t));
            ma += square(model.muscle(i));
            em += square(model.electrodeMotion(t));
        }
        assertThat(Math.sqrt(bw / n)).isCloseTo(1.0, offset(0.03));
        assertThat(Math.sqrt(ma / n)).isCloseTo(1.0, offset(0.01));
        // Whole blocks: exact up to the difference between the sampled sum and the integral.
        assertThat(Math.sqrt(em / n)).isCloseTo(1.0, offset(0.005));
    }

    @Test
    void electrodeMotionComesInBurstsOnePerBlock() {
        double rate = 500;
        int blocks = 300;
        int perBlock = (int) (rate * NoiseModel.EM_BLOCK_SECONDS);
        int silent = 0;
        double peak = 0;
        for (int b = 0; b < blocks; b++) {
            int runs = 0;
            boolean inBurst = false;
            for (int i = 0; i < perBlock; i++) {
                double v = model.electrodeMotion((b * perBlock + i) / rate);
                peak = Math.max(peak, Math.abs(v));
                boolean active = v != 0;
                if (active && !inBurst) {
                    runs++;
                }
                inBurst = active;
                if (!active) {
                    silent++;
                }
            }
            assertThat(runs).as("bursts in block %d", b).isEqualTo(1);
        }
        double silentFraction = (double) silent / (blocks * perBlock);
        assertThat(silentFraction).isBetween(0.4, 0.8);
        assertThat(peak).as("transients well above the RMS").isGreaterThan(4.0);
    }

    @Test
    void baselineWanderIsSlowAndMuscleNoiseIsBroadband() {
        double rate = 128;
        int n = 8192;
        double[] bw = new double[n];
        double[] ma = new double[n];
        for (int i = 0; i < n; i++) {
            bw[i] = model.baselineWander(i / rate);
            ma[i] = model.muscle(i);
        }
        double bwSlow = Signals.bandPower(bw, rate, 0.0, 0.5);
        double bwAll = Signals.bandPower(bw, rate, 0.0, 20);
        assertThat(bwSlow / bwAll).isGreaterThan(0.95);
        // White noise: a 10-Hz band holds about its share (10 / 64) of the 0-64 Hz power.
        double maBand = Signals.bandPower(ma, rate, 20, 30);
        double maAll = Signals.bandPower(ma, rate, 0.0, 64);
        assertThat(maBand / maAll).isCloseTo(10.0 / 64, offset(0.04));
    }

    @Test
    void valuesArePureFunctionsOfTimeAndIndex() {
        NoiseModel other = new NoiseModel(99, new Physiology(99));
        double[] ts = {1234.5678, 0.001, 77.7, 1234.5678, 3.0, 0.001};
        for (double t : ts) {
            assertThat(other.electrodeMotion(t)).isEqualTo(model.electrodeMotion(t));
            assertThat(other.baselineWander(t)).isEqualTo(model.baselineWander(t));
        }
        assertThat(other.muscle(123_456_789L)).isEqualTo(model.muscle(123_456_789L));
        assertThat(new NoiseModel(100, new Physiology(100)).muscle(5))
                .isNotEqualTo(model.muscle(5));
    }

    @Test
    void counterRngIsStandardNormalAndSplineNoiseHasUnitMeanSquare() {
        long key = CounterRng.derive(1, 2);
        double sum = 0;
        double sumSq = 0;
        int n = 200_000;
        for (int i = 0; i < n; i++) {
            double g = CounterRng.gaussian(key, i);
            sum += g;
            sumSq += g * g;
        }
        assertThat(sum / n).isCloseTo(0.0, offset(0.01));
        assertThat(sumSq / n).isCloseTo(1.0, offset(0.01));
        SplineNoise spline = new SplineNoise(key, 10);
        double ms = 0;
        int m = 400_000;
        for (int i = 0; i < m; i++) {
            ms += square(spline.value(i * 0.00731));
        }
        assertThat(ms / m).isCloseTo(1.0, offset(0.03));
    }

    private static double square(double v) {
        return v * v;
    }
}
