package io.fmstream.tools.learn;

/**
 * Limited-memory BFGS for smooth convex objectives (the penalised logistic loss here): the two-loop
 * recursion over the last {@code memory} steps and a backtracking line search on the Armijo
 * condition. Small and dependency-free on purpose; the objectives it serves are convex, so a simple
 * line search is enough (a step that fails curvature is simply not stored).
 */
final class Lbfgs {

    /** f(x) and its gradient written into {@code grad}. */
    interface Objective {
        double evaluate(double[] x, double[] grad);
    }

    /** What a run ended with. */
    record Result(double[] x, double value, int iterations, boolean converged) {}

    private final int memory;
    private final int maxIterations;
    private final double gradientTolerance;

    Lbfgs(int memory, int maxIterations, double gradientTolerance) {
        this.memory = memory;
        this.maxIterations = maxIterations;
        this.gradientTolerance = gradientTolerance;
    }

    static Lbfgs standard() {
        return new Lbfgs(10, 500, 1e-6);
    }

    Result minimise(Objective f, double[] start) {
        int n = start.length;
        double[] x = start.clone();
        double[] g = new double[n];
        double fx = f.evaluate(x, g);
        double[][] s = new double[memory][];
        double[][] y = new double[memory][];
        double[] rho = new double[memory];
        double[] alpha = new double[memory];
        int stored = 0;
        int head = 0;
        double[] d = new double[n];
        double[] xNew = new double[n];
        double[] gNew = new double[n];
        for (int iter = 0; iter < maxIterations; iter++) {
            if (norm(g) <= gradientTolerance * Math.max(1.0, norm(x))) {
                return new Result(x, fx, iter, true);
            }
            // two-loop recursion: d = -H g
            System.arraycopy(g, 0, d, 0, n);
            for (int k = 0; k < stored; k++) {
                int i = Math.floorMod(head - 1 - k, memory);
                alpha[i] = rho[i] * dot(s[i], d);
                axpy(-alpha[i], y[i], d);
            }
            double gamma = 1.0;
            if (stored > 0) {
                int last = Math.floorMod(head - 1, memory);
                gamma = dot(s[last], y[last]) / dot(y[last], y[last]);
            }
            scale(d, gamma);
            for (int k = stored - 1; k >= 0; k--) {
                int i = Math.floorMod(head - 1 - k, memory);
                double beta = rho[i] * dot(y[i], d);
                axpy(alpha[i] - beta, s[i], d);
            }
            scale(d, -1);
            double slope = dot(g, d);
            if (slope >= 0) { // not a descent direction (numerical trouble): restart from the
                // gradient
                for (int j = 0; j < n; j++) {
                    d[j] = -g[j];
                }
                slope = dot(g, d);
                stored = 0;
            }
            double step =
                    stored == 0 && iter == 0 ? Math.min(1.0, 1.0 / Math.max(norm(g), 1e-12)) : 1.0;
            double fNew = Double.NaN;
            boolean accepted = false;
            for (int ls = 0; ls < 40; ls++) {
                for (int j = 0; j < n; j++) {
                    xNew[j] = x[j] + step * d[j];
                }
                fNew = f.evaluate(xNew, gNew);
                if (Double.isFinite(fNew) && fNew <= fx + 1e-4 * step * slope) {
                    accepted = true;
                    break;
                }
                step *= 0.5;
            }
            if (!accepted) {
                return new Result(x, fx, iter, false);
            }
            double[] sk = new double[n];
            double[] yk = new double[n];
            for (int j = 0; j < n; j++) {
                sk[j] = xNew[j] - x[j];
                yk[j] = gNew[j] - g[j];
            }
            double sy = dot(sk, yk);
            if (sy > 1e-12) {
                s[head] = sk;
                y[head] = yk;
                rho[head] = 1.0 / sy;
                head = (head + 1) % memory;
                stored = Math.min(stored + 1, memory);
            }
            double change = Math.abs(fx - fNew);
            System.arraycopy(xNew, 0, x, 0, n);
            System.arraycopy(gNew, 0, g, 0, n);
            fx = fNew;
            if (change <= 1e-12 * Math.max(1.0, Math.abs(fx))) {
                return new Result(x, fx, iter + 1, true);
            }
        }
        return new Result(x, fx, maxIterations, false);
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    static double norm(double[] a) {
        return Math.sqrt(dot(a, a));
    }

    private static void axpy(double a, double[] x, double[] y) {
        for (int i = 0; i < x.length; i++) {
            y[i] += a * x[i];
        }
    }

    private static void scale(double[] x, double a) {
        for (int i = 0; i < x.length; i++) {
            x[i] *= a;
        }
    }
}
