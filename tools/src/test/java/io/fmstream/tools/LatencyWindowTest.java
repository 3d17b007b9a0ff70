package io.fmstream.tools;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LatencyWindowTest {

    @Test
    void summarisesTheLastSpanAndForgetsWhatIsOlder() {
        LatencyWindow w = new LatencyWindow(60_000);
        for (int i = 1; i <= 100; i++) {
            w.add(1_000 + i, i);
        }
        assertThat(w.summary(2_000)).isEqualTo("50/99/100");
        // A stall 30 s later stays in the summary for a minute, whatever the print interval.
        w.add(31_000, 26_000);
        assertThat(w.summary(61_000)).isEqualTo("51/100/26000");
        assertThat(w.summary(61_102)).isEqualTo("26000/26000/26000");
        assertThat(w.summary(91_000)).isEqualTo("-/-/-");
        assertThat(w.size(91_000)).isZero();
    }

    @Test
    void nearestRankPercentiles() {
        long[] sorted = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        assertThat(LatencyWindow.percentile(sorted, 0.5)).isEqualTo(5);
        assertThat(LatencyWindow.percentile(sorted, 0.99)).isEqualTo(10);
        assertThat(LatencyWindow.percentile(new long[] {7}, 0.99)).isEqualTo(7);
    }
}
