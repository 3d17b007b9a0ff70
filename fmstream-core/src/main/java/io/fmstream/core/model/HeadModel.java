package io.fmstream.core.model;

import ai.onnxruntime.OrtSession;

/**
 * What a {@link HeadRunner} runs: embeddings [n, embeddingDim] in, [n, outputDim] out. An ONNX head
 * is a {@link BatchRunner} (one ONNX Runtime call per batch); a linear head is a {@link
 * LinearHeadModel} (a matrix multiply in plain Java). Both check their arguments with {@link
 * BatchArguments}, so callers see the same errors from either.
 */
interface HeadModel extends AutoCloseable {

    /** n rows in, n rows out; see {@link HeadRunner#apply(float[][])}. */
    float[][] run(float[][] rows);

    /** Row-major variant; see {@link HeadRunner#apply(float[], int, float[])}. */
    void run(float[] rows, int count, float[] out);

    /**
     * The ONNX Runtime session behind the head, or {@code null} when there is none (linear heads).
     */
    OrtSession session();

    /** Releases what the model holds; idempotent. */
    @Override
    void close();
}
