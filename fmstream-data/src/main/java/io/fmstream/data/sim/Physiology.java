package io.fmstream.data.sim;

/**
 * The per-device physiological constants of a scenario-driven device, drawn once from its seed so
 * that devices differ the way people do: breathing rate, how strongly breathing and blood-pressure
 * (Mayer) waves modulate the heart rate, how irregular its AF is, how early its PVCs come.
 *
 * <p>The heart-rate variability follows the two-peak spectrum of McSharry et al. (2003): a
 * low-frequency Mayer-wave component near 0.1 Hz and a high-frequency respiratory sinus arrhythmia
 * (RSA) component at the breathing frequency (ECGSYN defaults f1 = 0.1 Hz, f2 = 0.25 Hz, LF/HF =
 * 0.5), here as two sinusoidal modulations of the RR interval plus small white jitter rather than
 * by inverse Fourier transform, so that RR k depends only on beat k-1 and the seed.
 */
final class Physiology {

    private static final long STREAM = 0x9A75101L;

    /** Breathing frequency, 0.15-0.30 Hz (9-18 breaths per minute at rest). */
    final double respirationHz;

    private final double respirationPhase;

    /** Breathing is not metronomic: its phase wanders by up to this many radians, slowly. */
    private final double respirationWanderRad;

    private final double respirationWanderHz;
    private final double respirationWanderPhase;

    /** RSA depth: RR modulation amplitude as a fraction of RR, at rates up to 80 bpm. */
    final double rsaDepth;

    final double mayerHz;
    private final double mayerPhase;

    /**
     * Mayer-wave RR modulation amplitude; with the RSA depths about ECGSYN's LF/HF power ratio of
     * 0.5.
     */
    final double mayerDepth;

    /** Beat-to-beat white RR jitter (standard deviation, fraction of RR). */
    final double rrJitter;

    /** Coefficient of variation of RR during AF (irregularly irregular: 0.15-0.25). */
    final double afRrCv;

    /**
     * PVC coupling interval as a fraction of the sinus RR (unifocal PVCs have a nearly fixed
     * coupling).
     */
    final double pvcCoupling;

    Physiology(long seed) {
        long key = CounterRng.derive(seed, STREAM);
        respirationHz = CounterRng.uniform(key, 0, 0.15, 0.30);
        respirationPhase = CounterRng.uniform(key, 1, 0, 2 * Math.PI);
        respirationWanderRad = CounterRng.uniform(key, 2, 0.3, 0.8);
        respirationWanderHz = CounterRng.uniform(key, 3, 0.01, 0.03);
        respirationWanderPhase = CounterRng.uniform(key, 4, 0, 2 * Math.PI);
        rsaDepth = CounterRng.uniform(key, 5, 0.025, 0.045);
        mayerHz = CounterRng.uniform(key, 6, 0.08, 0.12);
        mayerPhase = CounterRng.uniform(key, 7, 0, 2 * Math.PI);
        mayerDepth = rsaDepth * CounterRng.uniform(key, 8, 0.6, 0.8);
        rrJitter = CounterRng.uniform(key, 9, 0.008, 0.015);
        afRrCv = CounterRng.uniform(key, 10, 0.15, 0.25);
        pvcCoupling = CounterRng.uniform(key, 11, 0.55, 0.70);
    }

    /**
     * Breathing phase at {@code tSeconds} (radians); drives both RSA and the respiratory baseline
     * wander.
     */
    double respirationPhase(double tSeconds) {
        return 2 * Math.PI * respirationHz * tSeconds
                + respirationPhase
                + respirationWanderRad
                        * StrictMath.sin(
                                2 * Math.PI * respirationWanderHz * tSeconds
                                        + respirationWanderPhase);
    }

    /**
     * Relative RR modulation (RSA + Mayer wave) at {@code tSeconds} for a heart beating at {@code
     * bpm}: RR = mean RR × (1 + this). RSA weakens as the rate rises (vagal withdrawal), here as 80
     * / bpm above 80 bpm.
     */
    double rrModulation(double tSeconds, double bpm) {
        double rsa = rsaDepth * Math.min(1.0, 80.0 / bpm);
        return rsa * StrictMath.sin(respirationPhase(tSeconds))
                + mayerDepth * StrictMath.sin(2 * Math.PI * mayerHz * tSeconds + mayerPhase);
    }
}
