package io.fmstream.tools.eval;

import io.fmstream.core.model.HeadKind;
import io.fmstream.core.model.HeadRunner;
import io.fmstream.core.model.ModelBundle;
import io.fmstream.data.dataset.NpyReader;
import io.fmstream.data.dataset.WindowDatasetBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A candidate encoder (an int8-quantised one) against the reference it stands in for, on the same
 * windows: how close its embeddings are (cosine per window) and whether the reference bundle's
 * heads score as well on them, per task, within the reference's 95 % confidence interval (bootstrap
 * over devices, since windows of one device are not independent).
 *
 * <p>The task metrics are the model card's: rhythm window accuracy (4 classes), heart-rate MAE over
 * windows with a known rate in 40-180 bpm and at most half of the window missing, and
 * signal-quality balanced accuracy; each on the windows whose label the dataset knows.
 */
public final class EncoderComparison {

    /** Bootstrap resamples for the confidence intervals. */
    static final int RESAMPLES = 1000;

    private EncoderComparison() {}

    /** Labelled windows of a {@code bin/fmstream dataset} archive. */
    public record Windows(
            float[][] windows,
            int[] device,
            int[] rhythm,
            int[] quality,
            float[] hrBpm,
            float[] missing,
            List<String> deviceNames,
            float[] startSeconds) {

        public static Windows read(Path npz) throws IOException {
            Map<String, NpyReader.Array> a = NpyReader.readNpz(npz);
            float[] flat = a.get("windows").asFloats();
            int width = (int) a.get("windows").shape()[1];
            float[][] rows = new float[flat.length / width][];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = Arrays.copyOfRange(flat, i * width, (i + 1) * width);
            }
            return new Windows(
                    rows,
                    a.get("device").asInts(),
                    a.get("rhythm").asInts(),
                    a.get("quality").asInts(),
                    a.get("hr_bpm").asFloats(),
                    a.get("missing_fraction").asFloats(),
                    a.get("device_names").asStrings(),
                    a.get("window_start_s").asFloats());
        }

        /** Which window row i is, as a person finds it again: device name and start second. */
        public String describe(int i) {
            return String.format(
                    java.util.Locale.ROOT,
                    "%s @ %.0f s",
                    deviceNames.get(device[i]),
                    startSeconds[i]);
        }

        public int size() {
            return windows.length;
        }
    }

    /**
     * Cosine similarity per window between two encoders' embeddings ({@code perWindow}, in window
     * order), summarised.
     */
    public record Cosines(
            int windows,
            double min,
            double p1,
            double p5,
            double mean,
            int below,
            double[] perWindow) {
        /** Below this a window counts in {@link #below}: the serving criterion. */
        public static final double THRESHOLD = 0.99;

        @Override
        public String toString() {
            return String.format(
                    java.util.Locale.ROOT,
                    "%d windows: cosine min %.4f, 1st percentile %.4f, 5th %.4f, mean %.5f; %d"
                            + " below %.2f",
                    windows,
                    min,
                    p1,
                    p5,
                    mean,
                    below,
                    THRESHOLD);
        }
    }

    public static Cosines cosines(float[][] reference, float[][] candidate) {
        double[] c = new double[reference.length];
        double sum = 0;
        int below = 0;
        for (int i = 0; i < c.length; i++) {
            c[i] = cosine(reference[i], candidate[i]);
            sum += c[i];
            below += c[i] < Cosines.THRESHOLD ? 1 : 0;
        }
        double[] sorted = c.clone();
        Arrays.sort(sorted);
        return new Cosines(
                c.length,
                sorted[0],
                sorted[(int) (0.01 * (c.length - 1))],
                sorted[(int) (0.05 * (c.length - 1))],
                sum / c.length,
                below,
                c);
    }

    /**
     * The windows under the serving threshold, worst first, at most {@code max} of them, each as
     * its device, start second and cosine: where to look when a candidate fails (those that failed
     * the int8 encoder's revision 1 were mostly flat windows with a spike or two).
     */
    public static List<String> below(Windows w, Cosines cosines, int max) {
        List<double[]> under = new ArrayList<>();
        double[] c = cosines.perWindow();
        for (int i = 0; i < c.length; i++) {
            if (c[i] < Cosines.THRESHOLD) {
                under.add(new double[] {c[i], i});
            }
        }
        under.sort(Comparator.comparingDouble(x -> x[0]));
        List<String> lines = new ArrayList<>();
        for (double[] u : under.subList(0, Math.min(max, under.size()))) {
            lines.add(
                    String.format(
                            java.util.Locale.ROOT,
                            "%s: cosine %.4f",
                            w.describe((int) u[1]),
                            u[0]));
        }
        return lines;
    }

    static double cosine(float[] x, float[] y) {
        double dot = 0, xx = 0, yy = 0;
        for (int i = 0; i < x.length; i++) {
            dot += (double) x[i] * y[i];
            xx += (double) x[i] * x[i];
            yy += (double) y[i] * y[i];
        }
        return dot / Math.sqrt(xx * yy);
    }

    /** One task's metric with the reference encoder (and its 95 % interval) and the candidate. */
    public record TaskMetric(
            String task,
            String metric,
            int windows,
            double reference,
            double low,
            double high,
            double candidate) {

        public boolean within() {
            return candidate >= low && candidate <= high;
        }

        @Override
        public String toString() {
            return String.format(
                    java.util.Locale.ROOT,
                    "%s %s (%d windows): reference %.4f [95%% CI %.4f, %.4f], candidate %.4f: %s",
                    task,
                    metric,
                    windows,
                    reference,
                    low,
                    high,
                    candidate,
                    within() ? "within" : "OUTSIDE");
        }
    }

    /**
     * The reference bundle's heads on both encoders' embeddings of {@code w}, scored against its
     * labels: one entry per head whose task the dataset labels (rhythm, heart_rate, signal_quality)
     * and that has labelled windows.
     */
    public static List<TaskMetric> taskMetrics(
            ModelBundle reference, float[][] refEmbeddings, float[][] candEmbeddings, Windows w) {
        List<TaskMetric> out = new ArrayList<>();
        for (HeadRunner head : reference.heads()) {
            float[][] r = head.apply(refEmbeddings);
            float[][] c = head.apply(candEmbeddings);
            Scorer scorer =
                    switch (head.task()) {
                        case "rhythm" -> rhythm(head, w);
                        case "signal_quality" -> quality(head, w);
                        case "heart_rate" -> heartRate(head, w);
                        default -> null;
                    };
            if (scorer == null || scorer.windows().length == 0) {
                continue;
            }
            double[] ci = bootstrap(scorer, r, w.device());
            out.add(
                    new TaskMetric(
                            head.task(),
                            scorer.name(),
                            scorer.windows().length,
                            scorer.score(r, scorer.windows()),
                            ci[0],
                            ci[1],
                            scorer.score(c, scorer.windows())));
        }
        return out;
    }

    /** A metric over a selection of windows (indices into the dataset). */
    interface Scorer {
        String name();

        int[] windows();

        double score(float[][] outputs, int[] windows);
    }

    private static Scorer rhythm(HeadRunner head, Windows w) {
        // Indexed by the dataset's code (RHYTHM_NORMAL 0, AF 1, OTHER 2, NOISY 3): the head's
        // index of the same label.
        String[] names = new String[4];
        names[WindowDatasetBuilder.RHYTHM_NORMAL] = "normal";
        names[WindowDatasetBuilder.RHYTHM_AF] = "af";
        names[WindowDatasetBuilder.RHYTHM_OTHER] = "other";
        names[WindowDatasetBuilder.RHYTHM_NOISY] = "noisy";
        int[] classOf = labelIndices(head, List.of(names));
        int[] sel = select(w.size(), i -> w.rhythm()[i] >= 0);
        return classification(
                "window accuracy", sel, i -> classOf[w.rhythm()[i]], head.labels().size(), false);
    }

    private static Scorer quality(HeadRunner head, Windows w) {
        String[] names = new String[2];
        names[WindowDatasetBuilder.QUALITY_GOOD] = "good";
        names[WindowDatasetBuilder.QUALITY_POOR] = "poor";
        int[] classOf = labelIndices(head, List.of(names));
        int[] sel = select(w.size(), i -> w.quality()[i] >= 0);
        return classification(
                "balanced accuracy", sel, i -> classOf[w.quality()[i]], head.labels().size(), true);
    }

    private static Scorer heartRate(HeadRunner head, Windows w) {
        if (head.kind() != HeadKind.REGRESSION) {
            return null;
        }
        int[] sel =
                select(
                        w.size(),
                        i ->
                                Float.isFinite(w.hrBpm()[i])
                                        && w.hrBpm()[i] >= 40
                                        && w.hrBpm()[i] <= 180
                                        && w.missing()[i] <= 0.5f);
        return new Scorer() {
            public String name() {
                return "MAE (bpm)";
            }

            public int[] windows() {
                return sel;
            }

            public double score(float[][] out, int[] windows) {
                double sum = 0;
                for (int i : windows) {
                    sum += Math.abs(out[i][0] - w.hrBpm()[i]);
                }
                return sum / windows.length;
            }
        };
    }

    private static Scorer classification(
            String name,
            int[] sel,
            java.util.function.IntUnaryOperator truth,
            int classes,
            boolean balanced) {
        return new Scorer() {
            public String name() {
                return name;
            }

            public int[] windows() {
                return sel;
            }

            public double score(float[][] out, int[] windows) {
                int[] right = new int[classes];
                int[] total = new int[classes];
                for (int i : windows) {
                    int t = truth.applyAsInt(i);
                    total[t]++;
                    right[t] += HeadRunner.argmax(out[i]) == t ? 1 : 0;
                }
                if (!balanced) {
                    return (double) Arrays.stream(right).sum() / windows.length;
                }
                double sum = 0;
                int present = 0;
                for (int k = 0; k < classes; k++) {
                    if (total[k] > 0) {
                        sum += (double) right[k] / total[k];
                        present++;
                    }
                }
                return sum / present;
            }
        };
    }

    /** 2.5th and 97.5th percentiles of the metric over resamples of whole devices. */
    static double[] bootstrap(Scorer scorer, float[][] outputs, int[] device) {
        Map<Integer, List<Integer>> byDevice = new java.util.TreeMap<>();
        for (int i : scorer.windows()) {
            byDevice.computeIfAbsent(device[i], k -> new ArrayList<>()).add(i);
        }
        List<List<Integer>> groups = new ArrayList<>(byDevice.values());
        SplittableRandom random = new SplittableRandom(2026);
        double[] scores = new double[RESAMPLES];
        for (int b = 0; b < RESAMPLES; b++) {
            List<Integer> pick = new ArrayList<>();
            for (int g = 0; g < groups.size(); g++) {
                pick.addAll(groups.get(random.nextInt(groups.size())));
            }
            scores[b] = scorer.score(outputs, pick.stream().mapToInt(Integer::intValue).toArray());
        }
        Arrays.sort(scores);
        return new double[] {
            scores[(int) (0.025 * (RESAMPLES - 1))], scores[(int) (0.975 * (RESAMPLES - 1))]
        };
    }

    private static int[] labelIndices(HeadRunner head, List<String> codes) {
        int[] out = new int[codes.size()];
        for (int k = 0; k < codes.size(); k++) {
            out[k] = head.labels().indexOf(codes.get(k));
            if (out[k] < 0) {
                throw new IllegalArgumentException(
                        "head "
                                + head.task()
                                + " has no label '"
                                + codes.get(k)
                                + "' (its labels: "
                                + head.labels()
                                + ")");
            }
        }
        return out;
    }

    private static int[] select(int n, java.util.function.IntPredicate keep) {
        return java.util.stream.IntStream.range(0, n).filter(keep).toArray();
    }
}
