package io.fmstream.tools.eval;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class EncoderComparisonTest {

    /** Four windows of two devices; the candidate turns two of them away from the reference. */
    private static final EncoderComparison.Windows WINDOWS =
            new EncoderComparison.Windows(
                    new float[4][1000],
                    new int[] {0, 0, 1, 1},
                    new int[] {-1, -1, -1, -1},
                    new int[] {-1, -1, -1, -1},
                    new float[] {Float.NaN, Float.NaN, Float.NaN, Float.NaN},
                    new float[4],
                    List.of("cinc2017-a00012", "mitdb-208"),
                    new float[] {0, 5, 0, 5});

    private static final float[][] REFERENCE = {{1, 0}, {1, 0}, {1, 0}, {1, 0}};

    /** cos 0.999 (kept), cos 0.95, cos 1, cos 0.98: two under 0.99. */
    private static final float[][] CANDIDATE = {
        {0.999f, (float) Math.sqrt(1 - 0.999 * 0.999)},
        {0.95f, (float) Math.sqrt(1 - 0.95 * 0.95)},
        {2, 0},
        {0.98f, (float) Math.sqrt(1 - 0.98 * 0.98)}
    };

    private static final EncoderComparison.Cosines COSINES =
            EncoderComparison.cosines(REFERENCE, CANDIDATE);

    @Test
    void cosinesCountTheWindowsUnderTheServingThreshold() {
        EncoderComparison.Cosines c = COSINES;
        assertThat(c.windows()).isEqualTo(4);
        assertThat(c.below()).isEqualTo(2);
        assertThat(c.min()).isCloseTo(0.95, org.assertj.core.api.Assertions.within(1e-6));
        assertThat(c.mean())
                .isCloseTo(
                        (0.999 + 0.95 + 1 + 0.98) / 4,
                        org.assertj.core.api.Assertions.within(1e-6));
    }

    @Test
    void theWindowsUnderTheThresholdAreNamedWorstFirstAndCapped() {
        assertThat(EncoderComparison.below(WINDOWS, COSINES, 10))
                .containsExactly(
                        "cinc2017-a00012 @ 5 s: cosine 0.9500", "mitdb-208 @ 5 s: cosine 0.9800");
        assertThat(EncoderComparison.below(WINDOWS, COSINES, 1))
                .containsExactly("cinc2017-a00012 @ 5 s: cosine 0.9500");
        assertThat(
                        EncoderComparison.below(
                                WINDOWS, EncoderComparison.cosines(REFERENCE, REFERENCE), 10))
                .isEmpty();
    }
}
