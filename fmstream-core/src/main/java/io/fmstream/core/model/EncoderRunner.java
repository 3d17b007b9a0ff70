package io.fmstream.core.model;

import ai.onnxruntime.OrtSession;

/**
 * Runs a bundle's shared encoder: normalised windows [n, inputLength] in, embeddings [n,
 * embeddingDim] out, one ONNX Runtime call per batch.
 *
 * <p>Callers batch windows themselves (micro-batching amortises the per-call overhead). Calls on
 * one runner are serialised; give each thread its own {@link ModelBundle} (the session behind it is
 * shared anyway). Obtained from {@link ModelBundle#encoder()}; closed with the bundle.
 */
public final class EncoderRunner {

    private final BundleManifest.EncoderSpec spec;
    private final BatchRunner runner;

    EncoderRunner(BundleManifest.EncoderSpec spec, BatchRunner runner) {
        this.spec = spec;
        this.runner = runner;
    }

    /**
     * Embeds a batch of windows.
     *
     * @param windows n rows of exactly {@link #inputLength()} normalised samples
     * @return n rows of {@link #embeddingDim()} values
     * @throws IllegalArgumentException when a row is null or has the wrong length
     * @throws InferenceException when ONNX Runtime fails
     */
    public float[][] embed(float[][] windows) {
        return runner.run(windows);
    }

    /**
     * Embeds {@code count} windows stored row-major in {@code windows} (count x inputLength values
     * from index 0) into {@code embeddings} (count x embeddingDim values from index 0). Lets the
     * caller reuse its arrays across batches.
     */
    public void embed(float[] windows, int count, float[] embeddings) {
        runner.run(windows, count, embeddings);
    }

    public String encoderName() {
        return spec.name();
    }

    public String version() {
        return spec.version();
    }

    /** sha256 of the encoder's ONNX file: the encoder's identity on the wire. */
    public String sha256() {
        return spec.sha256();
    }

    public int inputLength() {
        return spec.inputLength();
    }

    public int embeddingDim() {
        return spec.embeddingDim();
    }

    public BundleManifest.EncoderSpec spec() {
        return spec;
    }

    OrtSession session() {
        return runner.session();
    }

    void close() {
        runner.close();
    }

    @Override
    public String toString() {
        return "EncoderRunner["
                + spec.name()
                + " "
                + spec.version()
                + ", sha256 "
                + Sha256.abbrev(spec.sha256())
                + ", "
                + spec.inputLength()
                + " -> "
                + spec.embeddingDim()
                + "]";
    }
}
