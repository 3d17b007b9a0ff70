package io.fmstream.data.sim;

/**
 * The atrial signal during atrial fibrillation (f waves), after the sawtooth model of Stridh and
 * Sörnmo (2001): a fundamental with slowly frequency-modulated phase plus two decaying harmonics,
 * amplitude-modulated slowly and irregularly:
 *
 * <pre>
 *   f(t) = a(t) · [sin θ(t) + 0.35 sin(2θ(t) + ψ2) + 0.15 sin(3θ(t) + ψ3)]
 *   θ(t) = 2π f0 t + (Δf / fm) sin(2π fm t + φ)          instantaneous frequency f0 ± Δf
 *   a(t) = A · (1 + 0.3 sin(2π fa t + χ) + 0.15 n(t))    n: smooth unit noise, 1 Hz knots
 * </pre>
 *
 * Per device, from the seed: dominant atrial frequency f0 in 5-7 Hz (surface-ECG studies report
 * means of about 5-6.5 Hz), Δf 0.3-0.8 Hz at fm 0.08-0.25 Hz (so the frequency stays within 4.2-7.8
 * Hz), and A in 0.04-0.10 mV (peaks of about 0.05-0.13 mV, "fine" to "coarse" AF). A pure function
 * of time.
 */
final class FibrillatoryWaves {

    private static final long STREAM = 0xAF0A7E5L;

    private final double f0;
    private final double deltaF;
    private final double fm;
    private final double phaseFm;
    private final double psi2;
    private final double psi3;
    private final double fa;
    private final double phaseFa;
    private final double amplitudeMv;
    private final SplineNoise irregularity;

    FibrillatoryWaves(long seed) {
        long key = CounterRng.derive(seed, STREAM);
        f0 = CounterRng.uniform(key, 0, 5.0, 7.0);
        deltaF = CounterRng.uniform(key, 1, 0.3, 0.8);
        fm = CounterRng.uniform(key, 2, 0.08, 0.25);
        phaseFm = CounterRng.uniform(key, 3, 0, 2 * Math.PI);
        psi2 = CounterRng.uniform(key, 4, 0, 2 * Math.PI);
        psi3 = CounterRng.uniform(key, 5, 0, 2 * Math.PI);
        fa = CounterRng.uniform(key, 6, 0.1, 0.3);
        phaseFa = CounterRng.uniform(key, 7, 0, 2 * Math.PI);
        amplitudeMv = CounterRng.uniform(key, 8, 0.04, 0.10);
        irregularity = new SplineNoise(CounterRng.derive(key, 9), 1.0);
    }

    /** f-wave value at {@code tSeconds}, mV (before the scenario's AF weighting). */
    double valueMv(double tSeconds) {
        double theta =
                2 * Math.PI * f0 * tSeconds
                        + deltaF / fm * StrictMath.sin(2 * Math.PI * fm * tSeconds + phaseFm);
        double a =
                amplitudeMv
                        * (1
                                + 0.3 * StrictMath.sin(2 * Math.PI * fa * tSeconds + phaseFa)
                                + 0.15 * irregularity.value(tSeconds));
        return a
                * (StrictMath.sin(theta)
                        + 0.35 * StrictMath.sin(2 * theta + psi2)
                        + 0.15 * StrictMath.sin(3 * theta + psi3));
    }

    double dominantFrequencyHz() {
        return f0;
    }

    double amplitudeMv() {
        return amplitudeMv;
    }
}
