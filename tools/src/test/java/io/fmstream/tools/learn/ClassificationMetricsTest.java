package io.fmstream.tools.learn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class ClassificationMetricsTest {

    @Test
    void f1AndChallengeF1ByHand() {
        int[] truth = {0, 0, 0, 1, 1, 2, 3};
        int[] pred = {0, 0, 1, 1, 2, 2, 0};
        double[] f1 = ClassificationMetrics.f1PerClass(truth, pred, 4);
        // class 0: tp 2, fp 1, fn 1 -> 4/6; class 1: tp 1, fp 1, fn 1 -> 0.5; class 2: tp 1 fp 1 fn
        // 0 -> 2/3
        assertThat(f1[0]).isCloseTo(4.0 / 6, within(1e-12));
        assertThat(f1[1]).isCloseTo(0.5, within(1e-12));
        assertThat(f1[2]).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(f1[3]).isZero();
        assertThat(ClassificationMetrics.challengeF1(truth, pred, 4, 3))
                .isCloseTo((4.0 / 6 + 0.5 + 2.0 / 3) / 3, within(1e-12));
    }

    @Test
    void aurocCountsTiesHalf() {
        int[] truth = {1, 1, 0, 0};
        assertThat(ClassificationMetrics.auroc(truth, new double[] {0.9, 0.8, 0.1, 0.2}, 1))
                .isEqualTo(1.0);
        assertThat(ClassificationMetrics.auroc(truth, new double[] {0.5, 0.5, 0.5, 0.5}, 1))
                .isEqualTo(0.5);
        assertThat(ClassificationMetrics.auroc(truth, new double[] {0.9, 0.1, 0.5, 0.2}, 1))
                .isEqualTo(0.5);
    }

    @Test
    void sensitivityAtSpecificityUsesTheNegativesQuantile() {
        int[] truth = new int[30];
        double[] score = new double[30];
        for (int i = 0; i < 20; i++) {
            score[i] = i / 100.0; // negatives 0.00 .. 0.19
        }
        for (int i = 20; i < 30; i++) {
            truth[i] = 1;
            score[i] = 0.1 + (i - 20) / 100.0; // positives 0.10 .. 0.19
        }
        // 95 % of 20 negatives: threshold at the 19th smallest (0.18); positives above it: 0.19
        // only
        assertThat(ClassificationMetrics.sensitivityAtSpecificity(truth, score, 1, 0.95))
                .isCloseTo(0.1, within(1e-12));
    }

    @Test
    void brierOfPerfectAndUniformPredictions() {
        int[] truth = {0, 1};
        assertThat(ClassificationMetrics.brier(truth, new double[][] {{1, 0}, {0, 1}})).isZero();
        assertThat(ClassificationMetrics.brier(truth, new double[][] {{0.5, 0.5}, {0.5, 0.5}}))
                .isCloseTo(0.5, within(1e-12));
    }

    @Test
    void bootstrapIntervalBracketsTheMean() {
        double[] v = {0.1, 0.2, 0.15, 0.05, 0.12, 0.18, 0.09, 0.11, 0.14, 0.16};
        double[] ci = ClassificationMetrics.bootstrapMeanCi(v, 5000, 1);
        assertThat(ci[0]).isLessThan(0.13).isGreaterThan(0.08);
        assertThat(ci[1]).isGreaterThan(0.13).isLessThan(0.17);
    }
}
