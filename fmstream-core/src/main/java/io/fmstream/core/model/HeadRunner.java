package io.fmstream.core.model;

import ai.onnxruntime.OrtSession;
import java.util.List;

/**
 * Runs one downstream head of a bundle on embeddings [n, embeddingDim]: class probabilities [n,
 * labels] for classification, one value [n, 1] for regression. An {@link HeadFormat#ONNX} head
 * makes one ONNX Runtime call per batch, and calls on one runner are serialised (see {@link
 * EncoderRunner}); a {@link HeadFormat#LINEAR} head is one matrix multiply in plain Java ({@link
 * LinearHead}) and needs no lock. Callers see the same API and errors from both.
 */
public final class HeadRunner {

    private final BundleManifest.HeadSpec spec;
    private final HeadModel runner;

    HeadRunner(BundleManifest.HeadSpec spec, HeadModel runner) {
        this.spec = spec;
        this.runner = runner;
    }

    /**
     * Applies the head to a batch of embeddings.
     *
     * @return n rows of {@link #outputDim()} values (probabilities in {@link #labels()} order for
     *     classification)
     * @throws IllegalArgumentException when a row is null or has the wrong length
     * @throws InferenceException when ONNX Runtime fails (ONNX heads)
     */
    public float[][] apply(float[][] embeddings) {
        return runner.run(embeddings);
    }

    /** Row-major variant of {@link #apply(float[][])} writing into a caller-owned array. */
    public void apply(float[] embeddings, int count, float[] outputs) {
        runner.run(embeddings, count, outputs);
    }

    public String task() {
        return spec.task();
    }

    public String name() {
        return spec.name();
    }

    public String version() {
        return spec.version();
    }

    public HeadKind kind() {
        return spec.kind();
    }

    /** Class labels in output order; empty for regression heads. */
    public List<String> labels() {
        return spec.labels();
    }

    /** Unit of a regression head's value; {@code null} for classification heads. */
    public String unit() {
        return spec.unit();
    }

    public int outputDim() {
        return spec.outputDim();
    }

    public String sha256() {
        return spec.sha256();
    }

    /** How the head's file is evaluated: by ONNX Runtime or, for a linear head, in plain Java. */
    public HeadFormat format() {
        return spec.format();
    }

    public BundleManifest.HeadSpec spec() {
        return spec;
    }

    /** The most probable label of one output row of this (classification) head. */
    public String label(float[] scores) {
        if (spec.kind() != HeadKind.CLASSIFICATION) {
            throw new IllegalStateException(
                    "head '" + spec.task() + "' is a regression head and has no labels");
        }
        return argmaxLabel(scores, spec.labels());
    }

    /**
     * Index of the largest score; NaN never wins. Ties go to the lower index, so the result is
     * stable. Returns -1 when every score is NaN (or there are none).
     */
    public static int argmax(float[] scores) {
        int best = -1;
        for (int i = 0; i < scores.length; i++) {
            if (!Float.isNaN(scores[i]) && (best < 0 || scores[i] > scores[best])) {
                best = i;
            }
        }
        return best;
    }

    /**
     * The label of the largest score, or {@code null} when every score is NaN: a window the model
     * could not score has no label rather than an arbitrary one.
     *
     * @throws IllegalArgumentException when the number of scores and labels differ
     */
    public static String argmaxLabel(float[] scores, List<String> labels) {
        if (scores.length != labels.size()) {
            throw new IllegalArgumentException(
                    scores.length + " scores for " + labels.size() + " labels " + labels);
        }
        int best = argmax(scores);
        return best < 0 ? null : labels.get(best);
    }

    /** The shared ONNX Runtime session, or {@code null} for a linear head. */
    OrtSession session() {
        return runner.session();
    }

    void close() {
        runner.close();
    }

    @Override
    public String toString() {
        return "HeadRunner["
                + spec.task()
                + ": "
                + spec.name()
                + " "
                + spec.version()
                + ", "
                + spec.kind().manifestName()
                + (spec.kind() == HeadKind.CLASSIFICATION
                        ? " " + spec.labels()
                        : " (" + spec.unit() + ")")
                + (spec.format() == HeadFormat.ONNX ? "" : ", " + spec.format().manifestName())
                + "]";
    }
}
