package io.fmstream.core.model;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;

/**
 * Runs a model with one float input [n, inputWidth] and one float output [n, outputWidth], one ONNX
 * Runtime call per batch. Shared by {@link EncoderRunner} and {@link HeadRunner} (for which it is
 * the {@link HeadModel} of an ONNX head).
 *
 * <p>The input is copied once, row by row, into a reused direct buffer in native byte order, which
 * ONNX Runtime reads in place (a heap buffer would be copied again). The reuse makes runs mutually
 * exclusive per runner (synchronized); the shared session itself is thread-safe, and each operator
 * instance has its own runner, so the lock is uncontended in practice. Closing takes the same lock,
 * so it never releases a session under a running call.
 */
final class BatchRunner implements HeadModel {

    private final SessionCache.Handle handle;
    private final OrtEnvironment env;
    private final String file;
    private final String inputName;
    private final Set<String> outputNames;
    private final int inputWidth;
    private final int outputWidth;
    private final String inputWhat;
    private FloatBuffer input = FloatBuffer.allocate(0); // guarded by this

    BatchRunner(
            SessionCache.Handle handle,
            OrtEnvironment env,
            String file,
            String inputName,
            String outputName,
            int inputWidth,
            int outputWidth,
            String inputWhat) {
        this.handle = handle;
        this.env = env;
        this.file = file;
        this.inputName = inputName;
        this.outputNames = Set.of(outputName);
        this.inputWidth = inputWidth;
        this.outputWidth = outputWidth;
        this.inputWhat = inputWhat;
    }

    @Override
    public OrtSession session() {
        return handle.session();
    }

    String sha256() {
        return handle.sha256();
    }

    @Override
    public synchronized float[][] run(float[][] rows) {
        BatchArguments.checkRows(rows, inputWidth, inputWhat, file);
        int n = rows.length;
        float[][] out = new float[n][outputWidth];
        if (n == 0) {
            return out;
        }
        FloatBuffer in = inputBuffer(n);
        for (float[] row : rows) {
            in.put(row);
        }
        in.flip();
        FloatBuffer result = infer(in, n);
        for (float[] row : out) {
            result.get(row);
        }
        return out;
    }

    @Override
    public synchronized void run(float[] flat, int n, float[] out) {
        BatchArguments.checkFlat(flat, n, out, inputWidth, outputWidth, inputWhat);
        long need = (long) n * inputWidth;
        long outNeed = (long) n * outputWidth;
        if (n == 0) {
            return;
        }
        FloatBuffer in = inputBuffer(n);
        in.put(flat, 0, (int) need);
        in.flip();
        infer(in, n).get(out, 0, (int) outNeed);
    }

    private FloatBuffer inputBuffer(int n) {
        long needed = (long) n * inputWidth;
        if (needed > Integer.MAX_VALUE / Float.BYTES) {
            throw new IllegalArgumentException(
                    "batch of " + n + " rows of " + inputWidth + " is too large");
        }
        if (input.capacity() < needed) {
            input =
                    ByteBuffer.allocateDirect((int) needed * Float.BYTES)
                            .order(ByteOrder.nativeOrder())
                            .asFloatBuffer();
        }
        input.clear();
        return input;
    }

    /** One ONNX Runtime call; returns a heap copy of the output, positioned at 0. */
    private FloatBuffer infer(FloatBuffer in, int n) {
        OrtSession session = handle.session();
        try (OnnxTensor tensor = OnnxTensor.createTensor(env, in, new long[] {n, inputWidth});
                OrtSession.Result result = session.run(Map.of(inputName, tensor), outputNames)) {
            OnnxValue value = result.get(0);
            if (!(value instanceof OnnxTensor)) {
                throw new InferenceException(
                        file + ": output is " + value.getInfo() + ", expected a float tensor");
            }
            OnnxTensor output = (OnnxTensor) value;
            long[] shape = output.getInfo().getShape();
            if (shape.length != 2 || shape[0] != n || shape[1] != outputWidth) {
                throw new InferenceException(
                        file
                                + ": returned shape "
                                + Arrays.toString(shape)
                                + " for a batch of "
                                + n
                                + ", expected ["
                                + n
                                + ", "
                                + outputWidth
                                + "]");
            }
            return output.getFloatBuffer();
        } catch (OrtException e) {
            throw new InferenceException(
                    file
                            + " (sha256 "
                            + Sha256.abbrev(handle.sha256())
                            + "): ONNX Runtime failed on a batch of "
                            + n
                            + ": "
                            + e.getMessage(),
                    e);
        }
    }

    @Override
    public synchronized void close() {
        handle.close();
    }
}
