package io.fmstream.data.sim;

/**
 * The three unit-level noise processes of one device (see {@link Noise}); the device scales each by
 * the scenario's level for that type. Every value is a pure function of the sample time or index
 * and the seed (counter-based randomness, closed-form sinusoids), never of a generator advanced per
 * chunk, so chunking cannot change a sample.
 *
 * <p>Each process has unit mean square over time, so the scenario's level is its RMS:
 *
 * <ul>
 *   <li>baseline wander: √2·(√0.7·sin(breathing phase + φ) + √0.3·sin(2π f<sub>d</sub> t + ψ)), 70
 *       % of its power at the device's (wandering) breathing frequency of 0.15-0.3 Hz, as McSharry
 *       et al. (2003) couple baseline to respiration, and 30 % in a slower drift at 0.04-0.08 Hz;
 *   <li>muscle: white Gaussian noise, one independent value per sample;
 *   <li>electrode motion: one burst per {@value #EM_BLOCK_SECONDS} s block at a random place in it,
 *       0.4-1.2 s long with a sin² envelope, carrying band-limited (below about 12 Hz) Gaussian
 *       noise. Each burst is scaled so that its own energy (integrated numerically, once per block)
 *       is exactly that of a unit-RMS signal over the whole block: the realised RMS over whole
 *       blocks is then the level itself, not just its expectation. Peaks reach several times the
 *       RMS, as motion artifacts do, and the signal is zero between bursts.
 * </ul>
 */
final class NoiseModel {

    static final double EM_BLOCK_SECONDS = 2.0;
    static final double EM_MIN_BURST_SECONDS = 0.4;
    static final double EM_MAX_BURST_SECONDS = 1.2;

    /** Knot rate of the electrode-motion carrier; content up to about half of it. */
    static final double EM_KNOT_HZ = 25.0;

    private static final double BW_RESPIRATORY_SHARE = 0.7;

    private static final long STREAM_MUSCLE = 0x3A5C1EL;
    private static final long STREAM_EM_CARRIER = 0xE3C0A7L;
    private static final long STREAM_EM_BURST = 0xE3B075L;
    private static final long STREAM_BW = 0xB3A5E1L;

    private final Physiology physiology;
    private final long muscleKey;
    private final long burstKey;
    private final SplineNoise emCarrier;
    private final double bwRespiratoryPhase;
    private final double bwDriftHz;
    private final double bwDriftPhase;

    NoiseModel(long seed, Physiology physiology) {
        this.physiology = physiology;
        this.muscleKey = CounterRng.derive(seed, STREAM_MUSCLE);
        this.burstKey = CounterRng.derive(seed, STREAM_EM_BURST);
        this.emCarrier = new SplineNoise(CounterRng.derive(seed, STREAM_EM_CARRIER), EM_KNOT_HZ);
        long bw = CounterRng.derive(seed, STREAM_BW);
        this.bwRespiratoryPhase = CounterRng.uniform(bw, 0, 0, 2 * Math.PI);
        this.bwDriftHz = CounterRng.uniform(bw, 1, 0.04, 0.08);
        this.bwDriftPhase = CounterRng.uniform(bw, 2, 0, 2 * Math.PI);
    }

    /** Baseline wander at {@code tSeconds}, unit RMS. */
    double baselineWander(double tSeconds) {
        return Math.sqrt(2 * BW_RESPIRATORY_SHARE)
                        * StrictMath.sin(physiology.respirationPhase(tSeconds) + bwRespiratoryPhase)
                + Math.sqrt(2 * (1 - BW_RESPIRATORY_SHARE))
                        * StrictMath.sin(2 * Math.PI * bwDriftHz * tSeconds + bwDriftPhase);
    }

    /** Muscle noise of sample {@code n}, unit RMS. */
    double muscle(long n) {
        return CounterRng.gaussian(muscleKey, n);
    }

    /** Electrode-motion artifact at {@code tSeconds}, unit RMS over every whole block. */
    double electrodeMotion(double tSeconds) {
        long b = (long) Math.floor(tSeconds / EM_BLOCK_SECONDS);
        double window = burstWindow(b, tSeconds);
        return window == 0 ? 0.0 : blockGain(b) * window * emCarrier.value(tSeconds);
    }

    /**
     * Unscaled burst shape of block {@code b} at {@code tSeconds}: a sin² window of duration d
     * starting at a random point that keeps the whole burst inside the block (so bursts never
     * overlap and each block holds exactly one); 0 outside it.
     */
    double burstWindow(long b, double tSeconds) {
        double d = burstDuration(b);
        double x = (tSeconds - burstStart(b, d)) / d;
        if (x < 0 || x >= 1) {
            return 0.0;
        }
        double s = StrictMath.sin(Math.PI * x);
        return s * s;
    }

    private double burstDuration(long b) {
        return CounterRng.uniform(burstKey, 2 * b, EM_MIN_BURST_SECONDS, EM_MAX_BURST_SECONDS);
    }

    private double burstStart(long b, double d) {
        return b * EM_BLOCK_SECONDS
                + CounterRng.uniform(burstKey, 2 * b + 1) * (EM_BLOCK_SECONDS - d);
    }

    /** Step of the numerical energy integral: well below the carrier's ~40 ms knot spacing. */
    private static final double INTEGRATION_STEP_SECONDS = 0.002;

    private long gainBlock = Long.MIN_VALUE;
    private double gain;

    /**
     * √(B / ∫ (window · carrier)² dt) for block b: scales the burst to the energy of one unit-RMS
     * block. A function of b and the seed only (midpoint rule on a grid fixed relative to the
     * burst), cached for the block being sampled; the cache never changes a value.
     */
    double blockGain(long b) {
        if (b != gainBlock) {
            double d = burstDuration(b);
            double start = burstStart(b, d);
            int steps = (int) Math.ceil(d / INTEGRATION_STEP_SECONDS);
            double h = d / steps;
            double energy = 0;
            for (int i = 0; i < steps; i++) {
                double t = start + (i + 0.5) * h;
                double v = burstWindow(b, t) * emCarrier.value(t);
                energy += v * v * h;
            }
            gainBlock = b;
            // The expected energy is 3d/8 (the window's ∫sin⁴); a burst whose carrier happens to
            // stay near
            // zero is not blown up beyond 10x that expectation's gain into a spike (that block then
            // falls
            // short of the level; with ~20 carrier knots per burst this is vanishingly rare).
            gain = Math.sqrt(EM_BLOCK_SECONDS / Math.max(energy, 0.01 * 0.375 * d));
        }
        return gain;
    }
}
