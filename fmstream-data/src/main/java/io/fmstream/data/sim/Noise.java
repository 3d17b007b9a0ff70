package io.fmstream.data.sim;

/**
 * Additive noise level of a scenario segment, per noise type, as RMS in mV. The three types are
 * those of the MIT-BIH Noise Stress Test Database (Moody, Muldrow and Mark 1984), recorded on
 * active volunteers with electrodes placed where the ECG is not visible:
 *
 * <ul>
 *   <li>baseline wander ("bw"): slow drift, here mostly at the respiratory frequency (0.15-0.3 Hz,
 *       as McSharry et al. 2003 couple it to respiration) plus a slower component;
 *   <li>muscle artifact ("ma", EMG): broadband, here white Gaussian noise at the device's sample
 *       rate;
 *   <li>electrode motion ("em"): transient bursts with energy in the ECG band, the type that
 *       troubles QRS detectors most because it can mimic ectopic beats.
 * </ul>
 *
 * The types are generated independently, so the total RMS is the root of the summed squares.
 *
 * @param baselineWanderMv RMS of the baseline wander, mV, {@code >= 0}
 * @param muscleMv RMS of the muscle (EMG) noise, mV, {@code >= 0}
 * @param electrodeMotionMv long-run RMS of the electrode-motion bursts, mV, {@code >= 0}
 */
public record Noise(double baselineWanderMv, double muscleMv, double electrodeMotionMv) {

    /** No noise at all. */
    public static final Noise NONE = new Noise(0, 0, 0);

    /**
     * Largest accepted level per type: an order of magnitude above the heaviest NSTDB test records.
     */
    public static final double MAX_MV = 5.0;

    public Noise {
        check("baselineWanderMv", baselineWanderMv);
        check("muscleMv", muscleMv);
        check("electrodeMotionMv", electrodeMotionMv);
    }

    private static void check(String name, double v) {
        if (!(v >= 0 && v <= MAX_MV)) {
            throw new IllegalArgumentException(
                    name + " must be in [0, " + MAX_MV + "] mV, got " + v);
        }
    }

    /**
     * A total RMS level with a typical ambulatory mix: half of the noise power baseline wander, 30
     * % muscle, 20 % electrode motion.
     */
    public static Noise of(double totalRmsMv) {
        return of(totalRmsMv, 0.5, 0.3, 0.2);
    }

    /**
     * A total RMS level split by power shares (normalised, so they need not sum to 1).
     *
     * @throws IllegalArgumentException for a negative share or all-zero shares with a non-zero
     *     level
     */
    public static Noise of(double totalRmsMv, double bwShare, double maShare, double emShare) {
        if (!(totalRmsMv >= 0) || !(bwShare >= 0) || !(maShare >= 0) || !(emShare >= 0)) {
            throw new IllegalArgumentException(
                    "level and shares must be >= 0, got "
                            + totalRmsMv
                            + ", "
                            + bwShare
                            + ", "
                            + maShare
                            + ", "
                            + emShare);
        }
        double sum = bwShare + maShare + emShare;
        if (totalRmsMv == 0) {
            return NONE;
        }
        if (!(sum > 0)) {
            throw new IllegalArgumentException("at least one share must be > 0");
        }
        double p = totalRmsMv * totalRmsMv / sum;
        return new Noise(Math.sqrt(p * bwShare), Math.sqrt(p * maShare), Math.sqrt(p * emShare));
    }

    /** Total RMS of the three independent types, mV. */
    public double rmsMv() {
        return Math.sqrt(
                baselineWanderMv * baselineWanderMv
                        + muscleMv * muscleMv
                        + electrodeMotionMv * electrodeMotionMv);
    }
}
