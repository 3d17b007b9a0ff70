package io.fmstream.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fixture bundle with linear heads added: loading, evaluation and refusals. */
class LinearHeadBundleTest {

    private static final int THREADS = 1;
    private static final String AF_FILE = "heads/af_vs_rest.json";
    private static final String HR_FILE = "heads/hr_ridge.json";

    @TempDir Path tmp;

    @Test
    void linearHeadsLoadAndMatchAHandComputationOnTheEncodersEmbeddings() throws IOException {
        Random random = new Random(5);
        LinearHead af =
                LinearHead.of(
                        gaussian(random, 2, 32),
                        new float[] {0.3f, -0.3f},
                        LinearHead.Activation.SOFTMAX);
        LinearHead hr =
                LinearHead.of(
                        gaussian(random, 1, 32), new float[] {70f}, LinearHead.Activation.IDENTITY);
        Path dir =
                bundle(
                        tmp.resolve("b"),
                        af,
                        m -> addHead(m, "hr_ridge", HR_FILE, hr, "regression"),
                        hr);
        float[][] windows = FixtureBundle.floats(FixtureBundle.golden().get("inputs"));

        try (ModelBundle bundle = ModelBundle.load(dir, THREADS)) {
            assertThat(bundle.heads())
                    .extracting(HeadRunner::task)
                    .containsExactly(
                            "rhythm", "heart_rate", "signal_quality", "af_vs_rest", "hr_ridge");
            HeadRunner afHead = bundle.head("af_vs_rest").orElseThrow();
            assertThat(afHead.format()).isEqualTo(HeadFormat.LINEAR);
            assertThat(afHead.session()).isNull();
            assertThat(afHead.kind()).isEqualTo(HeadKind.CLASSIFICATION);
            assertThat(afHead.labels()).containsExactly("rest", "af");
            assertThat(afHead.spec().inputName()).isNull();
            assertThat(afHead.toString()).contains("linear");
            assertThat(bundle.head("rhythm").orElseThrow().format()).isEqualTo(HeadFormat.ONNX);

            float[][] embeddings = bundle.encoder().embed(windows);
            float[][] probabilities = afHead.apply(embeddings);
            float[][] bpm = bundle.head("hr_ridge").orElseThrow().apply(embeddings);
            float[][] w = af.weights();
            float[] b = af.bias();
            float[][] v = hr.weights();
            for (int i = 0; i < embeddings.length; i++) {
                double z0 = b[0];
                double z1 = b[1];
                double value = 70;
                for (int j = 0; j < 32; j++) {
                    z0 += (double) w[0][j] * embeddings[i][j];
                    z1 += (double) w[1][j] * embeddings[i][j];
                    value += (double) v[0][j] * embeddings[i][j];
                }
                double p1 = 1 / (1 + Math.exp(z0 - z1));
                assertThat((double) probabilities[i][0])
                        .as("row %d", i)
                        .isCloseTo(1 - p1, within(1e-6));
                assertThat((double) probabilities[i][1])
                        .as("row %d", i)
                        .isCloseTo(p1, within(1e-6));
                assertThat((double) bpm[i][0])
                        .as("row %d", i)
                        .isCloseTo(value, within(1e-6 * Math.abs(value)));
            }
            // The rows differ, so a row mix-up cannot pass.
            assertThat(Math.abs(probabilities[0][1] - probabilities[1][1])).isGreaterThan(1e-4f);

            float[] flat = new float[embeddings.length * 32];
            for (int i = 0; i < embeddings.length; i++) {
                System.arraycopy(embeddings[i], 0, flat, i * 32, 32);
            }
            float[] out = new float[embeddings.length * 2];
            afHead.apply(flat, embeddings.length, out);
            for (int i = 0; i < embeddings.length; i++) {
                assertThat(new float[] {out[2 * i], out[2 * i + 1]})
                        .containsExactly(probabilities[i]);
            }
        }
    }

    @Test
    void linearHeadChecksArgumentsLikeAnOnnxHeadAndRefusesWorkOnceClosed() throws IOException {
        Path dir = bundle(tmp.resolve("b"), softmaxHead(32, 2), m -> {});
        ModelBundle bundle = ModelBundle.load(dir, THREADS);
        HeadRunner linear = bundle.head("af_vs_rest").orElseThrow();
        HeadRunner onnx = bundle.head("signal_quality").orElseThrow();
        try {
            for (HeadRunner head : new HeadRunner[] {linear, onnx}) {
                assertThatThrownBy(() -> head.apply(new float[][] {new float[32], new float[31]}))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessage(
                                "embeddings[1] has 31 values, "
                                        + head.spec().file()
                                        + " expects 32");
                assertThatThrownBy(() -> head.apply(new float[][] {null}))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("embeddings[0] is null");
                assertThatThrownBy(() -> head.apply(new float[63], 2, new float[4]))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("embeddings holds 63 values, 2 rows of 32 need 64");
                assertThatThrownBy(() -> head.apply(new float[64], 2, new float[3]))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("output array holds 3 values, 2 rows of 2 need 4");
                assertThat(head.apply(new float[0][])).isEmpty();
            }
        } finally {
            bundle.close();
        }
        assertThatThrownBy(() -> linear.apply(new float[][] {new float[32]}))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void refusesAWrongSha256NamingTheFile() throws IOException {
        Path dir = bundle(tmp.resolve("b"), softmaxHead(32, 2), m -> {});
        LinearHead head = softmaxHead(32, 2);
        byte[] other =
                LinearHead.of(head.weights(), new float[] {1f, 0f}, head.activation())
                        .toJson(); // other bias
        Files.write(dir.resolve(AF_FILE), other);

        assertRefused(dir, AF_FILE + ": sha256 mismatch: manifest says ", Sha256.hex(other));
    }

    @Test
    void refusesAnInputDimOtherThanTheEncodersEmbeddingDim() throws IOException {
        Path dir = bundle(tmp.resolve("b"), softmaxHead(16, 2), m -> {});
        assertRefused(
                dir,
                AF_FILE + ": inputDim 16 does not match encoder.embeddingDim 32 of encoder.onnx");
    }

    @Test
    void refusesAnOutputDimOtherThanTheManifests() throws IOException {
        Path dir = bundle(tmp.resolve("b"), softmaxHead(32, 3), m -> {});
        assertRefused(
                dir,
                AF_FILE
                        + ": outputDim 3 does not match the manifest's outputDim 2 for head"
                        + " 'af_vs_rest'");
    }

    @Test
    void refusesSoftmaxOnARegressionHead() throws IOException {
        LinearHead softmax = softmaxHead(32, 1);
        Path dir =
                bundle(
                        tmp.resolve("b"),
                        softmaxHead(32, 2),
                        m -> addHead(m, "hr_ridge", HR_FILE, softmax, "regression"),
                        softmax);
        assertRefused(
                dir,
                HR_FILE
                        + ": activation 'softmax' does not fit a regression head, which needs"
                        + " 'identity'");
    }

    @Test
    void refusesAMalformedFileNamingTheBundle() throws IOException {
        byte[] junk = "{\"format\": \"fmstream-linear-head/1\"}".getBytes(StandardCharsets.UTF_8);
        Path dir =
                bundle(
                        tmp.resolve("b"),
                        softmaxHead(32, 2),
                        m -> ((ObjectNode) m.get("heads").get(3)).put("sha256", Sha256.hex(junk)));
        Files.write(dir.resolve(AF_FILE), junk); // hash right, content incomplete

        assertRefused(dir, AF_FILE + ": inputDim: missing");
    }

    /**
     * A copy of the fixture with {@code af} added as head {@code af_vs_rest}, then {@code edit}
     * applied.
     */
    private static Path bundle(
            Path target, LinearHead af, Consumer<ObjectNode> edit, LinearHead... extra)
            throws IOException {
        FixtureBundle.copyWithManifest(
                target,
                m -> {
                    addHead(m, "af_vs_rest", AF_FILE, af, "classification");
                    edit.accept(m);
                });
        Files.write(target.resolve(AF_FILE), af.toJson());
        for (LinearHead head : extra) {
            Files.write(target.resolve(HR_FILE), head.toJson());
        }
        return target;
    }

    private static void addHead(
            ObjectNode manifest, String task, String file, LinearHead head, String kind) {
        String encoderSha = manifest.get("encoder").get("sha256").asText();
        ObjectNode h = ((ArrayNode) manifest.get("heads")).addObject();
        h.put("task", task);
        h.put("name", task + "-linear");
        h.put("version", "0.0.1-test");
        h.put("format", "linear");
        h.put("file", file);
        h.put("sha256", Sha256.hex(head.toJson()));
        h.put("kind", kind);
        if (kind.equals("classification")) {
            h.putArray("labels").add("rest").add("af");
            h.put("outputDim", 2);
        } else {
            h.put("unit", "bpm");
            h.put("outputDim", 1);
        }
        h.put("encoderSha256", encoderSha);
    }

    private static LinearHead softmaxHead(int inputDim, int outputDim) {
        return LinearHead.of(
                gaussian(new Random(inputDim * 31L + outputDim), outputDim, inputDim),
                new float[outputDim],
                LinearHead.Activation.SOFTMAX);
    }

    private static float[][] gaussian(Random random, int rows, int columns) {
        float[][] w = new float[rows][columns];
        for (float[] row : w) {
            for (int j = 0; j < columns; j++) {
                row[j] = (float) (random.nextGaussian() * 0.1);
            }
        }
        return w;
    }

    private static void assertRefused(Path dir, String expectedStart, String... alsoContains) {
        int openBefore = SessionCache.shared().openSessionCount();
        assertThatThrownBy(() -> ModelBundle.load(dir, THREADS))
                .isInstanceOf(BundleException.class)
                .hasMessageStartingWith(expectedStart)
                .satisfies(
                        e -> {
                            for (String part : alsoContains) {
                                assertThat(e.getMessage()).contains(part);
                            }
                        })
                .hasMessageContaining(dir.toString())
                .satisfies(
                        e ->
                                assertThat(((BundleException) e).file())
                                        .isEqualTo(expectedStart.split(":")[0]));
        // Linear heads are checked before any ONNX Runtime session is opened.
        assertThat(SessionCache.shared().openSessionCount()).isEqualTo(openBefore);
    }
}
