package io.fmstream.tools.learn;

/**
 * Weighted ridge regression on standardised features, solved exactly (normal equations, Cholesky):
 * minimises (sum_i w_i (y_i - b - x_i . beta)^2) / (sum_i w_i) + lambda ||beta||^2.
 */
public final class RidgeRegression {

    private RidgeRegression() {}

    public static LinearModel fit(float[][] x, double[] y, double[] weights, double lambda) {
        int n = x.length;
        if (n == 0 || y.length != n || weights.length != n) {
            throw new IllegalArgumentException(
                    "need equal, non-zero numbers of rows, targets and weights");
        }
        Standardiser st = Standardiser.fit(x, weights);
        double[] xs = st.transform(x);
        int d = st.mean.length;
        double total = 0;
        double yMean = 0;
        for (int i = 0; i < n; i++) {
            total += weights[i];
            yMean += weights[i] * y[i];
        }
        yMean /= total;
        double[][] a = new double[d][d];
        double[] rhs = new double[d];
        for (int i = 0; i < n; i++) {
            double wi = weights[i] / total;
            int off = i * d;
            double yc = y[i] - yMean;
            for (int p = 0; p < d; p++) {
                double xp = wi * xs[off + p];
                rhs[p] += xp * yc;
                for (int q = 0; q <= p; q++) {
                    a[p][q] += xp * xs[off + q];
                }
            }
        }
        for (int p = 0; p < d; p++) {
            a[p][p] += lambda;
            for (int q = 0; q < p; q++) {
                a[q][p] = a[p][q];
            }
        }
        double[] beta = Cholesky.solve(a, rhs);
        return st.fold(new double[][] {beta}, new double[] {yMean}, false);
    }
}
