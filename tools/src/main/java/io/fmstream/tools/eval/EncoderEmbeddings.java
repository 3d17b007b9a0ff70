package io.fmstream.tools.eval;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.fmstream.core.model.OnnxRuntimeEnvironment;
import io.fmstream.core.model.Sha256;
import io.fmstream.data.dataset.NpyArray;
import io.fmstream.data.dataset.NpyReader;
import io.fmstream.data.dataset.NpyWriter;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Window embeddings of a whole dataset from one ONNX encoder, computed by ONNX Runtime exactly as
 * the job runs it (same library, float32, batches) and cached by the encoder's and the dataset's
 * sha256, so an interrupted evaluation resumes and a re-run of an unchanged encoder costs nothing.
 */
final class EncoderEmbeddings {

    private EncoderEmbeddings() {}

    /** Embeddings [windows][dim] row-major, with their width. */
    record Matrix(float[] values, int dim, String encoderSha256) {
        float[] row(int i) {
            float[] r = new float[dim];
            System.arraycopy(values, i * dim, r, 0, dim);
            return r;
        }
    }

    static Matrix compute(
            Path encoderOnnx,
            LabelledWindows data,
            String dataSha256,
            Path cacheDir,
            int threads,
            Consumer<String> log)
            throws IOException, OrtException {
        byte[] model = Files.readAllBytes(encoderOnnx);
        String sha = Sha256.hex(model);
        Path cached =
                cacheDir.resolve(
                        "embeddings-"
                                + sha.substring(0, 16)
                                + "-"
                                + dataSha256.substring(0, 16)
                                + ".npy");
        if (Files.isRegularFile(cached)) {
            NpyReader.Array a = NpyReader.read(cached);
            log.accept(
                    "embeddings of "
                            + encoderOnnx.getFileName()
                            + " (sha256 "
                            + sha.substring(0, 12)
                            + ") from cache "
                            + cached.getFileName());
            return new Matrix(a.asFloats(), (int) a.shape()[1], sha);
        }
        OnnxRuntimeEnvironment env = OnnxRuntimeEnvironment.initialise(threads);
        long t0 = System.nanoTime();
        try (OrtSession session = env.createSession(model)) {
            String input = session.getInputNames().iterator().next();
            int n = data.windowCount();
            int len = data.windowLength;
            int batch = 256;
            float[] out = null;
            int dim = -1;
            for (int from = 0; from < n; from += batch) {
                int count = Math.min(batch, n - from);
                FloatBuffer buf = FloatBuffer.wrap(data.windows, from * len, count * len).slice();
                try (OnnxTensor t =
                                OnnxTensor.createTensor(env.ort(), buf, new long[] {count, len});
                        OrtSession.Result r = session.run(Map.of(input, t))) {
                    float[][] e = (float[][]) r.get(0).getValue();
                    if (out == null) {
                        dim = e[0].length;
                        out = new float[n * dim];
                    }
                    for (int i = 0; i < count; i++) {
                        System.arraycopy(e[i], 0, out, (from + i) * dim, dim);
                    }
                }
            }
            Files.createDirectories(cacheDir);
            Path tmp = cached.resolveSibling(cached.getFileName() + ".tmp");
            NpyWriter.write(tmp, NpyArray.float32(out, n, dim));
            Files.move(tmp, cached, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            log.accept(
                    String.format(
                            java.util.Locale.ROOT,
                            "embedded %d windows with %s (sha256 %s) in %.0f s",
                            n,
                            encoderOnnx.getFileName(),
                            sha.substring(0, 12),
                            (System.nanoTime() - t0) / 1e9));
            return new Matrix(out, dim, sha);
        }
    }
}
