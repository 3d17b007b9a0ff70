package io.fmstream.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LinearHeadTest {

    private static final String FILE = "heads/af_vs_rest.json";

    private static final float[][] W = {
        {1f, 0f, -1f, 0.5f},
        {0f, 2f, 0f, 0f},
        {-1f, -1f, 1f, 0f},
    };
    private static final float[] B = {0.1f, -0.2f, 0f};

    @Test
    void softmaxMatchesAHandComputationAndSumsToOne() {
        LinearHead head = LinearHead.of(W, B, LinearHead.Activation.SOFTMAX);
        float[] x = {1f, 2f, 3f, 4f};
        // Logits by hand: 1 - 3 + 2 + 0.1 = 0.1; 4 - 0.2 = 3.8; -1 - 2 + 3 = 0.
        double e0 = Math.exp(0.1);
        double e1 = Math.exp(3.8);
        double e2 = Math.exp(0);
        double sum = e0 + e1 + e2;

        float[] p = head.apply(new float[][] {x})[0];

        assertThat(p).hasSize(3);
        assertThat((double) p[0]).isCloseTo(e0 / sum, within(1e-6));
        assertThat((double) p[1]).isCloseTo(e1 / sum, within(1e-6));
        assertThat((double) p[2]).isCloseTo(e2 / sum, within(1e-6));
        assertThat((double) p[0] + p[1] + p[2]).isCloseTo(1.0, within(1e-6));
    }

    @Test
    void softmaxIsStableForHugeLogits() {
        LinearHead head =
                LinearHead.of(
                        new float[][] {{1000f}, {-1000f}, {999f}},
                        new float[3],
                        LinearHead.Activation.SOFTMAX);
        float[] p = head.apply(new float[][] {{1f}})[0];
        double e = Math.exp(-1);
        assertThat((double) p[0]).isCloseTo(1 / (1 + e), within(1e-6));
        assertThat(p[1]).isZero();
        assertThat((double) p[2]).isCloseTo(e / (1 + e), within(1e-6));
    }

    @Test
    void identityIsTheAffineValue() {
        LinearHead head =
                LinearHead.of(
                        new float[][] {{2f, -0.5f, 0.25f}},
                        new float[] {70f},
                        LinearHead.Activation.IDENTITY);
        float[][] out = head.apply(new float[][] {{1f, 2f, 4f}, {0f, 0f, 0f}});
        assertThat(out[0]).containsExactly(2f - 1f + 1f + 70f);
        assertThat(out[1]).containsExactly(70f);
    }

    @Test
    void accumulatesInDouble() {
        // In float, 1e8 + 1 - 1e8 is 0; in double it is 1.
        LinearHead head =
                LinearHead.of(
                        new float[][] {{1f, 1f, 1f}},
                        new float[] {0f},
                        LinearHead.Activation.IDENTITY);
        assertThat(head.apply(new float[][] {{1e8f, 1f, -1e8f}})[0][0]).isEqualTo(1f);
    }

    @Test
    void flatVariantMatchesArrayVariant() {
        LinearHead head = randomHead(new Random(3), 8, 3, LinearHead.Activation.SOFTMAX);
        Random random = new Random(4);
        float[][] rows = new float[5][8];
        float[] flat = new float[6 * 8]; // larger than needed: callers reuse buffers
        for (int i = 0; i < rows.length; i++) {
            for (int j = 0; j < 8; j++) {
                rows[i][j] = (float) random.nextGaussian();
                flat[i * 8 + j] = rows[i][j];
            }
        }
        float[] out = new float[6 * 3];
        head.apply(flat, 5, out);
        float[][] expected = head.apply(rows);
        for (int i = 0; i < 5; i++) {
            for (int k = 0; k < 3; k++) {
                assertThat(out[i * 3 + k]).isEqualTo(expected[i][k]);
            }
        }
        assertThat(head.apply(new float[0][])).isEmpty();
        head.apply(new float[0], 0, new float[0]);
    }

    @Test
    void refusesWrongArguments() {
        LinearHead head = LinearHead.of(W, B, LinearHead.Activation.SOFTMAX);
        assertThatThrownBy(() -> head.apply(new float[][] {new float[4], new float[3]}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("rows[1] has 3 values")
                .hasMessageContaining("expects 4");
        assertThatThrownBy(() -> head.apply(new float[][] {null}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("rows[0] is null");
        assertThatThrownBy(() -> head.apply((float[][]) null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> head.apply(new float[7], 2, new float[6]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("holds 7 values");
        assertThatThrownBy(() -> head.apply(new float[8], 2, new float[5]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("output array holds 5 values");
        assertThatThrownBy(() -> head.apply(new float[8], -1, new float[6]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("count must not be negative");
    }

    @Test
    void roundTripsBitForBitAndByteForByte() {
        Random random = new Random(20240607);
        for (LinearHead.Activation activation : LinearHead.Activation.values()) {
            LinearHead head = randomHead(random, 64, 5, activation);
            byte[] json = head.toJson();
            LinearHead back = LinearHead.parse(json, FILE);
            assertThat(back).isEqualTo(head);
            assertSameBits(back.weights(), head.weights());
            assertSameBits(new float[][] {back.bias()}, new float[][] {head.bias()});
            assertThat(back.activation()).isEqualTo(activation);
            assertThat(back.toJson()).isEqualTo(json);
            assertThat(Sha256.hex(back.toJson())).isEqualTo(Sha256.hex(json));
        }
    }

    @Test
    void writesTheDocumentedLayout() {
        LinearHead head =
                LinearHead.of(
                        new float[][] {{0.1f, -2f}, {1e-5f, 12345678f}},
                        new float[] {0f, -0f},
                        LinearHead.Activation.SOFTMAX);
        assertThat(new String(head.toJson(), StandardCharsets.UTF_8))
                .isEqualTo(
                        """
                        {
                          "format": "fmstream-linear-head/1",
                          "inputDim": 2,
                          "outputDim": 2,
                          "activation": "softmax",
                          "weights": [
                            [0.1, -2.0],
                            [1.0E-5, 1.2345678E7]
                          ],
                          "bias": [0.0, 0.0]
                        }
                        """);
        assertThat(Float.floatToRawIntBits(head.bias()[1])).isZero(); // -0 is stored as +0
    }

    @Test
    void formatsFloatsLikeFloatToStringAndReadsThemBackExactly() {
        float[] samples = {
            1f,
            -1f,
            0.1f,
            0.5f,
            2.5e-3f,
            1e-3f,
            9.99e-4f,
            123.456f,
            9999999f,
            1e7f,
            -3.4028235e38f,
            Float.MIN_VALUE,
            0.33333334f,
            16777216f,
            1.0E-10f
        };
        for (float f : samples) {
            assertThat(LinearHead.formatFloat(f)).as("%s", f).isEqualTo(Float.toString(f));
        }
        Random random = new Random(11);
        for (int i = 0; i < 20_000; i++) {
            float f = Float.intBitsToFloat(random.nextInt());
            if (!Float.isFinite(f) || f == 0f) {
                continue;
            }
            String text = LinearHead.formatFloat(f);
            assertThat(Float.floatToRawIntBits(Float.parseFloat(text)))
                    .as(text)
                    .isEqualTo(Float.floatToRawIntBits(f));
            assertThat(
                            text.replaceFirst("^-", "")
                                    .replaceFirst("E.*", "")
                                    .replace(".", "")
                                    .replaceFirst("^0+", "")
                                    .length())
                    .as("%s written as %s", f, text)
                    .isLessThanOrEqualTo(10);
        }
        assertThatThrownBy(() -> LinearHead.formatFloat(Float.NaN))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void readsNumbersAsCorrectlyRoundedFloats() {
        // 16777217 lies between two floats; integers and long decimals must round like
        // Float.parseFloat.
        byte[] json =
                file(1, 1, "identity", "[[16777217]]", "[0.1000000000000000055511151231257827]");
        LinearHead head = LinearHead.parse(json, FILE);
        assertThat(head.weights()[0][0]).isEqualTo(Float.parseFloat("16777217"));
        assertThat(head.bias()[0]).isEqualTo(0.1f);
    }

    @Test
    void refusesMalformedFilesNamingTheFileAndTheProblem() {
        assertRefused("{\"format\": ".getBytes(StandardCharsets.UTF_8), "not valid JSON");
        assertRefused("[]".getBytes(StandardCharsets.UTF_8), "expected a JSON object");
        assertRefused(
                "{\"format\": \"fmstream-linear-head/1\", \"format\": \"x\"}"
                        .getBytes(StandardCharsets.UTF_8),
                "Duplicate field 'format'");
    }

    @Test
    void refusesEachMalformedField() {
        assertRefused(
                replace(valid(), "fmstream-linear-head/1", "fmstream-linear-head/2"),
                "format: expected 'fmstream-linear-head/1', got \"fmstream-linear-head/2\"");
        assertRefused(
                replace(valid(), "\"format\": \"fmstream-linear-head/1\",", ""), "format: missing");
        assertRefused(
                replace(valid(), "\"inputDim\": 2", "\"inputDim\": 0"),
                "inputDim: expected a positive integer");
        assertRefused(
                replace(valid(), "\"outputDim\": 2", "\"outputDim\": 2.5"),
                "outputDim: expected a positive integer, got 2.5");
        assertRefused(
                replace(valid(), "\"inputDim\": 2", "\"inputDim\": 3"),
                "weights[0]: 2 values but inputDim is 3");
        assertRefused(
                replace(valid(), "\"outputDim\": 2", "\"outputDim\": 3"),
                "weights: 2 values but outputDim is 3");
        assertRefused(
                file(2, 2, "softmax", "[[1, 2], [3, 4]]", "[0]"),
                "bias: 1 values but outputDim is 2");
        assertRefused(
                file(2, 2, "softmax", "[[1, 2], [3]]", "[0, 0]"),
                "weights[1]: 1 values but inputDim is 2");
        assertRefused(
                file(2, 2, "softmax", "[[1, 2], 3]", "[0, 0]"), "weights[1]: expected an array");
        assertRefused(
                file(2, 2, "softmax", "[[1, \"2\"], [3, 4]]", "[0, 0]"),
                "weights[0][1]: expected a number, got \"2\"");
        assertRefused(
                file(2, 2, "softmax", "[[1, 2], [3, 4]]", "[0, null]"),
                "bias[1]: expected a number, got null");
        assertRefused(
                file(2, 2, "softmax", "[[1, 2], [3, 1e39]]", "[0, 0]"),
                "weights[1][1]: ",
                "is not a finite float32");
        assertRefused(
                file(2, 2, "sigmoid", "[[1, 2], [3, 4]]", "[0, 0]"),
                "activation: unknown activation 'sigmoid' (expected softmax or identity)");
        assertRefused(
                replace(valid(), "\"bias\"", "\"extra\": 1, \"bias\""), "unknown field 'extra'");
        assertRefused(
                replace(valid(), "\"bias\": [0.0, 0.0]", "\"bias\": {}"),
                "bias: expected an array, got OBJECT");
        assertRefused(replace(valid(), ",\n  \"bias\": [0.0, 0.0]", ""), "bias: missing");
    }

    @Test
    void checksTheActivationAgainstTheHeadKind() {
        LinearHead softmax = LinearHead.of(W, B, LinearHead.Activation.SOFTMAX);
        LinearHead identity3 = LinearHead.of(W, B, LinearHead.Activation.IDENTITY);
        LinearHead identity1 =
                LinearHead.of(
                        new float[][] {W[0]}, new float[] {1f}, LinearHead.Activation.IDENTITY);
        assertThatCode(() -> softmax.requireKind(HeadKind.CLASSIFICATION, FILE))
                .doesNotThrowAnyException();
        assertThatCode(() -> identity1.requireKind(HeadKind.REGRESSION, FILE))
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> softmax.requireKind(HeadKind.REGRESSION, FILE))
                .isInstanceOf(BundleException.class)
                .hasMessage(
                        FILE
                                + ": activation 'softmax' does not fit a regression head, which"
                                + " needs 'identity'");
        assertThatThrownBy(() -> identity3.requireKind(HeadKind.CLASSIFICATION, FILE))
                .isInstanceOf(BundleException.class)
                .hasMessage(
                        FILE
                                + ": activation 'identity' does not fit a classification head,"
                                + " which needs 'softmax'");
        assertThatThrownBy(() -> identity3.requireKind(HeadKind.REGRESSION, FILE))
                .isInstanceOf(BundleException.class)
                .hasMessage(
                        FILE
                                + ": outputDim 3 does not fit a regression head, which outputs one"
                                + " value");
        assertThat(LinearHead.Activation.forKind(HeadKind.CLASSIFICATION))
                .isEqualTo(LinearHead.Activation.SOFTMAX);
        assertThat(LinearHead.Activation.forKind(HeadKind.REGRESSION))
                .isEqualTo(LinearHead.Activation.IDENTITY);
    }

    @Test
    void factoryRefusesBadArraysAndCopiesItsInput() {
        assertThatThrownBy(
                        () ->
                                LinearHead.of(
                                        new float[][] {{1f, Float.NaN}},
                                        new float[1],
                                        LinearHead.Activation.IDENTITY))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("weights[0][1] is NaN");
        assertThatThrownBy(
                        () ->
                                LinearHead.of(
                                        new float[][] {{1f}},
                                        new float[] {Float.POSITIVE_INFINITY},
                                        LinearHead.Activation.IDENTITY))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bias[0] is Infinity");
        assertThatThrownBy(
                        () ->
                                LinearHead.of(
                                        new float[][] {{1f, 2f}, {3f}},
                                        new float[2],
                                        LinearHead.Activation.SOFTMAX))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("weights[1] has 1 values");
        assertThatThrownBy(() -> LinearHead.of(W, new float[2], LinearHead.Activation.SOFTMAX))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bias has 2 values");
        assertThatThrownBy(
                        () ->
                                LinearHead.of(
                                        new float[0][],
                                        new float[0],
                                        LinearHead.Activation.SOFTMAX))
                .isInstanceOf(IllegalArgumentException.class);

        float[][] w = {{1f, 2f}};
        float[] b = {3f};
        LinearHead head = LinearHead.of(w, b, LinearHead.Activation.IDENTITY);
        w[0][0] = 100f;
        b[0] = 100f;
        head.weights()[0][1] = 100f;
        assertThat(head.weights()[0]).containsExactly(1f, 2f);
        assertThat(head.bias()).containsExactly(3f);
        assertThat(head.inputDim()).isEqualTo(2);
        assertThat(head.outputDim()).isEqualTo(1);
        assertThat(head.toString()).isEqualTo("LinearHead[2 -> 1, identity]");
    }

    static LinearHead randomHead(
            Random random, int inputDim, int outputDim, LinearHead.Activation activation) {
        float[][] w = new float[outputDim][inputDim];
        float[] b = new float[outputDim];
        for (int k = 0; k < outputDim; k++) {
            for (int j = 0; j < inputDim; j++) {
                // Magnitudes from 1e-12 to 1e12, so both plain and E notation are exercised.
                w[k][j] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(25) - 12));
            }
            b[k] = (float) random.nextGaussian();
        }
        if (inputDim > 1) {
            w[0][1] = Float.MIN_VALUE; // a subnormal
        }
        return LinearHead.of(w, b, activation);
    }

    private static void assertSameBits(float[][] actual, float[][] expected) {
        assertThat(actual).hasNumberOfRows(expected.length);
        for (int i = 0; i < expected.length; i++) {
            for (int j = 0; j < expected[i].length; j++) {
                assertThat(Float.floatToRawIntBits(actual[i][j]))
                        .as("[%d][%d]", i, j)
                        .isEqualTo(Float.floatToRawIntBits(expected[i][j]));
            }
        }
    }

    private static byte[] valid() {
        return LinearHead.of(
                        new float[][] {{1f, 2f}, {3f, 4f}},
                        new float[2],
                        LinearHead.Activation.SOFTMAX)
                .toJson();
    }

    private static byte[] replace(byte[] json, String from, String to) {
        String text = new String(json, StandardCharsets.UTF_8);
        assertThat(text).contains(from);
        return text.replace(from, to).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] file(
            int inputDim, int outputDim, String activation, String weights, String bias) {
        return ("{\"format\": \"fmstream-linear-head/1\", \"inputDim\": "
                        + inputDim
                        + ", \"outputDim\": "
                        + outputDim
                        + ", \"activation\": \""
                        + activation
                        + "\", \"weights\": "
                        + weights
                        + ", \"bias\": "
                        + bias
                        + "}")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static void assertRefused(byte[] json, String... expectedMessageParts) {
        assertThatThrownBy(() -> LinearHead.parse(json, FILE))
                .isInstanceOf(BundleException.class)
                .hasMessageStartingWith(FILE + ": ")
                .hasMessageContainingAll(expectedMessageParts)
                .satisfies(e -> assertThat(((BundleException) e).file()).isEqualTo(FILE));
    }
}
