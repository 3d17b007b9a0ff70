package io.fmstream.data.sim;

import java.util.Random;

/**
 * The beats of a device that follows a {@link HeartRateProfile}: sinus beats whose RR follows the
 * profile's slow variation plus seeded jitter, generated lazily and strictly in order from the
 * seed.
 *
 * <p>{@link java.util.Random} is used deliberately: its algorithm (including {@code nextGaussian})
 * is fixed by its specification, so a seed gives the same beats on every JVM and release. Not
 * thread-safe.
 */
final class BeatSequence extends BeatSource {

    /**
     * Beats start this long before the device's time zero, so the first samples contain the tails
     * of earlier beats (as a real recording would) instead of starting from a flat line.
     */
    static final double PRE_ROLL_SECONDS = 2.0;

    static final double MIN_RR = 60.0 / HeartRateProfile.MAX_BPM;
    static final double MAX_RR = 60.0 / HeartRateProfile.MIN_BPM;

    /** Beat-to-beat amplitude variation (standard deviation, fraction of the morphology). */
    static final double AMPLITUDE_JITTER = 0.03;

    /** Gaussian draws are clipped here so one unlucky draw cannot make an implausible beat. */
    static final double MAX_SIGMAS = 2.5;

    private final HeartRateProfile profile;
    private final Random random;
    private final double phase;

    BeatSequence(long seed, HeartRateProfile profile) {
        this.profile = profile;
        this.random = new Random(seed);
        // Draw order is part of the output's definition: changing it changes every device's signal.
        this.phase = random.nextDouble() * 2 * Math.PI;
        double firstRr = 60.0 / profile.bpmAt(-PRE_ROLL_SECONDS, phase);
        double first = -PRE_ROLL_SECONDS + random.nextDouble() * firstRr;
        append(first, firstRr, nextAmplitudeScale(), BeatKind.SINUS);
    }

    @Override
    protected void generateNext() {
        double last = lastRPeakSeconds();
        double rr = 60.0 / profile.bpmAt(last, phase);
        rr *= 1.0 + profile.rrJitter() * clippedGaussian(random);
        rr = Math.max(MIN_RR, Math.min(MAX_RR, rr));
        append(last + rr, rr, nextAmplitudeScale(), BeatKind.SINUS);
    }

    double phaseRadians() {
        return phase;
    }

    private double nextAmplitudeScale() {
        return 1.0 + AMPLITUDE_JITTER * clippedGaussian(random);
    }

    static double clippedGaussian(Random random) {
        return Math.max(-MAX_SIGMAS, Math.min(MAX_SIGMAS, random.nextGaussian()));
    }
}
