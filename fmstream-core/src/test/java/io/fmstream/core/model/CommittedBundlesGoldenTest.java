package io.fmstream.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every bundle committed under model-artifacts/ loads (hashes, shapes, head/encoder ids checked)
 * and ONNX Runtime reproduces its PyTorch golden outputs within 1e-4, encoder and every head. A
 * quantised bundle ({@code encoder.quantizedFrom}) carries its float32 original's golden vectors:
 * its embeddings must stay within cosine 0.99 of them, and the heads on them must decide the same
 * (the same class; a heart rate within 2 bpm: on the golden rows the largest change is 1.7 bpm, on
 * the synthetic sine that is no ECG, against a head whose own error is about 1 bpm MAE).
 */
class CommittedBundlesGoldenTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    static List<Path> bundles() throws IOException {
        try (Stream<Path> dirs = Files.list(Checkout.modelArtifacts())) {
            List<Path> found =
                    dirs.filter(
                                    d ->
                                            Files.exists(d.resolve("manifest.json"))
                                                    && Files.exists(d.resolve("golden.json")))
                            .sorted()
                            .toList();
            assertThat(found).isNotEmpty();
            return found;
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("bundles")
    void onnxRuntimeReproducesThePyTorchGoldenOutputs(Path dir) throws IOException {
        JsonNode golden = JSON.readTree(dir.resolve("golden.json").toFile());
        float[][] inputs = floats(golden.get("inputs"));
        try (ModelBundle bundle = ModelBundle.load(dir, 1)) {
            String quantizedFrom = bundle.manifest().encoder().quantizedFrom();
            if (quantizedFrom != null) {
                assertQuantisedCloseToItsOriginal(bundle, golden, inputs, quantizedFrom);
                return;
            }
            assertThat(bundle.encoder().sha256()).isEqualTo(golden.get("encoderSha256").asText());
            float[][] embeddings = bundle.encoder().embed(inputs);
            assertClose(embeddings, floats(golden.get("embeddings")), dir + " encoder");
            assertThat(bundle.heads()).isNotEmpty();
            for (HeadRunner head : bundle.heads()) {
                assertClose(
                        head.apply(embeddings),
                        floats(golden.get("heads").get(head.task())),
                        dir + " head " + head.task());
            }
        }
    }

    private static void assertQuantisedCloseToItsOriginal(
            ModelBundle bundle, JsonNode golden, float[][] inputs, String quantizedFrom) {
        String what = bundle.manifest().bundleId();
        assertThat(golden.get("encoderSha256").asText()).as(what).isEqualTo(quantizedFrom);
        float[][] embeddings = bundle.encoder().embed(inputs);
        float[][] expected = floats(golden.get("embeddings"));
        for (int i = 0; i < expected.length; i++) {
            double dot = 0, a = 0, b = 0;
            for (int j = 0; j < expected[i].length; j++) {
                dot += (double) embeddings[i][j] * expected[i][j];
                a += (double) embeddings[i][j] * embeddings[i][j];
                b += (double) expected[i][j] * expected[i][j];
            }
            assertThat(dot / Math.sqrt(a * b))
                    .as("%s embedding %d cosine", what, i)
                    .isGreaterThan(0.99);
        }
        for (HeadRunner head : bundle.heads()) {
            float[][] got = head.apply(embeddings);
            float[][] want = floats(golden.get("heads").get(head.task()));
            for (int i = 0; i < want.length; i++) {
                if (head.kind() == HeadKind.CLASSIFICATION) {
                    assertThat(HeadRunner.argmax(got[i]))
                            .as("%s %s row %d", what, head.task(), i)
                            .isEqualTo(HeadRunner.argmax(want[i]));
                } else {
                    assertThat(Math.abs(got[i][0] - want[i][0]))
                            .as("%s %s row %d", what, head.task(), i)
                            .isLessThanOrEqualTo(2f);
                }
            }
        }
    }

    private static void assertClose(float[][] actual, float[][] expected, String what) {
        assertThat(actual).as(what).hasNumberOfRows(expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).as(what).hasSameSizeAs(expected[i]);
            for (int j = 0; j < expected[i].length; j++) {
                assertThat(Math.abs(actual[i][j] - expected[i][j]))
                        .as("%s [%d][%d]", what, i, j)
                        .isLessThanOrEqualTo(1e-4f);
            }
        }
    }

    private static float[][] floats(JsonNode rows) {
        float[][] out = new float[rows.size()][];
        for (int i = 0; i < rows.size(); i++) {
            out[i] = new float[rows.get(i).size()];
            for (int j = 0; j < rows.get(i).size(); j++) {
                out[i][j] = rows.get(i).get(j).floatValue();
            }
        }
        return out;
    }
}
