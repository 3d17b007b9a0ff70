package io.fmstream.tools.bench;

import io.fmstream.core.model.HeadFormat;
import io.fmstream.core.model.HeadRunner;
import io.fmstream.core.model.ModelBundle;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Is a linear head faster as plain Java than as an ONNX Runtime call? Two heads of one bundle with
 * the same weights, one {@code linear} (the manifest's plain-Java format) and one ONNX copy ({@code
 * model-artifacts/recipe/linear_head_to_onnx.py}), are run through the job's own {@link HeadRunner}
 * on the same embeddings, alternately, in several rounds; the median time per window is reported
 * for each batch size, with the ratio. The job's head operator scores one window per call, so batch
 * 1 is what it pays; larger batches show how much of an ONNX call is overhead.
 */
@Command(
        name = "bench-heads",
        mixinStandardHelpOptions = true,
        description =
                "Time a linear head as plain Java against the same head as an ONNX Runtime call.")
public final class HeadBenchCommand implements Callable<Integer> {

    @Option(names = "--bundle", required = true, description = "Bundle with both heads.")
    Path bundle;

    @Option(names = "--linear", required = true, description = "Task of the linear head.")
    String linearTask;

    @Option(names = "--onnx", required = true, description = "Task of its ONNX copy.")
    String onnxTask;

    @Option(
            names = "--batches",
            split = ",",
            defaultValue = "1,16,64",
            description = "Windows per call (default: ${DEFAULT-VALUE}).")
    List<Integer> batches;

    @Option(
            names = "--windows",
            defaultValue = "200000",
            description = "Windows scored per measurement (default: ${DEFAULT-VALUE}).")
    int windows;

    @Option(
            names = "--rounds",
            defaultValue = "5",
            description = "Alternating rounds; the median is reported (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (batches.isEmpty()
                || batches.stream().anyMatch(b -> b < 1)
                || windows < 1
                || rounds < 1) {
            throw new IllegalArgumentException("--batches, --windows and --rounds must be >= 1");
        }
        PrintWriter out = spec.commandLine().getOut();
        try (ModelBundle b = ModelBundle.load(bundle, 1)) {
            HeadRunner linear = head(b, linearTask, HeadFormat.LINEAR);
            HeadRunner onnx = head(b, onnxTask, HeadFormat.ONNX);
            int dim = b.encoder().embeddingDim();
            float[][] pool = embeddings(4096, dim);
            float maxDiff = maxDifference(linear.apply(pool), onnx.apply(pool));
            if (!(maxDiff <= 1e-4f)) { // NaN (one side NaN, or lengths) is a disagreement
                throw new IllegalStateException(
                        "the two heads disagree by " + maxDiff + ": not the same weights");
            }
            out.printf(
                    Locale.ROOT,
                    "bench-heads: %s (linear) vs %s (ONNX Runtime, 1 thread), %d -> %d, outputs"
                            + " agree within %.1e; %d windows per measurement, median of %d"
                            + " rounds%n",
                    linearTask,
                    onnxTask,
                    dim,
                    linear.outputDim(),
                    maxDiff,
                    windows,
                    rounds);
            List<String[]> rows = new ArrayList<>();
            for (int batch : batches) {
                double[] javaNanos = new double[rounds];
                double[] ortNanos = new double[rounds];
                time(linear, pool, batch, Math.min(windows, 20_000)); // warm-up (JIT, ORT arenas)
                time(onnx, pool, batch, Math.min(windows, 20_000));
                for (int r = 0; r < rounds; r++) {
                    javaNanos[r] = time(linear, pool, batch, windows);
                    ortNanos[r] = time(onnx, pool, batch, windows);
                }
                double j = median(javaNanos);
                double o = median(ortNanos);
                rows.add(
                        new String[] {
                            String.valueOf(batch),
                            String.format(Locale.ROOT, "%.2f", j / 1000),
                            String.format(Locale.ROOT, "%.2f", o / 1000),
                            String.format(Locale.ROOT, "%.1fx", o / j)
                        });
            }
            out.println();
            out.println(
                    "| windows per call | plain Java µs/window | ONNX Runtime µs/window | Java"
                            + " speed-up |");
            out.println("|---|---|---|---|");
            for (String[] row : rows) {
                out.println("| " + String.join(" | ", row) + " |");
            }
            return 0;
        }
    }

    private static HeadRunner head(ModelBundle b, String task, HeadFormat format) {
        HeadRunner h =
                b.head(task)
                        .orElseThrow(
                                () ->
                                        new IllegalArgumentException(
                                                "the bundle has no task " + task));
        if (h.format() != format) {
            throw new IllegalArgumentException(
                    "head " + task + " is " + h.format() + ", expected " + format);
        }
        return h;
    }

    /** Nanoseconds per window to score {@code count} windows in calls of {@code batch}. */
    static double time(HeadRunner head, float[][] pool, int batch, int count) {
        float[][] call = new float[batch][];
        long sink = 0;
        long t0 = System.nanoTime();
        int done = 0;
        int next = 0;
        while (done < count) {
            for (int i = 0; i < batch; i++) {
                call[i] = pool[next];
                next = (next + 1) % pool.length;
            }
            float[][] outputs = head.apply(call);
            sink += Float.floatToRawIntBits(outputs[0][0]);
            done += batch;
        }
        long elapsed = System.nanoTime() - t0;
        if (sink == 42) {
            System.out.print(""); // keeps the outputs alive for the JIT
        }
        return (double) elapsed / done;
    }

    private static float[][] embeddings(int n, int dim) {
        Random random = new Random(7);
        float[][] rows = new float[n][dim];
        for (float[] row : rows) {
            for (int j = 0; j < dim; j++) {
                row[j] = (float) random.nextGaussian();
            }
        }
        return rows;
    }

    private static float maxDifference(float[][] a, float[][] b) {
        if (a.length != b.length) {
            return Float.NaN;
        }
        float max = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i].length != b[i].length) {
                return Float.NaN;
            }
            for (int j = 0; j < a[i].length; j++) {
                // Math.max keeps a NaN, so one side's NaN fails the check above
                max = Math.max(max, Math.abs(a[i][j] - b[i][j]));
            }
        }
        return max;
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
