package io.fmstream.tools.learn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ClassicalEcgFeaturesTest {

    private static final double FS = 300;

    /**
     * A crude ECG: a narrow Gaussian R wave (1 mV) and a wider T wave per beat, plus small noise.
     */
    private static double[] ecg(double[] beatTimes, double seconds, long seed) {
        Random rng = new Random(seed);
        double[] x = new double[(int) (seconds * FS)];
        for (int i = 0; i < x.length; i++) {
            double t = i / FS;
            double v = 0.02 * rng.nextGaussian();
            for (double b : beatTimes) {
                v +=
                        Math.exp(-Math.pow((t - b) / 0.012, 2) / 2)
                                + 0.25 * Math.exp(-Math.pow((t - b - 0.25) / 0.04, 2) / 2);
            }
            x[i] = v;
        }
        return x;
    }

    private static int index(String name) {
        return ClassicalEcgFeatures.NAMES.indexOf(name);
    }

    @Test
    void regularRhythmAt75BpmIsDetectedBeatForBeat() {
        double[] beats = new double[37];
        for (int i = 0; i < beats.length; i++) {
            beats[i] = 0.5 + 0.8 * i; // 75 bpm
        }
        double[] f = ClassicalEcgFeatures.compute(ecg(beats, 30, 1), FS);
        assertThat(f[index("hr_bpm")]).isCloseTo(75, within(0.5));
        assertThat(Math.exp(f[index("log_beats")]) - 1).isCloseTo(37, within(1e-9));
        assertThat(f[index("rr_cv")]).isLessThan(0.02);
        assertThat(f[index("template_correlation")]).isGreaterThan(0.95);
    }

    @Test
    void irregularRhythmShowsInTheRrFeatures() {
        Random rng = new Random(9);
        double[] beats = new double[40];
        double t = 0.4;
        for (int i = 0; i < beats.length; i++) {
            beats[i] = t;
            t += 0.45 + 0.5 * rng.nextDouble(); // RR 0.45-0.95 s, uncorrelated: AF-like
        }
        double[] irregular = ClassicalEcgFeatures.compute(ecg(beats, t, 2), FS);
        assertThat(irregular[index("rr_cv")]).isGreaterThan(0.15);
        assertThat(irregular[index("pnn50")]).isGreaterThan(0.5);
        assertThat(irregular[index("rr_outlier_fraction")]).isGreaterThan(0.3);
    }

    @Test
    void aFlatRecordingHasNoBeatsAndNoRrFeatures() {
        double[] f = ClassicalEcgFeatures.compute(new double[3000], FS);
        assertThat(f[index("hr_bpm")]).isNaN();
        assertThat(f[index("flat_fraction")]).isEqualTo(1.0);
    }
}
