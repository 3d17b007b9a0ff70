package io.fmstream.tools.learn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class LogisticRegressionTest {

    /**
     * Labels drawn from a known softmax model; with many samples and a tiny penalty the fit
     * recovers it.
     */
    @Test
    void recoversAKnownMultinomialModel() {
        Random rng = new Random(3);
        double[][] trueW = {{0, 0}, {2.0, -1.0}, {-1.5, 0.5}};
        double[] trueB = {0, 0.5, -0.3};
        int n = 20_000;
        float[][] x = new float[n][2];
        int[] y = new int[n];
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            x[i][0] =
                    (float)
                            (rng.nextGaussian() * 2
                                    + 3); // not centred: the standardisation must fold back
            x[i][1] = (float) (rng.nextGaussian() * 0.5 - 1);
            double[] z = new double[3];
            for (int c = 0; c < 3; c++) {
                z[c] = trueB[c] + trueW[c][0] * x[i][0] + trueW[c][1] * x[i][1];
            }
            LinearModel.softmaxInPlace(z);
            double u = rng.nextDouble();
            y[i] = u < z[0] ? 0 : u < z[0] + z[1] ? 1 : 2;
            w[i] = 1;
        }
        LinearModel m = LogisticRegression.fit(x, y, w, 3, 1e-6);
        float[] probe = {4f, -1.2f};
        double[] expected = new double[3];
        for (int c = 0; c < 3; c++) {
            expected[c] = trueB[c] + trueW[c][0] * probe[0] + trueW[c][1] * probe[1];
        }
        LinearModel.softmaxInPlace(expected);
        double[] got = m.apply(probe);
        for (int c = 0; c < 3; c++) {
            assertThat(got[c]).isCloseTo(expected[c], within(0.02));
        }
        // differences of weight rows are identified (the softmax is invariant to a common shift)
        double[][] fw = m.weights();
        assertThat(fw[1][0] - fw[0][0]).isCloseTo(2.0, within(0.1));
        assertThat(fw[2][1] - fw[0][1]).isCloseTo(0.5, within(0.15));
    }

    @Test
    void sampleWeightsActLikeRepeatedRows() {
        float[][] x = {{0f}, {1f}, {2f}, {3f}};
        int[] y = {0, 0, 1, 1};
        LinearModel weighted = LogisticRegression.fit(x, y, new double[] {1, 2, 1, 1}, 2, 0.1);
        float[][] rx = {{0f}, {1f}, {1f}, {2f}, {3f}};
        LinearModel repeated =
                LogisticRegression.fit(
                        rx, new int[] {0, 0, 0, 1, 1}, new double[] {1, 1, 1, 1, 1}, 2, 0.1);
        assertThat(weighted.apply(new float[] {1.5f})[1])
                .isCloseTo(repeated.apply(new float[] {1.5f})[1], within(1e-4));
    }

    @Test
    void aLargerPenaltyShrinksTowardsTheClassPrior() {
        float[][] x = {{-1f}, {-0.5f}, {0.5f}, {1f}};
        int[] y = {0, 0, 1, 1};
        double[] w = {1, 1, 1, 1};
        double weak = LogisticRegression.fit(x, y, w, 2, 1e-3).apply(new float[] {1f})[1];
        double strong = LogisticRegression.fit(x, y, w, 2, 10).apply(new float[] {1f})[1];
        assertThat(weak).isGreaterThan(strong);
        assertThat(strong).isCloseTo(0.5, within(0.1));
    }

    @Test
    void refusesBadInput() {
        assertThatThrownBy(
                        () ->
                                LogisticRegression.fit(
                                        new float[][] {{1f}},
                                        new int[] {2},
                                        new double[] {1},
                                        2,
                                        1))
                .hasMessageContaining("label 2 outside");
        assertThatThrownBy(
                        () ->
                                LogisticRegression.fit(
                                        new float[][] {{1f}},
                                        new int[] {0, 1},
                                        new double[] {1},
                                        2,
                                        1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void ridgeRecoversALinearFunction() {
        Random rng = new Random(5);
        int n = 500;
        float[][] x = new float[n][3];
        double[] y = new double[n];
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < 3; j++) {
                x[i][j] = (float) (rng.nextGaussian() + j);
            }
            y[i] = 70 + 3 * x[i][0] - 2 * x[i][1] + 0.5 * x[i][2];
            w[i] = 1 + (i % 3);
        }
        LinearModel m = RidgeRegression.fit(x, y, w, 1e-9);
        assertThat(m.apply(new float[] {1f, 2f, 3f})[0]).isCloseTo(70 + 3 - 4 + 1.5, within(1e-4));
        assertThat(m.softmax()).isFalse();
    }
}
