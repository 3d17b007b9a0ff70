package io.fmstream.data.sim;

import java.util.Objects;

/**
 * What really happened on one device during the time span [startMicros, endMicros): the labels a
 * prediction for that span (a chunk, a window) is scored against. Immutable.
 *
 * @param deviceId the device
 * @param startMicros device time of the span's first sample, epoch µs
 * @param endMicros device time just after the span (the next sample's time), epoch µs
 * @param meanHeartRateBpm 60 / mean RR of the beats whose R peak lies in the span, from the beats
 *     actually generated (PVCs included); if the span holds no R peak, 60 / the RR interval around
 *     its midpoint
 * @param rhythm the rhythm in force for most of the span, per the schedule (ties: NORMAL, AF,
 *     OTHER)
 * @param rhythmFraction share of the span's time in {@code rhythm}, in (0, 1]
 * @param noiseRmsMv nominal RMS of the added noise over the span's samples, mV: the root of the
 *     mean, over samples, of the scheduled squared levels (transition ramps included). The realised
 *     noise scatters around it on short spans, because electrode motion comes in bursts and
 *     baseline wander is slow: with the default mix, its RMS is within about ±24 % (one standard
 *     deviation) of this over 1 s, ±6 % over 5 s, ±2 % over 30 s
 * @param droppedFraction share of the span's samples that never reach the backend (drop-outs)
 */
public record GroundTruthSpan(
        String deviceId,
        long startMicros,
        long endMicros,
        double meanHeartRateBpm,
        Rhythm rhythm,
        double rhythmFraction,
        double noiseRmsMv,
        double droppedFraction) {

    public GroundTruthSpan {
        Objects.requireNonNull(deviceId, "deviceId");
        Objects.requireNonNull(rhythm, "rhythm");
        if (endMicros <= startMicros) {
            throw new IllegalArgumentException(
                    "span must not be empty: [" + startMicros + ", " + endMicros + ")");
        }
        if (!(rhythmFraction > 0 && rhythmFraction <= 1)) {
            throw new IllegalArgumentException(
                    "rhythmFraction must be in (0, 1], got " + rhythmFraction);
        }
        if (!(droppedFraction >= 0 && droppedFraction <= 1)) {
            throw new IllegalArgumentException(
                    "droppedFraction must be in [0, 1], got " + droppedFraction);
        }
        if (!(noiseRmsMv >= 0) || !(meanHeartRateBpm > 0)) {
            throw new IllegalArgumentException(
                    "noiseRmsMv must be >= 0 and meanHeartRateBpm > 0, got "
                            + noiseRmsMv
                            + ", "
                            + meanHeartRateBpm);
        }
    }

    public long durationMicros() {
        return endMicros - startMicros;
    }

    /**
     * The same labels for another device and time (chunk templates re-emitted under a new
     * identity).
     */
    public GroundTruthSpan relocated(String newDeviceId, long newStartMicros, long newEndMicros) {
        return new GroundTruthSpan(
                newDeviceId,
                newStartMicros,
                newEndMicros,
                meanHeartRateBpm,
                rhythm,
                rhythmFraction,
                noiseRmsMv,
                droppedFraction);
    }

    public GroundTruthSpan withDroppedFraction(double fraction) {
        return new GroundTruthSpan(
                deviceId,
                startMicros,
                endMicros,
                meanHeartRateBpm,
                rhythm,
                rhythmFraction,
                noiseRmsMv,
                fraction);
    }
}
