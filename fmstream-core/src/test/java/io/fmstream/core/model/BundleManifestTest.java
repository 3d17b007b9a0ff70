package io.fmstream.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class BundleManifestTest {

    @Test
    void parsesTheFixtureManifest() throws IOException {
        BundleManifest m = BundleManifest.parse(FixtureBundle.manifestBytes());
        assertThat(m.bundleId()).isEqualTo("fixture-ecg-tiny");
        assertThat(m.version()).isEqualTo("0.0.1-fixture");
        assertThat(m.fixture()).isTrue();
        assertThat(m.signalType()).isEqualTo("ECG");
        assertThat(m.inputSampleRateHz()).isEqualTo(100);
        assertThat(m.windowSeconds()).isEqualTo(10.0);
        assertThat(m.hopSeconds()).isEqualTo(5.0);
        assertThat(m.normalisation()).isEqualTo("per-window-zscore");
        assertThat(m.preprocessingId()).isEqualTo("resample-100hz-sinc/per-window-zscore");
        assertThat(m.encoder().file()).isEqualTo("encoder.onnx");
        assertThat(m.encoder().inputName()).isEqualTo("window");
        assertThat(m.encoder().outputName()).isEqualTo("embedding");
        assertThat(m.encoder().inputLength()).isEqualTo(1000);
        assertThat(m.encoder().embeddingDim()).isEqualTo(32);
        assertThat(m.heads())
                .extracting(BundleManifest.HeadSpec::task)
                .containsExactly("rhythm", "heart_rate", "signal_quality");
        BundleManifest.HeadSpec rhythm = m.head("rhythm").orElseThrow();
        assertThat(rhythm.kind()).isEqualTo(HeadKind.CLASSIFICATION);
        assertThat(rhythm.labels()).containsExactly("normal", "af", "other", "noisy");
        assertThat(rhythm.outputDim()).isEqualTo(4);
        assertThat(rhythm.encoderSha256()).isEqualTo(m.encoder().sha256());
        BundleManifest.HeadSpec hr = m.head("heart_rate").orElseThrow();
        assertThat(hr.kind()).isEqualTo(HeadKind.REGRESSION);
        assertThat(hr.unit()).isEqualTo("bpm");
        assertThat(m.provenance())
                .containsEntry("seed", 7)
                .containsEntry("script", "model-artifacts/fixture/make_fixture_bundle.py");
        assertThat(m.metrics()).isEmpty();
        assertThat(m.toString()).contains("fixture-ecg-tiny").contains("FIXTURE");
    }

    @Test
    void isImmutable() throws IOException {
        BundleManifest m = BundleManifest.parse(FixtureBundle.manifestBytes());
        assertThatThrownBy(() -> m.heads().clear())
                .isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> m.heads().get(0).labels().add("x"))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> m.provenance().put("x", 1))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void namesAMissingField() {
        assertRefused(
                m -> ((ObjectNode) m.get("encoder")).remove("sha256"), "encoder.sha256: missing");
        assertRefused(m -> m.remove("signalType"), "signalType: missing");
        assertRefused(m -> m.remove("heads"), "heads: missing");
    }

    @Test
    void refusesAnUnknownKind() {
        assertRefused(
                m -> head(m, 0).put("kind", "clasification"),
                "heads[0] (task 'rhythm').kind: unknown kind 'clasification' (expected"
                        + " classification or regression)");
    }

    @Test
    void headFormatDefaultsToOnnx() throws IOException {
        BundleManifest m = BundleManifest.parse(FixtureBundle.manifestBytes());
        assertThat(m.heads())
                .extracting(BundleManifest.HeadSpec::format)
                .containsOnly(HeadFormat.ONNX);
        assertThat(parse(root -> head(root, 0).put("format", "onnx")).heads().get(0).format())
                .isEqualTo(HeadFormat.ONNX);
        assertThat(
                        new BundleManifest.HeadSpec(
                                        "t",
                                        "n",
                                        "v",
                                        "f",
                                        "s",
                                        HeadKind.REGRESSION,
                                        null,
                                        "bpm",
                                        "in",
                                        "out",
                                        1,
                                        "e",
                                        null)
                                .format())
                .isEqualTo(HeadFormat.ONNX);
    }

    @Test
    void parsesALinearHeadWithoutTensorNames() {
        BundleManifest m =
                parse(
                        root -> {
                            head(root, 0).put("format", "linear").put("file", "heads/rhythm.json");
                            head(root, 0).remove("inputName");
                            head(root, 0).remove("outputName");
                        });
        BundleManifest.HeadSpec rhythm = m.head("rhythm").orElseThrow();
        assertThat(rhythm.format()).isEqualTo(HeadFormat.LINEAR);
        assertThat(rhythm.file()).isEqualTo("heads/rhythm.json");
        assertThat(rhythm.inputName()).isNull();
        assertThat(rhythm.outputName()).isNull();
        assertThat(rhythm.labels()).containsExactly("normal", "af", "other", "noisy");
        assertThat(m.head("heart_rate").orElseThrow().format()).isEqualTo(HeadFormat.ONNX);
        // Names a linear head does not need are kept when given.
        assertThat(
                        parse(root -> head(root, 1).put("format", "linear"))
                                .head("heart_rate")
                                .orElseThrow()
                                .inputName())
                .isEqualTo("embedding");
    }

    @Test
    void refusesAnUnknownFormat() {
        assertRefused(
                m -> head(m, 0).put("format", "tflite"),
                "heads[0] (task 'rhythm').format: unknown format 'tflite' (expected onnx or"
                        + " linear)");
        assertRefused(
                m -> head(m, 0).put("format", 1),
                "heads[0] (task 'rhythm').format: expected a string");
    }

    @Test
    void anOnnxHeadStillNeedsItsTensorNames() {
        assertRefused(
                m -> head(m, 1).remove("inputName"),
                "heads[1] (task 'heart_rate').inputName: missing");
        assertRefused(
                m -> head(m, 1).put("format", "onnx").remove("outputName"),
                "heads[1] (task 'heart_rate').outputName: missing");
    }

    @Test
    void refusesAClassificationHeadWithoutLabels() {
        assertRefused(
                m -> head(m, 2).remove("labels"),
                "heads[2] (task 'signal_quality').labels: missing");
    }

    @Test
    void refusesLabelsThatDoNotMatchOutputDim() {
        assertRefused(
                m -> ((ArrayNode) head(m, 0).get("labels")).remove(3),
                "heads[0] (task 'rhythm').labels: 3 labels but outputDim is 4");
        assertRefused(
                m -> ((ArrayNode) head(m, 0).get("labels")).set(3, "af"),
                "heads[0] (task 'rhythm').labels: duplicate label 'af'");
    }

    @Test
    void refusesARegressionHeadWithoutUnitOrWithLabels() {
        assertRefused(m -> head(m, 1).remove("unit"), "heads[1] (task 'heart_rate').unit: missing");
        assertRefused(
                m -> head(m, 1).putArray("labels").add("x"),
                "heads[1] (task 'heart_rate').labels: only classification heads have labels");
    }

    @Test
    void refusesDuplicateTasks() {
        assertRefused(m -> head(m, 2).put("task", "rhythm"), "duplicate task");
    }

    @Test
    void refusesMalformedHashes() {
        assertRefused(
                m -> head(m, 0).put("sha256", "ABC"),
                "heads[0] (task 'rhythm').sha256: 'ABC' is not 64 lower-case hex digits");
    }

    @Test
    void refusesPathsOutsideTheBundle() {
        assertRefused(
                m -> head(m, 0).put("file", "../other/rhythm.onnx"),
                "must be a relative path inside the bundle");
        assertRefused(
                m -> ((ObjectNode) m.get("encoder")).put("file", "/etc/passwd"),
                "must be a relative path inside the bundle");
    }

    @Test
    void refusesInputLengthThatDisagreesWithRateAndWindow() {
        assertRefused(
                m -> m.put("windowSeconds", 5),
                "encoder.inputLength: 1000 does not match inputSampleRateHz 100 x windowSeconds 5 ="
                        + " 500");
    }

    @Test
    void refusesWhatTheJobDoesNotImplementInsteadOfIgnoringIt() {
        assertRefused(
                m -> m.put("signalType", "EEG"),
                "signalType: EEG is not a signal type of the SensorChunk schema");
        assertRefused(
                m -> m.put("normalisation", "per-window-minmax"),
                "normalisation: per-window-minmax is not implemented by this job (supported:"
                        + " per-window-zscore)");
        assertRefused(m -> m.put("hopSeconds", 20), "hopSeconds: 20 exceeds windowSeconds 10");
        assertRefused(
                m -> m.put("preprocessingId", "resample-100hz-polyphase/per-window-zscore"),
                "preprocessingId: resample-100hz-polyphase/per-window-zscore is not the"
                        + " preprocessing this job implements for the bundle's rate"
                        + " (resample-100hz-sinc/per-window-zscore)");
    }

    @Test
    void theHopIsTheBundlesDefaultForTheJob() throws IOException {
        assertThat(parse(root -> root.put("hopSeconds", 2.5)).hop())
                .isEqualTo(java.time.Duration.ofMillis(2500));
    }

    @Test
    void refusesWrongTypes() {
        assertRefused(
                m -> m.put("inputSampleRateHz", "100"), "inputSampleRateHz: expected an integer");
        assertRefused(m -> m.put("hopSeconds", -5), "hopSeconds: must be positive");
        assertRefused(m -> m.put("fixture", "yes"), "fixture: expected true or false");
    }

    @Test
    void listsEveryProblemInOneRefusal() {
        assertRefused(
                m -> {
                    m.remove("bundleId");
                    head(m, 0).put("kind", "ranking");
                },
                "manifest.json: 2 problems: bundleId: missing; heads[0] (task 'rhythm').kind:"
                        + " unknown kind 'ranking'");
    }

    @Test
    void refusesInvalidJsonAndDuplicateKeys() {
        assertThatThrownBy(
                        () ->
                                BundleManifest.parse(
                                        "{\"bundleId\": ".getBytes(StandardCharsets.UTF_8),
                                        "/somewhere"))
                .isInstanceOf(BundleException.class)
                .hasMessageStartingWith("manifest.json: not valid JSON")
                .hasMessageContaining("/somewhere");
        assertThatThrownBy(
                        () ->
                                BundleManifest.parse(
                                        "{\"a\":1,\"a\":2}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(BundleException.class)
                .hasMessageContaining("Duplicate field 'a'");
        assertThatThrownBy(() -> BundleManifest.parse("[]".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(BundleException.class)
                .hasMessageContaining("expected a JSON object");
    }

    private static ObjectNode head(ObjectNode manifest, int index) {
        return (ObjectNode) manifest.get("heads").get(index);
    }

    private static BundleManifest parse(Consumer<ObjectNode> edit) {
        try {
            ObjectNode root =
                    (ObjectNode) FixtureBundle.JSON.readTree(FixtureBundle.manifestBytes());
            edit.accept(root);
            return BundleManifest.parse(FixtureBundle.JSON.writeValueAsBytes(root));
        } catch (IOException e) {
            throw new AssertionError("cannot prepare the manifest", e);
        }
    }

    private static void assertRefused(Consumer<ObjectNode> edit, String expectedMessagePart) {
        byte[] bytes;
        try {
            ObjectNode root =
                    (ObjectNode) FixtureBundle.JSON.readTree(FixtureBundle.manifestBytes());
            edit.accept(root);
            bytes = FixtureBundle.JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new AssertionError("cannot prepare the manifest", e);
        }
        assertThatThrownBy(() -> BundleManifest.parse(bytes))
                .isInstanceOf(BundleException.class)
                .hasMessageStartingWith("manifest.json: ")
                .hasMessageContaining(expectedMessagePart)
                .satisfies(
                        e -> assertThat(((BundleException) e).file()).isEqualTo("manifest.json"));
    }
}
