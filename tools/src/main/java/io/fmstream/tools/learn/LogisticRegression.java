package io.fmstream.tools.learn;

import java.util.Objects;

/**
 * Multinomial logistic regression with an L2 penalty, fitted by L-BFGS on standardised features.
 *
 * <p>Loss = (sum_i w_i * cross-entropy_i) / (sum_i w_i) + (lambda / 2) * ||W||^2 over the
 * standardised weights (the intercepts are not penalised). Sample weights carry both the class
 * balancing and "each recording counts once however many windows it has"; dividing by their sum
 * keeps lambda's meaning independent of the training-set size, so one grid serves 20 labelled
 * recordings and 6,000.
 */
public final class LogisticRegression {

    private LogisticRegression() {}

    /**
     * Fits the model.
     *
     * @param x features [n][d]
     * @param y class index per row, in [0, classes)
     * @param weights sample weight per row (>= 0, not all 0)
     * @param lambda L2 penalty (> 0 makes the problem strictly convex)
     */
    public static LinearModel fit(
            float[][] x, int[] y, double[] weights, int classes, double lambda) {
        Objects.requireNonNull(x, "x");
        int n = x.length;
        if (n == 0 || y.length != n || weights.length != n) {
            throw new IllegalArgumentException(
                    "need equal, non-zero numbers of rows, labels and weights: "
                            + n
                            + ", "
                            + y.length
                            + ", "
                            + weights.length);
        }
        if (classes < 2) {
            throw new IllegalArgumentException("classes must be >= 2, got " + classes);
        }
        for (int label : y) {
            if (label < 0 || label >= classes) {
                throw new IllegalArgumentException(
                        "label " + label + " outside [0, " + classes + ")");
            }
        }
        Standardiser st = Standardiser.fit(x, weights);
        double[] xs = st.transform(x);
        int d = st.mean.length;
        double total = 0;
        for (double w : weights) {
            total += w;
        }
        double norm = total;
        int k = classes;
        Lbfgs.Objective objective =
                (theta, grad) -> {
                    java.util.Arrays.fill(grad, 0);
                    double loss = 0;
                    double[] z = new double[k];
                    for (int i = 0; i < n; i++) {
                        double wi = weights[i];
                        if (wi == 0) {
                            continue;
                        }
                        int off = i * d;
                        for (int c = 0; c < k; c++) {
                            double s = theta[k * d + c];
                            int wo = c * d;
                            for (int j = 0; j < d; j++) {
                                s += theta[wo + j] * xs[off + j];
                            }
                            z[c] = s;
                        }
                        double max = Double.NEGATIVE_INFINITY;
                        for (double v : z) {
                            max = Math.max(max, v);
                        }
                        double sum = 0;
                        for (int c = 0; c < k; c++) {
                            sum += Math.exp(z[c] - max);
                        }
                        double logSum = max + Math.log(sum);
                        loss += wi * (logSum - z[y[i]]);
                        for (int c = 0; c < k; c++) {
                            double r = wi * (Math.exp(z[c] - logSum) - (c == y[i] ? 1 : 0));
                            int wo = c * d;
                            for (int j = 0; j < d; j++) {
                                grad[wo + j] += r * xs[off + j];
                            }
                            grad[k * d + c] += r;
                        }
                    }
                    loss /= norm;
                    for (int p = 0; p < grad.length; p++) {
                        grad[p] /= norm;
                    }
                    double penalty = 0;
                    for (int p = 0; p < k * d; p++) {
                        penalty += theta[p] * theta[p];
                        grad[p] += lambda * theta[p];
                    }
                    return loss + 0.5 * lambda * penalty;
                };
        Lbfgs.Result result = Lbfgs.standard().minimise(objective, new double[k * d + k]);
        double[][] w = new double[k][d];
        double[] b = new double[k];
        for (int c = 0; c < k; c++) {
            System.arraycopy(result.x(), c * d, w[c], 0, d);
            b[c] = result.x()[k * d + c];
        }
        return st.fold(w, b, true);
    }
}
