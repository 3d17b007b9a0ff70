package io.fmstream.tools.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * CinC 2017 has no patient identifiers, so the same person (or the same recording uploaded twice)
 * may sit in two folds and flatter cross-validation. This check finds what it can: recordings whose
 * windows are bit-identical, and pairs whose mean embeddings are nearly parallel (cosine >= {@link
 * #COSINE}) AND whose raw windows match (best lag-0 correlation of z-scored windows >= {@link
 * #CORRELATION}), across folds. It cannot find two different recordings of one patient, which is
 * the limit the report states.
 */
final class NearDuplicates {

    static final double COSINE = 0.995;
    static final double CORRELATION = 0.95;

    record Result(int exactPairs, int candidatePairs, int confirmedPairs, List<String> examples) {}

    private NearDuplicates() {}

    static Result find(LabelledWindows data, EncoderEmbeddings.Matrix emb, int[] fold) {
        int n = data.records();
        int dim = emb.dim();
        // exact: identical window content
        Map<Integer, List<Integer>> byHash = new HashMap<>();
        for (int r = 0; r < n; r++) {
            int h = 1;
            for (int w : data.recordWindows[r]) {
                h =
                        31 * h
                                + Arrays.hashCode(
                                        Arrays.copyOfRange(
                                                data.windows,
                                                w * data.windowLength,
                                                (w + 1) * data.windowLength));
            }
            byHash.computeIfAbsent(h, k -> new ArrayList<>()).add(r);
        }
        int exact = 0;
        List<String> examples = new ArrayList<>();
        for (List<Integer> group : byHash.values()) {
            for (int i = 0; i < group.size(); i++) {
                for (int j = i + 1; j < group.size(); j++) {
                    int a = group.get(i);
                    int b = group.get(j);
                    if (fold[a] != fold[b] && sameWindows(data, a, b)) {
                        exact++;
                        if (examples.size() < 10) {
                            examples.add(
                                    data.recordNames[a]
                                            + " = "
                                            + data.recordNames[b]
                                            + " (identical)");
                        }
                    }
                }
            }
        }
        // near: mean embeddings nearly parallel, then a raw-signal confirmation
        float[][] mean = new float[n][dim];
        for (int r = 0; r < n; r++) {
            for (int w : data.recordWindows[r]) {
                for (int j = 0; j < dim; j++) {
                    mean[r][j] += emb.values()[w * dim + j];
                }
            }
            double norm = 0;
            for (float v : mean[r]) {
                norm += v * v;
            }
            norm = Math.sqrt(norm);
            for (int j = 0; j < dim; j++) {
                mean[r][j] /= (float) Math.max(norm, 1e-12);
            }
        }
        int candidates = 0;
        int confirmed = 0;
        for (int a = 0; a < n; a++) {
            for (int b = a + 1; b < n; b++) {
                if (fold[a] == fold[b]) {
                    continue;
                }
                double dot = 0;
                float[] x = mean[a];
                float[] y = mean[b];
                for (int j = 0; j < dim; j++) {
                    dot += x[j] * y[j];
                }
                if (dot < COSINE) {
                    continue;
                }
                candidates++;
                double corr = bestWindowCorrelation(data, a, b);
                if (corr >= CORRELATION) {
                    confirmed++;
                    if (examples.size() < 10) {
                        examples.add(
                                String.format(
                                        java.util.Locale.ROOT,
                                        "%s ~ %s (cosine %.4f, window correlation %.3f)",
                                        data.recordNames[a],
                                        data.recordNames[b],
                                        dot,
                                        corr));
                    }
                }
            }
        }
        return new Result(exact, candidates, confirmed, examples);
    }

    private static boolean sameWindows(LabelledWindows d, int a, int b) {
        int[] wa = d.recordWindows[a];
        int[] wb = d.recordWindows[b];
        if (wa.length != wb.length) {
            return false;
        }
        for (int i = 0; i < wa.length; i++) {
            if (!Arrays.equals(
                    d.windows,
                    wa[i] * d.windowLength,
                    (wa[i] + 1) * d.windowLength,
                    d.windows,
                    wb[i] * d.windowLength,
                    (wb[i] + 1) * d.windowLength)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Largest lag-0 correlation between any window of a and any window of b (windows are z-scored).
     */
    private static double bestWindowCorrelation(LabelledWindows d, int a, int b) {
        int len = d.windowLength;
        double best = -1;
        for (int wa : d.recordWindows[a]) {
            for (int wb : d.recordWindows[b]) {
                double s = 0;
                for (int i = 0; i < len; i++) {
                    s += d.windows[wa * len + i] * d.windows[wb * len + i];
                }
                best = Math.max(best, s / len);
            }
        }
        return best;
    }
}
