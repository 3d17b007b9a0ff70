package io.fmstream.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelBundleTest {

    private static final int THREADS = 1;

    @TempDir Path tmp;

    @Test
    void reproducesPyTorchGoldenOutputs() throws IOException {
        JsonNode golden = FixtureBundle.golden();
        float[][] inputs = FixtureBundle.floats(golden.get("inputs"));
        try (ModelBundle bundle = ModelBundle.load(FixtureBundle.dir(), THREADS)) {
            EncoderRunner encoder = bundle.encoder();
            assertThat(encoder.sha256()).isEqualTo(golden.get("encoderSha256").asText());
            assertThat(inputs).hasNumberOfRows(4);
            assertThat(inputs[0]).hasSize(encoder.inputLength());

            float[][] embeddings = encoder.embed(inputs);
            assertClose(embeddings, FixtureBundle.floats(golden.get("embeddings")), 1e-4f);

            assertThat(bundle.heads())
                    .extracting(HeadRunner::task)
                    .containsExactly("rhythm", "heart_rate", "signal_quality");
            for (HeadRunner head : bundle.heads()) {
                float[][] expected = FixtureBundle.floats(golden.get("heads").get(head.task()));
                assertClose(head.apply(embeddings), expected, 1e-4f);
            }
        }
    }

    @Test
    void exposesManifestMetadata() {
        try (ModelBundle bundle = ModelBundle.load(FixtureBundle.dir(), THREADS)) {
            EncoderRunner encoder = bundle.encoder();
            assertThat(encoder.encoderName()).isEqualTo("fixture-conv1d-tiny");
            assertThat(encoder.version()).isEqualTo("0.0.1-fixture");
            assertThat(encoder.inputLength()).isEqualTo(1000);
            assertThat(encoder.embeddingDim()).isEqualTo(32);
            HeadRunner rhythm = bundle.head("rhythm").orElseThrow();
            assertThat(rhythm.kind()).isEqualTo(HeadKind.CLASSIFICATION);
            assertThat(rhythm.labels()).containsExactly("normal", "af", "other", "noisy");
            assertThat(rhythm.unit()).isNull();
            HeadRunner hr = bundle.head("heart_rate").orElseThrow();
            assertThat(hr.kind()).isEqualTo(HeadKind.REGRESSION);
            assertThat(hr.unit()).isEqualTo("bpm");
            assertThat(hr.labels()).isEmpty();
            assertThat(bundle.manifest().fixture()).isTrue();
            assertThat(bundle.head("nope")).isEmpty();
        }
    }

    @Test
    void batchOfFourEqualsFourSingleCalls() throws IOException {
        float[][] inputs = FixtureBundle.floats(FixtureBundle.golden().get("inputs"));
        try (ModelBundle bundle = ModelBundle.load(FixtureBundle.dir(), THREADS)) {
            EncoderRunner encoder = bundle.encoder();
            float[][] batch = encoder.embed(inputs);
            for (int i = 0; i < inputs.length; i++) {
                float[][] single = encoder.embed(new float[][] {inputs[i]});
                assertClose(single, new float[][] {batch[i]}, 1e-5f);
            }
            for (HeadRunner head : bundle.heads()) {
                float[][] headBatch = head.apply(batch);
                for (int i = 0; i < batch.length; i++) {
                    assertClose(
                            head.apply(new float[][] {batch[i]}),
                            new float[][] {headBatch[i]},
                            1e-5f);
                }
            }
            // The rows must really differ, or a row mix-up could pass the comparison above.
            assertThat(Math.abs(batch[0][0] - batch[1][0]) + Math.abs(batch[2][0] - batch[3][0]))
                    .isGreaterThan(1e-3f);
        }
    }

    @Test
    void flatVariantMatchesArrayVariant() throws IOException {
        float[][] inputs = FixtureBundle.floats(FixtureBundle.golden().get("inputs"));
        try (ModelBundle bundle = ModelBundle.load(FixtureBundle.dir(), THREADS)) {
            EncoderRunner encoder = bundle.encoder();
            int n = inputs.length;
            int len = encoder.inputLength();
            int dim = encoder.embeddingDim();
            float[] flat = new float[(n + 1) * len]; // larger than needed: callers reuse buffers
            for (int i = 0; i < n; i++) {
                System.arraycopy(inputs[i], 0, flat, i * len, len);
            }
            float[] out = new float[n * dim];
            encoder.embed(flat, n, out);
            float[][] expected = encoder.embed(inputs);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < dim; j++) {
                    assertThat(out[i * dim + j]).isEqualTo(expected[i][j]);
                }
            }
            HeadRunner rhythm = bundle.head("rhythm").orElseThrow();
            float[] scores = new float[n * rhythm.outputDim()];
            rhythm.apply(out, n, scores);
            float[][] expectedScores = rhythm.apply(expected);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < rhythm.outputDim(); j++) {
                    assertThat(scores[i * rhythm.outputDim() + j]).isEqualTo(expectedScores[i][j]);
                }
            }
        }
    }

    @Test
    void emptyBatchNeedsNoModelCall() {
        try (ModelBundle bundle = ModelBundle.load(FixtureBundle.dir(), THREADS)) {
            assertThat(bundle.encoder().embed(new float[0][])).isEmpty();
            bundle.encoder().embed(new float[0], 0, new float[0]);
        }
    }

    @Test
    void rejectsWrongArgumentLengths() {
        try (ModelBundle bundle = ModelBundle.load(FixtureBundle.dir(), THREADS)) {
            EncoderRunner encoder = bundle.encoder();
            assertThatThrownBy(() -> encoder.embed(new float[][] {new float[1000], new float[999]}))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("windows[1]")
                    .hasMessageContaining("999")
                    .hasMessageContaining("1000");
            assertThatThrownBy(() -> encoder.embed(new float[][] {null}))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("windows[0] is null");
            assertThatThrownBy(() -> encoder.embed(new float[1999], 2, new float[64]))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("1999");
            assertThatThrownBy(() -> encoder.embed(new float[2000], 2, new float[63]))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("63");
            HeadRunner head = bundle.heads().get(0);
            assertThatThrownBy(() -> head.apply(new float[][] {new float[31]}))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("embeddings[0]")
                    .hasMessageContaining("31");
        }
    }

    @Test
    void verifiesEveryFileWithoutOpeningASession() throws IOException {
        // What the job does at submission: a bad file refused there, not by each operator
        Path copy = FixtureBundle.copyTo(tmp.resolve("verify"));
        BundleManifest manifest =
                BundleManifest.parse(
                        java.nio.file.Files.readAllBytes(copy.resolve("manifest.json")),
                        copy.toString());
        int openBefore = SessionCache.shared().openSessionCount();
        ModelBundle.verifyFiles(new LocalBundleFiles(copy), manifest);
        java.nio.file.Path head = copy.resolve("heads/rhythm.onnx");
        byte[] whole = java.nio.file.Files.readAllBytes(head);
        java.nio.file.Files.write(head, java.util.Arrays.copyOf(whole, whole.length / 2));
        assertThatThrownBy(() -> ModelBundle.verifyFiles(new LocalBundleFiles(copy), manifest))
                .isInstanceOf(BundleException.class)
                .hasMessageStartingWith("heads/rhythm.onnx: sha256 mismatch");
        java.nio.file.Files.delete(copy.resolve(manifest.encoder().file()));
        assertThatThrownBy(() -> ModelBundle.verifyFiles(new LocalBundleFiles(copy), manifest))
                .isInstanceOf(BundleException.class)
                .hasMessageStartingWith(manifest.encoder().file());
        assertThat(SessionCache.shared().openSessionCount()).isEqualTo(openBefore);
    }

    @Test
    void refusesTamperedHeadFileNamingIt() throws IOException {
        Path copy = FixtureBundle.copyTo(tmp.resolve("b"));
        byte[] bytes = flipMiddleByte(copy.resolve("heads/rhythm.onnx"));
        int openBefore = SessionCache.shared().openSessionCount();

        assertThatThrownBy(() -> ModelBundle.load(copy, THREADS))
                .isInstanceOf(BundleException.class)
                .hasMessageStartingWith("heads/rhythm.onnx: sha256 mismatch: manifest says ")
                .hasMessageContaining(Sha256.hex(bytes))
                .satisfies(
                        e ->
                                assertThat(((BundleException) e).file())
                                        .isEqualTo("heads/rhythm.onnx"));
        assertThat(SessionCache.shared().openSessionCount()).isEqualTo(openBefore);
    }

    @Test
    void refusesHeadTrainedOnAnotherEncoder() throws IOException {
        String other = "0123456789abcdef".repeat(4);
        Path copy =
                FixtureBundle.copyWithManifest(
                        tmp.resolve("b"),
                        m -> ((ObjectNode) m.get("heads").get(2)).put("encoderSha256", other));
        String encoderSha =
                FixtureBundle.JSON
                        .readTree(FixtureBundle.manifestBytes())
                        .get("encoder")
                        .get("sha256")
                        .asText();

        assertThatThrownBy(() -> ModelBundle.load(copy, THREADS))
                .isInstanceOf(BundleException.class)
                .hasMessageStartingWith(
                        "heads/signal_quality.onnx: head 'signal_quality' was trained on encoder"
                                + " sha256 "
                                + other
                                + " but the bundle's encoder encoder.onnx is "
                                + encoderSha);
    }

    /**
     * A quantised encoder serves heads trained on the encoder it was quantised from, and only
     * those: a head trained on a third encoder is still refused, the message naming both.
     */
    @Test
    void aQuantisedEncoderServesHeadsOfItsOriginalOnly() throws IOException {
        String original = "0123456789abcdef".repeat(4);
        String third = "fedcba9876543210".repeat(4);
        Path served =
                FixtureBundle.copyWithManifest(
                        tmp.resolve("q1"),
                        m -> {
                            ((ObjectNode) m.get("encoder")).put("quantizedFrom", original);
                            for (var h : m.get("heads")) {
                                ((ObjectNode) h).put("encoderSha256", original);
                            }
                        });
        try (ModelBundle bundle = ModelBundle.load(served, THREADS)) {
            assertThat(bundle.manifest().encoder().quantizedFrom()).isEqualTo(original);
            assertThat(bundle.heads()).hasSize(3);
        }
        Path refused =
                FixtureBundle.copyWithManifest(
                        tmp.resolve("q2"),
                        m -> {
                            ((ObjectNode) m.get("encoder")).put("quantizedFrom", original);
                            ((ObjectNode) m.get("heads").get(2)).put("encoderSha256", third);
                        });
        assertThatThrownBy(() -> ModelBundle.load(refused, THREADS))
                .isInstanceOf(BundleException.class)
                .hasMessageContaining("was trained on encoder sha256 " + third)
                .hasMessageContaining(", quantised from " + original);
        Path malformed =
                FixtureBundle.copyWithManifest(
                        tmp.resolve("q3"),
                        m -> ((ObjectNode) m.get("encoder")).put("quantizedFrom", "v2"));
        assertThatThrownBy(() -> ModelBundle.load(malformed, THREADS))
                .isInstanceOf(BundleException.class)
                .hasMessageContaining(
                        "encoder.quantizedFrom: 'v2' is not 64 lower-case hex digits");
    }

    @Test
    void refusesWrongInputLengthNamingTheShape() throws IOException {
        // A self-consistent manifest (100 Hz x 5 s = 500 samples) that does not fit the model.
        Path copy =
                FixtureBundle.copyWithManifest(
                        tmp.resolve("b"),
                        m -> {
                            m.put("windowSeconds", 5);
                            ((ObjectNode) m.get("encoder")).put("inputLength", 500);
                        });
        String encoderSha =
                FixtureBundle.JSON
                        .readTree(FixtureBundle.manifestBytes())
                        .get("encoder")
                        .get("sha256")
                        .asText();
        int refsBefore = SessionCache.shared().referenceCount(encoderSha);

        assertThatThrownBy(() -> ModelBundle.load(copy, THREADS))
                .isInstanceOf(BundleException.class)
                .hasMessageStartingWith(
                        "encoder.onnx: input 'window' has shape [-1, 1000], manifest says"
                                + " inputLength 500");
        assertThat(SessionCache.shared().referenceCount(encoderSha)).isEqualTo(refsBefore);
    }

    @Test
    void refusesUnknownTensorNames() throws IOException {
        Path wrongInput =
                FixtureBundle.copyWithManifest(
                        tmp.resolve("a"),
                        m -> ((ObjectNode) m.get("encoder")).put("inputName", "x"));
        assertThatThrownBy(() -> ModelBundle.load(wrongInput, THREADS))
                .isInstanceOf(BundleException.class)
                .hasMessageStartingWith("encoder.onnx: no input named 'x'")
                .hasMessageContaining("window");

        Path wrongOutput =
                FixtureBundle.copyWithManifest(
                        tmp.resolve("b"),
                        m -> ((ObjectNode) m.get("heads").get(1)).put("outputName", "bpm"));
        assertThatThrownBy(() -> ModelBundle.load(wrongOutput, THREADS))
                .isInstanceOf(BundleException.class)
                .hasMessageStartingWith("heads/heart_rate.onnx: no output named 'bpm'");
    }

    @Test
    void refusesHeadWhoseOutputDimDiffers() throws IOException {
        Path copy =
                FixtureBundle.copyWithManifest(
                        tmp.resolve("b"),
                        m -> {
                            ObjectNode head = (ObjectNode) m.get("heads").get(0);
                            head.put("outputDim", 3);
                            head.putArray("labels").add("normal").add("af").add("other");
                        });
        assertThatThrownBy(() -> ModelBundle.load(copy, THREADS))
                .isInstanceOf(BundleException.class)
                .hasMessageStartingWith(
                        "heads/rhythm.onnx: output 'scores' has shape [-1, 4], manifest says"
                                + " outputDim 3");
    }

    @Test
    void refusesAClassificationHeadThatDoesNotOutputProbabilities() throws IOException {
        // The fixture's heart-rate head (a linear layer: one unbounded value) declared as a
        // one-class classifier stands for an export that lost its final softmax.
        Path copy =
                FixtureBundle.copyWithManifest(
                        tmp.resolve("b"),
                        m -> {
                            ObjectNode head = (ObjectNode) m.get("heads").get(1);
                            head.put("kind", "classification");
                            head.remove("unit");
                            head.putArray("labels").add("any");
                        });
        assertThatThrownBy(() -> ModelBundle.load(copy, THREADS))
                .isInstanceOf(BundleException.class)
                .hasMessageStartingWith(
                        "heads/heart_rate.onnx: is a classification head but does not output class"
                                + " probabilities")
                .hasMessageContaining("export it with its final Softmax");
    }

    @Test
    void refusesEmbeddingDimThatHeadsDoNotTake() throws IOException {
        // The encoder check comes first, so this names the encoder's output.
        Path copy =
                FixtureBundle.copyWithManifest(
                        tmp.resolve("b"),
                        m -> ((ObjectNode) m.get("encoder")).put("embeddingDim", 16));
        assertThatThrownBy(() -> ModelBundle.load(copy, THREADS))
                .isInstanceOf(BundleException.class)
                .hasMessageStartingWith(
                        "encoder.onnx: output 'embedding' has shape [-1, 32], manifest says"
                                + " embeddingDim 16");
    }

    @Test
    void refusesMissingFile() throws IOException {
        Path copy = FixtureBundle.copyTo(tmp.resolve("b"));
        Files.delete(copy.resolve("heads/heart_rate.onnx"));
        assertThatThrownBy(() -> ModelBundle.load(copy, THREADS))
                .isInstanceOf(BundleException.class)
                .hasMessageStartingWith("heads/heart_rate.onnx: cannot be read")
                .hasCauseInstanceOf(NoSuchFileException.class)
                .hasMessageContaining(copy.toString());
    }

    @Test
    void refusesFileThatIsNotOnnx() throws IOException {
        byte[] junk = "not an onnx model".getBytes(StandardCharsets.UTF_8);
        Path copy =
                FixtureBundle.copyWithManifest(
                        tmp.resolve("b"),
                        m -> ((ObjectNode) m.get("heads").get(1)).put("sha256", Sha256.hex(junk)));
        Files.write(copy.resolve("heads/heart_rate.onnx"), junk);
        int openBefore = SessionCache.shared().openSessionCount();

        assertThatThrownBy(() -> ModelBundle.load(copy, THREADS))
                .isInstanceOf(BundleException.class)
                .hasMessageStartingWith("heads/heart_rate.onnx: ONNX Runtime cannot load it");
        // The encoder and rhythm sessions opened before the failure were released again.
        assertThat(SessionCache.shared().openSessionCount()).isEqualTo(openBefore);
    }

    @Test
    void twoLoadsShareOneSessionPerModelAndTheLastCloseClosesIt() {
        SessionCache cache = SessionCache.shared();
        int openBefore = cache.openSessionCount();
        ModelBundle first = ModelBundle.load(FixtureBundle.dir(), THREADS);
        String encoderSha = first.encoder().sha256();
        int refsBefore = cache.referenceCount(encoderSha) - 1;
        int openWithOne = cache.openSessionCount();
        // A copy elsewhere with the same bytes shares too: sessions are keyed by content.
        ModelBundle second = ModelBundle.load(new LocalBundleFiles(FixtureBundle.dir()), THREADS);
        try {
            assertThat(second.encoder().session()).isSameAs(first.encoder().session());
            for (int i = 0; i < first.heads().size(); i++) {
                assertThat(second.heads().get(i).session())
                        .isSameAs(first.heads().get(i).session());
            }
            assertThat(cache.referenceCount(encoderSha)).isEqualTo(refsBefore + 2);
            assertThat(cache.openSessionCount()).isEqualTo(openWithOne);

            first.close();
            first.close(); // idempotent: must not release twice
            assertThat(cache.referenceCount(encoderSha)).isEqualTo(refsBefore + 1);
            assertThat(second.encoder().embed(new float[][] {new float[1000]})).hasNumberOfRows(1);
            assertThatThrownBy(() -> first.encoder().embed(new float[][] {new float[1000]}))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("closed");
        } finally {
            first.close();
            second.close();
        }
        assertThat(cache.referenceCount(encoderSha)).isEqualTo(refsBefore);
        assertThat(cache.openSessionCount()).isEqualTo(openBefore);
        if (refsBefore == 0) {
            assertThat(openWithOne - openBefore)
                    .isEqualTo(4); // encoder + 3 heads, none open before
        }
    }

    /**
     * An operator loads only the part it runs: a head's operator reads the manifest and its own
     * head file, the encoder's the manifest and the encoder. Each still verifies what it reads and
     * checks the manifest as a whole load does.
     */
    @Test
    void aHeadOrTheEncoderAloneReadsOnlyItsOwnFiles() throws IOException {
        List<String> reads = new java.util.ArrayList<>();
        BundleFiles counting =
                new BundleFiles() {
                    private final LocalBundleFiles local =
                            new LocalBundleFiles(FixtureBundle.dir());

                    @Override
                    public byte[] read(String relativePath) throws IOException {
                        reads.add(relativePath);
                        return local.read(relativePath);
                    }

                    @Override
                    public String describe() {
                        return local.describe();
                    }
                };
        String encoderSha;
        float[][] embeddings;
        float[][] expected;
        try (ModelBundle whole = ModelBundle.load(FixtureBundle.dir(), THREADS)) {
            encoderSha = whole.encoder().sha256();
            embeddings =
                    whole.encoder()
                            .embed(FixtureBundle.floats(FixtureBundle.golden().get("inputs")));
            expected = whole.head("heart_rate").orElseThrow().apply(embeddings);
        }

        try (ModelBundle head = ModelBundle.loadHead(counting, THREADS, encoderSha, "heart_rate")) {
            assertThat(reads).containsExactly("manifest.json", "heads/heart_rate.onnx");
            assertThat(head.heads()).extracting(HeadRunner::task).containsExactly("heart_rate");
            assertThat(head.head("rhythm")).isEmpty();
            assertClose(head.heads().get(0).apply(embeddings), expected, 0f);
            assertThatThrownBy(head::encoder)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("without its encoder");
        }

        reads.clear();
        try (ModelBundle encoder = ModelBundle.loadEncoder(counting, THREADS, encoderSha)) {
            assertThat(reads).containsExactly("manifest.json", "encoder.onnx");
            assertThat(encoder.heads()).isEmpty();
            assertThat(encoder.encoder().sha256()).isEqualTo(encoderSha);
        }

        assertThatThrownBy(() -> ModelBundle.loadHead(counting, THREADS, encoderSha, "spo2"))
                .isInstanceOf(BundleException.class)
                .hasMessageContaining("no head for task 'spo2'")
                .hasMessageContaining("rhythm, heart_rate, signal_quality");
        // The submission's encoder identity is checked for a head too.
        assertThatThrownBy(
                        () -> ModelBundle.loadHead(counting, THREADS, "0".repeat(64), "heart_rate"))
                .isInstanceOf(BundleException.class)
                .hasMessageContaining("the bundle was replaced after submission");
    }

    /**
     * A head replaced behind the bundle's URI after submission (another file, or its labels
     * reordered) is refused at the head's load, as a replaced encoder is: the job's recording-level
     * predictions name classes by the labels it read at submission.
     */
    @Test
    void aHeadOtherThanTheOneTheJobWasBuiltWithIsRefused() throws IOException {
        Path original = FixtureBundle.copyTo(tmp.resolve("a"));
        BundleManifest.HeadSpec rhythm;
        String encoderSha;
        try (ModelBundle whole = ModelBundle.load(original, THREADS)) {
            encoderSha = whole.encoder().sha256();
            rhythm =
                    whole.manifest().heads().stream()
                            .filter(h -> h.task().equals("rhythm"))
                            .findFirst()
                            .orElseThrow();
        }
        ModelBundle.HeadIdentity builtWith = ModelBundle.HeadIdentity.of(rhythm);
        // The same head: served.
        ModelBundle.loadHead(
                        new LocalBundleFiles(original), THREADS, encoderSha, "rhythm", builtWith)
                .close();
        // Its labels reordered in the manifest (the file unchanged).
        Path relabelled =
                FixtureBundle.copyWithManifest(
                        tmp.resolve("relabelled"),
                        m -> {
                            for (var head : m.get("heads")) {
                                if (head.get("task").asText().equals("rhythm")) {
                                    var labels = (ArrayNode) head.get("labels");
                                    var first = labels.remove(0);
                                    labels.add(first);
                                }
                            }
                        });
        assertThatThrownBy(
                        () ->
                                ModelBundle.loadHead(
                                        new LocalBundleFiles(relabelled),
                                        THREADS,
                                        encoderSha,
                                        "rhythm",
                                        builtWith))
                .isInstanceOf(BundleException.class)
                .hasMessageContaining("head 'rhythm' is sha256 " + rhythm.sha256() + " with labels")
                .hasMessageContaining("the bundle was replaced after submission");
        // Another file under the same name (its manifest entry updated to match it).
        Path retrained =
                FixtureBundle.copyWithManifest(
                        tmp.resolve("retrained"),
                        m -> {
                            for (var head : m.get("heads")) {
                                if (head.get("task").asText().equals("rhythm")) {
                                    ((ObjectNode) head).put("sha256", "ab".repeat(32));
                                }
                            }
                        });
        assertThatThrownBy(
                        () ->
                                ModelBundle.loadHead(
                                        new LocalBundleFiles(retrained),
                                        THREADS,
                                        encoderSha,
                                        "rhythm",
                                        builtWith))
                .isInstanceOf(BundleException.class)
                .hasMessageContaining("is sha256 " + "ab".repeat(32))
                .hasMessageContaining("the bundle was replaced after submission");
    }

    /** A head's own load still refuses its tampered file, and a head trained elsewhere. */
    @Test
    void aHeadAloneStillRefusesItsTamperedFileAndAForeignEncoder() throws IOException {
        Path copy = FixtureBundle.copyTo(tmp.resolve("b"));
        flipMiddleByte(copy.resolve("heads/rhythm.onnx"));
        LocalBundleFiles files = new LocalBundleFiles(copy);
        String encoderSha;
        try (ModelBundle encoder = ModelBundle.loadEncoder(files, THREADS, null)) {
            encoderSha = encoder.encoder().sha256(); // the encoder's load reads no head
        }
        assertThatThrownBy(() -> ModelBundle.loadHead(files, THREADS, encoderSha, "rhythm"))
                .isInstanceOf(BundleException.class)
                .hasMessageStartingWith("heads/rhythm.onnx: sha256 mismatch");
        ModelBundle.loadHead(files, THREADS, encoderSha, "heart_rate").close();

        Path foreign =
                FixtureBundle.copyWithManifest(
                        tmp.resolve("c"),
                        m ->
                                ((ObjectNode) m.get("heads").get(2))
                                        .put("encoderSha256", "0123456789abcdef".repeat(4)));
        // Every head's training encoder is a manifest check, so even another head's load sees it.
        assertThatThrownBy(
                        () ->
                                ModelBundle.loadHead(
                                        new LocalBundleFiles(foreign), THREADS, null, "rhythm"))
                .isInstanceOf(BundleException.class)
                .hasMessageContaining("head 'signal_quality' was trained on encoder");
    }

    @Test
    void argmaxPicksTheLabelOfTheLargestScore() {
        List<String> labels = List.of("normal", "af", "other", "noisy");
        assertThat(HeadRunner.argmaxLabel(new float[] {0.1f, 0.6f, 0.2f, 0.1f}, labels))
                .isEqualTo("af");
        assertThat(HeadRunner.argmax(new float[] {0.5f, 0.5f})).isZero();
        assertThat(HeadRunner.argmax(new float[] {Float.NaN, 0.2f})).isEqualTo(1);
        assertThat(
                        HeadRunner.argmaxLabel(
                                new float[] {Float.NaN, Float.NaN}, List.of("good", "poor")))
                .isNull();
        assertThatThrownBy(() -> HeadRunner.argmaxLabel(new float[] {1f}, labels))
                .isInstanceOf(IllegalArgumentException.class);
        try (ModelBundle bundle = ModelBundle.load(FixtureBundle.dir(), THREADS)) {
            HeadRunner quality = bundle.head("signal_quality").orElseThrow();
            assertThat(quality.label(new float[] {0.2f, 0.8f})).isEqualTo("poor");
            HeadRunner hr = bundle.head("heart_rate").orElseThrow();
            assertThatThrownBy(() -> hr.label(new float[] {70f}))
                    .isInstanceOf(IllegalStateException.class);
        }
    }

    /** Flips one bit in the middle of {@code file}; returns the file's new bytes. */
    private static byte[] flipMiddleByte(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 2] ^= 0x01;
        Files.write(file, bytes);
        return bytes;
    }

    private static void assertClose(float[][] actual, float[][] expected, float tolerance) {
        assertThat(actual).hasNumberOfRows(expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).as("row %d", i).hasSize(expected[i].length);
            for (int j = 0; j < expected[i].length; j++) {
                assertThat(actual[i][j])
                        .as("row %d, column %d", i, j)
                        .isCloseTo(expected[i][j], within(tolerance));
            }
        }
    }
}
