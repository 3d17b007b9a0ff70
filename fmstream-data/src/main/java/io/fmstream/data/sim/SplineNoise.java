package io.fmstream.data.sim;

/**
 * Smooth Gaussian "value noise" in continuous time: independent standard-normal knots every {@code
 * 1 / knotHz} seconds (counter-based, so each knot is a pure function of its index), joined by a
 * uniform cubic B-spline. Its spectrum falls off above about {@code knotHz / 2}, and it is the same
 * function of time whatever the sample rate that samples it.
 *
 * <p>The B-spline's variance depends on the position between knots; averaged over time it is
 * ∫B(x)²dx = 151/315 of the knots' variance, so values are divided by √(151/315) to have unit mean
 * square. A four-entry cache avoids recomputing knots for consecutive samples; it never changes a
 * value.
 */
final class SplineNoise {

    private static final double NORMALISATION = 1.0 / Math.sqrt(151.0 / 315.0);

    private final long key;
    private final double knotHz;
    private final long[] cachedIndex = {
        Long.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE
    };
    private final double[] cachedValue = new double[4];

    SplineNoise(long key, double knotHz) {
        this.key = key;
        this.knotHz = knotHz;
    }

    /** Unit-mean-square value at {@code tSeconds}. */
    double value(double tSeconds) {
        double x = tSeconds * knotHz;
        double fk = Math.floor(x);
        long k = (long) fk;
        double u = x - fk;
        double u2 = u * u;
        double u3 = u2 * u;
        double w0 = (1 - u) * (1 - u) * (1 - u) / 6;
        double w1 = (3 * u3 - 6 * u2 + 4) / 6;
        double w2 = (-3 * u3 + 3 * u2 + 3 * u + 1) / 6;
        double w3 = u3 / 6;
        return NORMALISATION
                * (w0 * knot(k - 1) + w1 * knot(k) + w2 * knot(k + 1) + w3 * knot(k + 2));
    }

    private double knot(long k) {
        int slot = (int) (k & 3);
        if (cachedIndex[slot] != k) {
            cachedIndex[slot] = k;
            cachedValue[slot] = CounterRng.gaussian(key, k);
        }
        return cachedValue[slot];
    }
}
