package io.fmstream.tools.eval;

import io.fmstream.core.recording.RecordingAggregator;
import io.fmstream.tools.learn.LinearModel;
import io.fmstream.tools.learn.LogisticRegression;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Fits a classifier on labelled recordings and predicts recording-level class probabilities. Two
 * shapes: a per-window linear head (the deployable kind: one head output per window, aggregated by
 * {@link RecordingAggregator}) and a per-recording linear model on recording features (the
 * classical baseline). Both choose their L2 penalty by an inner, stratified, recording-level
 * cross-validation on the labelled recordings alone (nested CV), scored by the class-balanced
 * recording-level log loss, and weight classes inversely to their frequency.
 */
abstract class RecordClassifier {

    static final double[] LAMBDAS = {1e-3, 1e-2, 1e-1, 1.0};

    final int classes;

    RecordClassifier(int classes) {
        this.classes = classes;
    }

    /**
     * Recording-level probabilities of {@code test}, fitted on {@code train} (recording indices).
     */
    double[][] fitPredict(int[] train, int[] labels, int[] test, long seed) {
        double lambda = chooseLambda(train, labels, seed);
        return predict(fit(train, labels, lambda), test);
    }

    abstract Object fit(int[] train, int[] labels, double lambda);

    abstract double[][] predict(Object model, int[] records);

    double chooseLambda(int[] train, int[] labels, long seed) {
        int[] perClass = new int[classes];
        for (int r : train) {
            perClass[labels[r]]++;
        }
        int minClass = Arrays.stream(perClass).filter(c -> c > 0).min().orElse(0);
        int folds = Math.min(train.length > 1000 ? 3 : 5, minClass);
        if (folds < 2) {
            return LAMBDAS[LAMBDAS.length - 1];
        }
        int[] fold = stratifiedFolds(train, labels, folds, new Random(seed));
        double[] classWeight = balancedWeights(train, labels, classes);
        double best = Double.POSITIVE_INFINITY;
        double bestLambda = LAMBDAS[0];
        for (double lambda : LAMBDAS) {
            double loss = 0;
            double weight = 0;
            for (int k = 0; k < folds; k++) {
                int[] tr = select(train, fold, k, false);
                int[] va = select(train, fold, k, true);
                double[][] p = predict(fit(tr, labels, lambda), va);
                for (int i = 0; i < va.length; i++) {
                    double w = classWeight[labels[va[i]]];
                    loss += -w * Math.log(Math.max(p[i][labels[va[i]]], 1e-12));
                    weight += w;
                }
            }
            loss /= weight;
            if (loss < best) {
                best = loss;
                bestLambda = lambda;
            }
        }
        return bestLambda;
    }

    static int[] select(int[] items, int[] fold, int k, boolean inFold) {
        int count = 0;
        for (int f : fold) {
            if ((f == k) == inFold) {
                count++;
            }
        }
        int[] out = new int[count];
        int j = 0;
        for (int i = 0; i < items.length; i++) {
            if ((fold[i] == k) == inFold) {
                out[j++] = items[i];
            }
        }
        return out;
    }

    /** Fold index per item, stratified by label: each class shuffled, then dealt round-robin. */
    static int[] stratifiedFolds(int[] items, int[] labels, int folds, Random rng) {
        int[] fold = new int[items.length];
        int maxLabel = 0;
        for (int r : items) {
            maxLabel = Math.max(maxLabel, labels[r]);
        }
        int offset = 0;
        for (int c = 0; c <= maxLabel; c++) {
            List<Integer> members = new ArrayList<>();
            for (int i = 0; i < items.length; i++) {
                if (labels[items[i]] == c) {
                    members.add(i);
                }
            }
            java.util.Collections.shuffle(members, rng);
            for (int j = 0; j < members.size(); j++) {
                fold[members.get(j)] = (offset + j) % folds;
            }
            offset += members.size(); // continue dealing where the last class stopped: even fold
            // sizes
        }
        return fold;
    }

    /** n / (classes * count_c) per class present in {@code records}; 0 for absent classes. */
    static double[] balancedWeights(int[] records, int[] labels, int classes) {
        double[] counts = new double[classes];
        for (int r : records) {
            counts[labels[r]]++;
        }
        int present = 0;
        for (double c : counts) {
            if (c > 0) {
                present++;
            }
        }
        double[] w = new double[classes];
        for (int c = 0; c < classes; c++) {
            w[c] = counts[c] > 0 ? records.length / (present * counts[c]) : 0;
        }
        return w;
    }

    /**
     * Per-window linear head on embeddings, recording = {@link RecordingAggregator} over its
     * windows.
     */
    static final class WindowHead extends RecordClassifier {
        private final LabelledWindows data;
        private final EncoderEmbeddings.Matrix embeddings;

        WindowHead(LabelledWindows data, EncoderEmbeddings.Matrix embeddings, int classes) {
            super(classes);
            this.data = data;
            this.embeddings = embeddings;
        }

        @Override
        LinearModel fit(int[] train, int[] labels, double lambda) {
            double[] cw = balancedWeights(train, labels, classes);
            LabelledWindows.WindowRows rows = data.windowRows(train, embeddings);
            float[][] x = rows.x();
            int[] y = new int[x.length];
            double[] w = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                y[i] = labels[rows.record()[i]];
                w[i] =
                        cw[y[i]]
                                / data.recordWindows[rows.record()[i]]
                                        .length; // each recording counts once
            }
            return LogisticRegression.fit(x, y, w, classes, lambda);
        }

        @Override
        double[][] predict(Object model, int[] records) {
            LinearModel m = (LinearModel) model;
            double[][] out = new double[records.length][];
            for (int k = 0; k < records.length; k++) {
                int[] ws = data.recordWindows[records[k]];
                List<float[]> probs = new ArrayList<>(ws.length);
                for (int win : ws) {
                    double[] p = m.apply(embeddings.row(win));
                    float[] f = new float[p.length];
                    for (int c = 0; c < p.length; c++) {
                        f[c] = (float) p[c];
                    }
                    probs.add(f);
                }
                out[k] =
                        RecordingAggregator.classify(probs, classes)
                                .map(RecordingAggregator.Classification::probabilities)
                                .orElseGet(() -> uniform(classes));
            }
            return out;
        }
    }

    /** Linear model on one feature row per recording; undefined features take the training mean. */
    static final class RecordFeatures extends RecordClassifier {
        private final double[][] features;

        RecordFeatures(double[][] features, int classes) {
            super(classes);
            this.features = features;
        }

        private record Fitted(LinearModel model, double[] fill) {}

        static double[] trainingMeans(double[][] features, int[] train) {
            int d = features[0].length;
            double[] fill = new double[d];
            for (int j = 0; j < d; j++) {
                double s = 0;
                int n = 0;
                for (int r : train) {
                    if (Double.isFinite(features[r][j])) {
                        s += features[r][j];
                        n++;
                    }
                }
                fill[j] = n > 0 ? s / n : 0;
            }
            return fill;
        }

        static double[] imputed(double[] row, double[] fill) {
            double[] x = new double[fill.length];
            for (int j = 0; j < fill.length; j++) {
                x[j] = Double.isFinite(row[j]) ? row[j] : fill[j];
            }
            return x;
        }

        @Override
        Fitted fit(int[] train, int[] labels, double lambda) {
            double[] fill = trainingMeans(features, train);
            double[] cw = balancedWeights(train, labels, classes);
            float[][] x = new float[train.length][];
            int[] y = new int[train.length];
            double[] w = new double[train.length];
            for (int i = 0; i < train.length; i++) {
                x[i] = row(train[i], fill);
                y[i] = labels[train[i]];
                w[i] = cw[y[i]];
            }
            return new Fitted(LogisticRegression.fit(x, y, w, classes, lambda), fill);
        }

        private float[] row(int r, double[] fill) {
            float[] x = new float[fill.length];
            for (int j = 0; j < fill.length; j++) {
                double v = features[r][j];
                x[j] = (float) (Double.isFinite(v) ? v : fill[j]);
            }
            return x;
        }

        @Override
        double[][] predict(Object model, int[] records) {
            Fitted f = (Fitted) model;
            double[][] out = new double[records.length][];
            for (int k = 0; k < records.length; k++) {
                out[k] = f.model().apply(row(records[k], f.fill()));
            }
            return out;
        }
    }

    /**
     * Random forest on the recording features (fixed defaults, nothing tuned); missing values take
     * the training mean.
     */
    static final class RecordForest extends RecordClassifier {
        private final double[][] features;
        private final int trees;

        RecordForest(double[][] features, int classes, int trees) {
            super(classes);
            this.features = features;
            this.trees = trees;
        }

        private record Fitted(io.fmstream.tools.learn.RandomForest forest, double[] fill) {}

        /** Nothing to choose by inner CV: the forest keeps its defaults. */
        @Override
        double[][] fitPredict(int[] train, int[] labels, int[] test, long seed) {
            return predict(fitWithSeed(train, labels, seed), test);
        }

        @Override
        Fitted fit(int[] train, int[] labels, double lambda) {
            return fitWithSeed(train, labels, 1);
        }

        private Fitted fitWithSeed(int[] train, int[] labels, long seed) {
            double[] fill = RecordFeatures.trainingMeans(features, train);
            double[] cw = balancedWeights(train, labels, classes);
            double[][] x = new double[train.length][];
            int[] y = new int[train.length];
            double[] w = new double[train.length];
            for (int i = 0; i < train.length; i++) {
                x[i] = RecordFeatures.imputed(features[train[i]], fill);
                y[i] = labels[train[i]];
                w[i] = cw[y[i]];
            }
            return new Fitted(
                    io.fmstream.tools.learn.RandomForest.fit(x, y, w, classes, trees, seed), fill);
        }

        @Override
        double[][] predict(Object model, int[] records) {
            Fitted f = (Fitted) model;
            double[][] out = new double[records.length][];
            for (int k = 0; k < records.length; k++) {
                out[k] = f.forest().predict(RecordFeatures.imputed(features[records[k]], f.fill()));
            }
            return out;
        }
    }

    static double[] uniform(int classes) {
        double[] p = new double[classes];
        Arrays.fill(p, 1.0 / classes);
        return p;
    }
}
