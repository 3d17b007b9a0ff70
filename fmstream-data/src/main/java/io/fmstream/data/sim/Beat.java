package io.fmstream.data.sim;

import java.util.Objects;

/**
 * Ground truth of one simulated heartbeat.
 *
 * @param rPeakSeconds time of the R peak, in seconds after the device's start time (negative for
 *     the pre-roll beats that only contribute the tail of their waves to the first samples)
 * @param precedingRrSeconds interval since the previous R peak; the beat's P and T waves adapt to
 *     it, as QT adapts to the preceding cycle in a real heart
 * @param amplitudeScale multiplier of the whole beat's morphology (beat-to-beat amplitude
 *     variation)
 * @param kind how the beat was initiated, which selects its morphology
 */
public record Beat(
        double rPeakSeconds, double precedingRrSeconds, double amplitudeScale, BeatKind kind) {

    public Beat {
        Objects.requireNonNull(kind, "kind");
    }

    /** A {@linkplain BeatKind#SINUS sinus} beat. */
    public Beat(double rPeakSeconds, double precedingRrSeconds, double amplitudeScale) {
        this(rPeakSeconds, precedingRrSeconds, amplitudeScale, BeatKind.SINUS);
    }
}
