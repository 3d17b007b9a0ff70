package io.fmstream.core.model;

import ai.onnxruntime.OrtSession;

/**
 * A {@link LinearHead} as a {@link HeadModel}: checks arguments as {@link BatchRunner} does (naming
 * the bundle file) and refuses work once closed, like a released ONNX session. Holds no native
 * resources and no mutable buffers, so calls need no lock.
 */
final class LinearHeadModel implements HeadModel {

    private final LinearHead head;
    private final String file;
    private final String inputWhat;
    private volatile boolean closed;

    LinearHeadModel(LinearHead head, String file, String inputWhat) {
        this.head = head;
        this.file = file;
        this.inputWhat = inputWhat;
    }

    LinearHead head() {
        return head;
    }

    @Override
    public float[][] run(float[][] rows) {
        BatchArguments.checkRows(rows, head.inputDim(), inputWhat, file);
        float[][] out = new float[rows.length][head.outputDim()];
        if (rows.length == 0) {
            return out;
        }
        checkOpen();
        head.compute(rows, out);
        return out;
    }

    @Override
    public void run(float[] rows, int count, float[] out) {
        BatchArguments.checkFlat(rows, count, out, head.inputDim(), head.outputDim(), inputWhat);
        if (count == 0) {
            return;
        }
        checkOpen();
        head.compute(rows, count, out);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("Linear head " + file + " is closed");
        }
    }

    @Override
    public OrtSession session() {
        return null;
    }

    @Override
    public void close() {
        closed = true;
    }
}
