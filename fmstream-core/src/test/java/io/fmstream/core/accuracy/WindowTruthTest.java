package io.fmstream.core.accuracy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

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
    void spansMatchingTheWindowExactlyAreItsTruthWithoutTheirOverlappingNeighbours() {
        // Replay's grid: one 10-s span every 5 s. Window [5, 15) is span [5, 15) alone.
        List<TruthSpan> grid =
                List.of(
                        span(0, 10, 60, "NORMAL", Double.NaN),
                        span(5, 15, 70, "AF", Double.NaN),
                        span(10, 20, 90, "NORMAL", Double.NaN));
        WindowTruth t = WindowTruth.of(grid, 5 * S, 15 * S).orElseThrow();
        assertThat(t.heartRateBpm()).isEqualTo(70.0);
        assertThat(t.rhythm()).isEqualTo("af");
        // A range no span matches (a recording) still blends every span inside it.
        assertThat(WindowTruth.of(grid, 0, 20 * S).orElseThrow().heartRateBpm())
                .isCloseTo(220.0 / 3, within(1e-9));
    }

    @Test
    void coverageIsTheUnionOfTheSpansNotTheSumOfTheirLengths() {
        // 12 s of spans, but only [0, 7) covered: under 80 %.
        List<TruthSpan> overlapping =
                List.of(span(0, 6, 70, "NORMAL", 0), span(1, 7, 70, "NORMAL", 0));
        assertThat(WindowTruth.of(overlapping, 0, 10 * S)).isEmpty();
        assertThat(
                        WindowTruth.of(
                                List.of(span(0, 6, 70, "NORMAL", 0), span(2, 8, 72, "NORMAL", 0)),
                                0,
                                10 * S))
                .isPresent();
    }

    @Test
    void whatTheSpansDoNotSayIsNotMadeUp() {
        // A real recording: annotations give heart rate and rhythm, no noise figure.
        WindowTruth real =
                WindowTruth.of(List.of(span(0, 10, 75, "NORMAL", Double.NaN)), 0, 10 * S)
                        .orElseThrow();
        assertThat(real.rhythm()).isEqualTo("normal");
        assertThat(real.quality()).isNull();
        assertThat(Outcome.score("signal_quality", "good", Double.NaN, real)).isEmpty();
        // No rhythm annotation over most of the window.
        WindowTruth unannotated =
                WindowTruth.of(
                                List.of(
                                        span(0, 7, 75, "UNKNOWN", Double.NaN),
                                        span(7, 10, 75, "AF", Double.NaN)),
                                0,
                                10 * S)
                        .orElseThrow();
        assertThat(unannotated.rhythm()).isNull();
        assertThat(Outcome.score("rhythm", "normal", Double.NaN, unannotated)).isEmpty();
        // A noise figure still makes an unannotated window noisy.
        assertThat(
                        WindowTruth.of(List.of(span(0, 10, 75, "UNKNOWN", 0.3)), 0, 10 * S)
                                .orElseThrow()
                                .rhythm())
                .isEqualTo("noisy");
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
