package io.fmstream.tools.learn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class RandomForestTest {

    /** XOR of two features: no linear model can separate it, a forest does. */
    @Test
    void learnsAnInteractionThatALinearModelCannot() {
        Random rng = new Random(1);
        int n = 400;
        double[][] x = new double[n][3];
        int[] y = new int[n];
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            x[i][0] = rng.nextDouble();
            x[i][1] = rng.nextDouble();
            x[i][2] = rng.nextDouble(); // noise feature
            y[i] = (x[i][0] > 0.5) ^ (x[i][1] > 0.5) ? 1 : 0;
            w[i] = 1;
        }
        RandomForest f = RandomForest.fit(x, y, w, 2, 100, 7);
        int correct = 0;
        for (int i = 0; i < 200; i++) {
            double[] p = {rng.nextDouble(), rng.nextDouble(), rng.nextDouble()};
            int truth = (p[0] > 0.5) ^ (p[1] > 0.5) ? 1 : 0;
            double[] q = f.predict(p);
            assertThat(q[0] + q[1]).isCloseTo(1.0, within(1e-9));
            if ((q[1] > 0.5 ? 1 : 0) == truth) {
                correct++;
            }
        }
        assertThat(correct).isGreaterThan(180);
    }

    @Test
    void sameSeedSameForest() {
        double[][] x = {{0}, {1}, {2}, {3}, {4}, {5}};
        int[] y = {0, 0, 1, 0, 1, 1};
        double[] w = {1, 1, 1, 1, 1, 1};
        assertThat(RandomForest.fit(x, y, w, 2, 20, 3).predict(new double[] {2.5}))
                .containsExactly(RandomForest.fit(x, y, w, 2, 20, 3).predict(new double[] {2.5}));
    }
}
