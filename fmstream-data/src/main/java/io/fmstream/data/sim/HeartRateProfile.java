package io.fmstream.data.sim;

/**
 * The heart-rate course a simulated device follows: a mean rate, a slow sinusoidal variation around
 * it, and seeded beat-to-beat (RR) jitter.
 *
 * <p>The instantaneous rate is kept within [{@value #MIN_BPM}, {@value #MAX_BPM}] bpm, the range
 * the downstream heart-rate code is specified for. Richer rhythms (respiratory sinus arrhythmia,
 * atrial fibrillation, ectopic beats) and noise come with a {@link Scenario} instead.
 *
 * @param meanBpm mean heart rate, in [40, 180]
 * @param variationBpm amplitude of the slow sinusoidal variation, {@code >= 0}
 * @param variationPeriodSeconds period of that variation, {@code > 0}
 * @param rrJitter standard deviation of the beat-to-beat RR change as a fraction of the RR
 *     interval, in [0, 0.2]
 */
public record HeartRateProfile(
        double meanBpm, double variationBpm, double variationPeriodSeconds, double rrJitter) {

    public static final double MIN_BPM = 40.0;
    public static final double MAX_BPM = 180.0;

    public HeartRateProfile {
        if (!(meanBpm >= MIN_BPM && meanBpm <= MAX_BPM)) {
            throw new IllegalArgumentException(
                    "meanBpm must be in [" + MIN_BPM + ", " + MAX_BPM + "], got " + meanBpm);
        }
        if (!(variationBpm >= 0) || Double.isInfinite(variationBpm)) {
            throw new IllegalArgumentException(
                    "variationBpm must be finite and >= 0, got " + variationBpm);
        }
        if (!(variationPeriodSeconds > 0) || Double.isInfinite(variationPeriodSeconds)) {
            throw new IllegalArgumentException(
                    "variationPeriodSeconds must be finite and > 0, got " + variationPeriodSeconds);
        }
        if (!(rrJitter >= 0 && rrJitter <= 0.2)) {
            throw new IllegalArgumentException("rrJitter must be in [0, 0.2], got " + rrJitter);
        }
    }

    /** A perfectly regular rhythm: useful when a test needs exact beat spacing. */
    public static HeartRateProfile constant(double bpm) {
        return new HeartRateProfile(bpm, 0.0, 60.0, 0.0);
    }

    /**
     * A plausible resting rhythm around {@code meanBpm}: ±4 bpm over 30 s and 2 % RR jitter (an RR
     * standard deviation of about 17 ms at 70 bpm, within normal short-term variability).
     */
    public static HeartRateProfile resting(double meanBpm) {
        return new HeartRateProfile(meanBpm, 4.0, 30.0, 0.02);
    }

    /**
     * Target rate (without jitter) at {@code tSeconds} after the device start.
     *
     * @param phaseRadians the device's seeded phase of the slow variation, so that devices differ
     */
    public double bpmAt(double tSeconds, double phaseRadians) {
        double bpm =
                meanBpm
                        + variationBpm
                                * StrictMath.sin(
                                        2 * Math.PI * tSeconds / variationPeriodSeconds
                                                + phaseRadians);
        return clampBpm(bpm);
    }

    static double clampBpm(double bpm) {
        return Math.max(MIN_BPM, Math.min(MAX_BPM, bpm));
    }
}
