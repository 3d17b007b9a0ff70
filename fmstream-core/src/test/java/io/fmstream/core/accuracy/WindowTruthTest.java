package io.fmstream.core.accuracy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class WindowTruthTest {

    private static final long S = 1_000_000L;

    private static TruthSpan span(long from, long to, double hr, String rhythm, double noise) {
        return new TruthSpan("d", from * S, to * S, hr, rhythm, noise);
    }

    @Test
    void meanHeartRateMajorityRhythmAndNoiseRuleOverTheWindow() {
        List<TruthSpan> spans =
                List.of(
                        span(0, 4, 60, "AF", 0.05),
                        span(4, 10, 80, "NORMAL", 0.05),
                        span(10, 11, 200, "OTHER", 0.9)); // outside [0, 10): ignored
        WindowTruth t = WindowTruth.of(spans, 0, 10 * S).orElseThrow();
        assertThat(t.heartRateBpm()).isEqualTo(70.0);
        assertThat(t.rhythm()).isEqualTo("normal"); // 6 s NORMAL against 4 s AF
        assertThat(t.quality()).isEqualTo("good");

        WindowTruth noisy =
                WindowTruth.of(List.of(span(0, 10, 75, "AF", 0.25)), 0, 10 * S).orElseThrow();
        assertThat(noisy.rhythm()).isEqualTo("noisy");
        assertThat(noisy.quality()).isEqualTo("poor");
    }

    @Test
    void aWindowCoveredLessThanEightyPercentHasNoTruth() {
        assertThat(WindowTruth.of(List.of(span(0, 7, 70, "NORMAL", 0)), 0, 10 * S)).isEmpty();
        assertThat(WindowTruth.of(List.of(span(0, 8, 70, "NORMAL", 0)), 0, 10 * S)).isPresent();
    }

    @Test
    void outcomesByTask() {
        WindowTruth t = new WindowTruth(72, "af", "good");
        assertThat(Outcome.score("heart_rate", null, 75.5, t).orElseThrow().absoluteError())
                .isEqualTo(3.5);
        assertThat(Outcome.score("rhythm", "af", Double.NaN, t).orElseThrow().agree()).isTrue();
        assertThat(Outcome.score("signal_quality", "poor", Double.NaN, t).orElseThrow().agree())
                .isFalse();
        assertThat(Outcome.score("sleep_stage", "rem", Double.NaN, t)).isEmpty();
        assertThat(Outcome.score("heart_rate", null, 75, new WindowTruth(Double.NaN, "af", "good")))
                .isEmpty();
    }
}
