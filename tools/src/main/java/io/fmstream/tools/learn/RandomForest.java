package io.fmstream.tools.learn;

import java.util.Arrays;
import java.util.Random;

/**
 * A random forest classifier (Breiman 2001) with the usual defaults, not tuned: bootstrap samples,
 * sqrt(features) candidates per split, weighted Gini impurity, trees grown until leaves are pure or
 * hold one sample; probability = mean of the leaves' weighted class distributions. It is the
 * strongest thing a user of hand-made features would likely pick, so the evaluation reports it.
 * Missing feature values must be imputed by the caller.
 */
public final class RandomForest {

    private final Node[] trees;
    private final int classes;

    private RandomForest(Node[] trees, int classes) {
        this.trees = trees;
        this.classes = classes;
    }

    private static final class Node {
        int feature = -1;
        double threshold;
        Node left;
        Node right;
        double[] distribution;
    }

    public static RandomForest fit(
            double[][] x, int[] y, double[] weights, int classes, int treeCount, long seed) {
        int n = x.length;
        int d = x[0].length;
        int mtry = Math.max(1, (int) Math.round(Math.sqrt(d)));
        Random rng = new Random(seed);
        Node[] trees = new Node[treeCount];
        for (int t = 0; t < treeCount; t++) {
            int[] sample = new int[n];
            for (int i = 0; i < n; i++) {
                sample[i] = rng.nextInt(n);
            }
            trees[t] = grow(x, y, weights, classes, sample, mtry, new Random(rng.nextLong()));
        }
        return new RandomForest(trees, classes);
    }

    private static Node grow(
            double[][] x, int[] y, double[] w, int classes, int[] idx, int mtry, Random rng) {
        Node node = new Node();
        double[] dist = new double[classes];
        double total = 0;
        for (int i : idx) {
            dist[y[i]] += w[i];
            total += w[i];
        }
        int nonZero = 0;
        for (double v : dist) {
            if (v > 0) {
                nonZero++;
            }
        }
        if (idx.length < 2 || nonZero <= 1 || total <= 0) {
            node.distribution = normalise(dist, total);
            return node;
        }
        int d = x[0].length;
        int[] features = new int[d];
        for (int j = 0; j < d; j++) {
            features[j] = j;
        }
        double parentGini = gini(dist, total);
        double bestGain = 1e-12;
        int bestFeature = -1;
        double bestThreshold = 0;
        Integer[] order = new Integer[idx.length];
        for (int k = 0; k < mtry; k++) {
            int pick = k + rng.nextInt(d - k);
            int f = features[pick];
            features[pick] = features[k];
            features[k] = f;
            for (int i = 0; i < idx.length; i++) {
                order[i] = idx[i];
            }
            Arrays.sort(order, (a, b) -> Double.compare(x[a][f], x[b][f]));
            double[] left = new double[classes];
            double leftTotal = 0;
            for (int i = 0; i < order.length - 1; i++) {
                int s = order[i];
                left[y[s]] += w[s];
                leftTotal += w[s];
                double here = x[s][f];
                double next = x[order[i + 1]][f];
                if (next <= here) {
                    continue;
                }
                double rightTotal = total - leftTotal;
                double[] right = new double[classes];
                for (int c = 0; c < classes; c++) {
                    right[c] = dist[c] - left[c];
                }
                double gain =
                        parentGini
                                - (leftTotal / total) * gini(left, leftTotal)
                                - (rightTotal / total) * gini(right, rightTotal);
                if (gain > bestGain) {
                    bestGain = gain;
                    bestFeature = f;
                    bestThreshold = 0.5 * (here + next);
                }
            }
        }
        if (bestFeature < 0) {
            node.distribution = normalise(dist, total);
            return node;
        }
        int f = bestFeature;
        double thr = bestThreshold;
        int[] l = Arrays.stream(idx).filter(i -> x[i][f] <= thr).toArray();
        int[] r = Arrays.stream(idx).filter(i -> x[i][f] > thr).toArray();
        node.feature = f;
        node.threshold = thr;
        node.left = grow(x, y, w, classes, l, mtry, rng);
        node.right = grow(x, y, w, classes, r, mtry, rng);
        return node;
    }

    private static double gini(double[] dist, double total) {
        if (total <= 0) {
            return 0;
        }
        double s = 1;
        for (double v : dist) {
            double p = v / total;
            s -= p * p;
        }
        return s;
    }

    private static double[] normalise(double[] dist, double total) {
        double[] p = new double[dist.length];
        for (int c = 0; c < dist.length; c++) {
            p[c] = total > 0 ? dist[c] / total : 1.0 / dist.length;
        }
        return p;
    }

    /** Mean class distribution of the leaves that {@code x} reaches. */
    public double[] predict(double[] x) {
        double[] p = new double[classes];
        for (Node t : trees) {
            Node n = t;
            while (n.feature >= 0) {
                n = x[n.feature] <= n.threshold ? n.left : n.right;
            }
            for (int c = 0; c < classes; c++) {
                p[c] += n.distribution[c];
            }
        }
        for (int c = 0; c < classes; c++) {
            p[c] /= trees.length;
        }
        return p;
    }
}
