package io.fmstream.core.sim;

import java.util.Arrays;
import java.util.Random;

/**
 * The beats of one simulated device, generated lazily and strictly in order from the device seed,
 * so beat k is the same however far ahead or in whatever steps callers ask for it.
 *
 * <p>{@link java.util.Random} is used deliberately: its algorithm (including {@code nextGaussian})
 * is fixed by its specification, so a seed gives the same beats on every JVM and release.
 * Not thread-safe.
 */
final class BeatSequence {

    /**
     * Beats start this long before the device's time zero, so the first samples contain the tails of
     * earlier beats (as a real recording would) instead of starting from a flat line.
     */
    static final double PRE_ROLL_SECONDS = 2.0;
    private static final double MIN_RR = 60.0 / HeartRateProfile.MAX_BPM;
    private static final double MAX_RR = 60.0 / HeartRateProfile.MIN_BPM;
    /** Beat-to-beat amplitude variation (standard deviation, fraction of the morphology). */
    private static final double AMPLITUDE_JITTER = 0.03;
    /** Gaussian draws are clipped here so one unlucky draw cannot make an implausible beat. */
    private static final double MAX_SIGMAS = 2.5;

    private final HeartRateProfile profile;
    private final Random random;
    private final double phase;

    private double[] rPeak = new double[64];
    private double[] precedingRr = new double[64];
    private double[] amplitudeScale = new double[64];
    private int size;

    BeatSequence(long seed, HeartRateProfile profile) {
        this.profile = profile;
        this.random = new Random(seed);
        // Draw order is part of the output's definition: changing it changes every device's signal.
        this.phase = random.nextDouble() * 2 * Math.PI;
        double firstRr = 60.0 / profile.bpmAt(-PRE_ROLL_SECONDS, phase);
        double first = -PRE_ROLL_SECONDS + random.nextDouble() * firstRr;
        append(first, firstRr, nextAmplitudeScale());
    }

    /** Generates beats until one has its R peak after {@code tSeconds}. */
    void ensureBeyond(double tSeconds) {
        while (rPeak[size - 1] <= tSeconds) {
            double last = rPeak[size - 1];
            double rr = 60.0 / profile.bpmAt(last, phase);
            rr *= 1.0 + profile.rrJitter() * clippedGaussian();
            rr = Math.max(MIN_RR, Math.min(MAX_RR, rr));
            append(last + rr, rr, nextAmplitudeScale());
        }
    }

    int size() {
        return size;
    }

    double rPeakSeconds(int k) {
        return rPeak[k];
    }

    Beat beat(int k) {
        if (k < 0 || k >= size) {
            throw new IndexOutOfBoundsException("beat " + k + " of " + size);
        }
        return new Beat(rPeak[k], precedingRr[k], amplitudeScale[k]);
    }

    /** Index of the first generated beat with its R peak at or after {@code tSeconds} ({@code size()} if none). */
    int firstAtOrAfter(double tSeconds) {
        int lo = 0;
        int hi = size;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (rPeak[mid] < tSeconds) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    double phaseRadians() {
        return phase;
    }

    private double nextAmplitudeScale() {
        return 1.0 + AMPLITUDE_JITTER * clippedGaussian();
    }

    private double clippedGaussian() {
        return Math.max(-MAX_SIGMAS, Math.min(MAX_SIGMAS, random.nextGaussian()));
    }

    private void append(double r, double rr, double amp) {
        if (size == rPeak.length) {
            int n = size * 2;
            rPeak = Arrays.copyOf(rPeak, n);
            precedingRr = Arrays.copyOf(precedingRr, n);
            amplitudeScale = Arrays.copyOf(amplitudeScale, n);
        }
        rPeak[size] = r;
        precedingRr[size] = rr;
        amplitudeScale[size] = amp;
        size++;
    }
}
