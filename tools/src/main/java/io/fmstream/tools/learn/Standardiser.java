package io.fmstream.tools.learn;

/**
 * Weighted per-feature mean and standard deviation of a training set, and the standardised copy the
 * fitters optimise on. Constant features get a unit scale (their weight then stays 0 under the L2
 * penalty), so a dead embedding dimension cannot blow up a fit.
 */
final class Standardiser {

    final double[] mean;
    final double[] scale;

    private Standardiser(double[] mean, double[] scale) {
        this.mean = mean;
        this.scale = scale;
    }

    static Standardiser fit(float[][] x, double[] w) {
        int d = x[0].length;
        double[] mean = new double[d];
        double[] var = new double[d];
        double total = 0;
        for (int i = 0; i < x.length; i++) {
            total += w[i];
            for (int j = 0; j < d; j++) {
                mean[j] += w[i] * x[i][j];
            }
        }
        for (int j = 0; j < d; j++) {
            mean[j] /= total;
        }
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < d; j++) {
                double c = x[i][j] - mean[j];
                var[j] += w[i] * c * c;
            }
        }
        double[] scale = new double[d];
        for (int j = 0; j < d; j++) {
            double sd = Math.sqrt(var[j] / total);
            scale[j] = sd > 1e-9 ? sd : 1.0;
        }
        return new Standardiser(mean, scale);
    }

    /** Row-major standardised copy [n * d]. */
    double[] transform(float[][] x) {
        int d = mean.length;
        double[] out = new double[x.length * d];
        for (int i = 0; i < x.length; i++) {
            if (x[i].length != d) {
                throw new IllegalArgumentException(
                        "row " + i + " has " + x[i].length + " features, expected " + d);
            }
            for (int j = 0; j < d; j++) {
                out[i * d + j] = (x[i][j] - mean[j]) / scale[j];
            }
        }
        return out;
    }

    /** Folds standardisation into (W, b) fitted on standardised features. */
    LinearModel fold(double[][] wStd, double[] bStd, boolean softmax) {
        int k = wStd.length;
        int d = mean.length;
        double[][] w = new double[k][d];
        double[] b = new double[k];
        for (int c = 0; c < k; c++) {
            double shift = 0;
            for (int j = 0; j < d; j++) {
                w[c][j] = wStd[c][j] / scale[j];
                shift += w[c][j] * mean[j];
            }
            b[c] = bStd[c] - shift;
        }
        return new LinearModel(w, b, softmax);
    }
}
