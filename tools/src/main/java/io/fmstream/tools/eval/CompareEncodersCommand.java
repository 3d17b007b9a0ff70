package io.fmstream.tools.eval;

import io.fmstream.core.model.ModelBundle;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bin/fmstream compare-encoders}: whether a candidate encoder (an int8-quantised bundle) may
 * stand in for its reference, and what it buys. On the windows of a dataset: the cosine between the
 * two encoders' embeddings per window, the reference bundle's heads scored on both against the
 * dataset's labels (the candidate inside the reference's 95 % interval?), and the windows per
 * second of each encoder alone (ONNX Runtime, one intra-op thread, the job's per-slot setting),
 * measured in alternating rounds in one JVM so that the ratio holds on a noisy machine.
 */
@Command(
        name = "compare-encoders",
        mixinStandardHelpOptions = true,
        description =
                "Compare a candidate bundle's encoder (e.g. int8) with a reference bundle's on a"
                        + " dataset: embedding cosine, the reference heads' metrics on both, and"
                        + " speed.")
public final class CompareEncodersCommand implements Callable<Integer> {

    /** Windows under the threshold listed by name, worst first; the count says the rest. */
    static final int WORST_LISTED = 10;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--reference", required = true, description = "Reference bundle folder.")
    Path reference;

    @Option(names = "--candidate", required = true, description = "Candidate bundle folder.")
    Path candidate;

    @Option(
            names = "--dataset",
            required = true,
            description = "Windows from `bin/fmstream dataset` (.npz), labelled where known.")
    Path dataset;

    @Option(
            names = "--batch",
            defaultValue = "32",
            description =
                    "Windows per encoder call in the speed rounds (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(
            names = "--rounds",
            defaultValue = "3",
            description =
                    "Alternating speed rounds, 0 for none; the median ratio is reported (default:"
                            + " ${DEFAULT-VALUE}).")
    int rounds;

    @Option(
            names = "--seconds",
            defaultValue = "4",
            description = "Seconds measured per encoder and round, after 1.5 s of warm-up.")
    double seconds;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        EncoderComparison.Windows w = EncoderComparison.Windows.read(dataset);
        try (ModelBundle ref = ModelBundle.load(reference, 1);
                ModelBundle cand = ModelBundle.load(candidate, 1)) {
            float[][] r = ref.encoder().embed(w.windows());
            float[][] c = cand.encoder().embed(w.windows());
            out.printf(
                    "reference %s (encoder %s), candidate %s (encoder %s), dataset %s%n",
                    ref.manifest().bundleId(),
                    ref.manifest().encoder().sha256().substring(0, 12),
                    cand.manifest().bundleId(),
                    cand.manifest().encoder().sha256().substring(0, 12),
                    dataset);
            EncoderComparison.Cosines cosines = EncoderComparison.cosines(r, c);
            out.println("embeddings: " + cosines);
            List<String> below = EncoderComparison.below(w, cosines, WORST_LISTED);
            if (!below.isEmpty()) {
                out.println("below " + EncoderComparison.Cosines.THRESHOLD + ", worst first:");
                below.forEach(line -> out.println("  " + line));
            }
            for (EncoderComparison.TaskMetric m : EncoderComparison.taskMetrics(ref, r, c, w)) {
                out.println("head " + m);
            }
            if (rounds > 0) {
                speed(out, ref, cand, w.windows());
            }
        }
        out.flush();
        return 0;
    }

    private void speed(PrintWriter out, ModelBundle ref, ModelBundle cand, float[][] windows) {
        float[][] input = new float[batch][];
        for (int i = 0; i < batch; i++) {
            input[i] = windows[i % windows.length];
        }
        double[] ratios = new double[rounds];
        for (int round = 0; round < rounds; round++) {
            double a = rate(ref, input);
            double b = rate(cand, input);
            ratios[round] = b / a;
            out.printf(
                    Locale.ROOT,
                    "speed round %d, batch %d, 1 thread: reference %.0f windows/s, candidate %.0f"
                            + " windows/s, %.2fx%n",
                    round + 1,
                    batch,
                    a,
                    b,
                    ratios[round]);
        }
        Arrays.sort(ratios);
        out.printf(
                Locale.ROOT,
                "speed: candidate / reference, median of %d rounds: %.2fx%n",
                rounds,
                ratios[rounds / 2]);
    }

    private double rate(ModelBundle bundle, float[][] input) {
        long warm = System.nanoTime() + 1_500_000_000L;
        while (System.nanoTime() < warm) {
            bundle.encoder().embed(input);
        }
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        long windows = 0;
        while (System.nanoTime() < end) {
            bundle.encoder().embed(input);
            windows += input.length;
        }
        return windows / ((System.nanoTime() - start) / 1e9);
    }
}
