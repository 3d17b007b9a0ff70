package io.fmstream.core.recording;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class RecordingAggregatorTest {

    @Test
    void meanProbabilityDecidesNotTheMajorityVote() {
        // two windows mildly "normal", one strongly "af": votes say normal, mean probability says
        // af
        List<float[]> windows =
                List.of(
                        new float[] {0.55f, 0.45f, 0f},
                        new float[] {0.55f, 0.45f, 0f},
                        new float[] {0.00f, 1.00f, 0f});
        RecordingAggregator.Classification c =
                RecordingAggregator.classify(windows, 3).orElseThrow();
        assertThat(c.label()).isEqualTo(1);
        assertThat(c.probability(0)).isCloseTo(1.1 / 3, within(1e-6));
        assertThat(c.probability(1)).isCloseTo(1.9 / 3, within(1e-6));
        assertThat(c.windows()).isEqualTo(3);
    }

    @Test
    void windowsThatCouldNotBeScoredAreLeftOut() {
        List<float[]> windows =
                List.of(new float[] {Float.NaN, Float.NaN}, new float[] {0.2f, 0.8f});
        RecordingAggregator.Classification c =
                RecordingAggregator.classify(windows, 2).orElseThrow();
        assertThat(c.label()).isEqualTo(1);
        assertThat(c.windows()).isEqualTo(1);
        assertThat(RecordingAggregator.classify(List.of(new float[] {Float.NaN, 1f}), 2)).isEmpty();
        assertThat(RecordingAggregator.classify(List.of(), 2)).isEmpty();
    }

    @Test
    void tiesGoToTheLowerIndex() {
        assertThat(
                        RecordingAggregator.classify(List.of(new float[] {0.5f, 0.5f}), 2)
                                .orElseThrow()
                                .label())
                .isZero();
    }

    @Test
    void rowMajorRangeIsOneRecording() {
        float[] rows = {1f, 0f, 0f, 1f, 0.3f, 0.7f};
        RecordingAggregator.Classification c =
                RecordingAggregator.classify(rows, 2, 1, 3).orElseThrow();
        assertThat(c.probabilities()).containsExactly(new double[] {0.15, 0.85}, within(1e-6));
        assertThatThrownBy(() -> RecordingAggregator.classify(rows, 2, 2, 4))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void wrongRowLengthIsRefused() {
        assertThatThrownBy(() -> RecordingAggregator.classify(List.of(new float[] {1f}), 2))
                .hasMessageContaining("1 probabilities, expected 2");
    }

    @Test
    void regressionIsTheMeanOfFiniteValues() {
        assertThat(RecordingAggregator.regress(new double[] {60, 70, Double.NaN, 80}))
                .contains(70.0);
        assertThat(RecordingAggregator.regress(new double[] {Double.NaN})).isEmpty();
    }
}
