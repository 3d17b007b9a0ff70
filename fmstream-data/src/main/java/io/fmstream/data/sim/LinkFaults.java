package io.fmstream.data.sim;

/**
 * How a device's link and firmware misbehave, beyond its scenario's drop-outs and offline periods:
 * random loss of single chunks, a reboot (the stream index restarts at 0) and a clock jump (every
 * later timestamp off by a fixed amount). Deterministic: the same faults give the same chunks.
 *
 * @param lossFraction probability that any one chunk is lost, independently per chunk
 * @param rebootAtChunk the first chunk sent after the reboot, or -1 for none
 * @param clockJumpAtChunk the first chunk with the jumped clock, or -1 for none
 * @param clockJumpMicros the clock's offset from then on (positive: ahead)
 * @param key random stream of the losses
 */
public record LinkFaults(
        double lossFraction,
        long rebootAtChunk,
        long clockJumpAtChunk,
        long clockJumpMicros,
        long key) {

    public static final LinkFaults NONE = new LinkFaults(0, -1, -1, 0, 0);

    private static final long STREAM_FAULTS = 0x4C494E4BL; // "LINK"

    public LinkFaults {
        if (!(lossFraction >= 0 && lossFraction < 1)) {
            throw new IllegalArgumentException(
                    "loss fraction must be in [0, 1), got " + lossFraction);
        }
    }

    /** Whether chunk {@code k} is lost on the link. */
    public boolean lost(long k) {
        return lossFraction > 0 && CounterRng.uniform(key, k) < lossFraction;
    }

    /**
     * Faults of one device of a fleet: every device loses {@code lossFraction} of its chunks; a
     * {@code misbehavingFraction} of devices also reboot once and jump their clock once (by 1.5 to
     * 5 s, forward or backward), at random chunks between 60 s and the end of {@code chunks}.
     */
    public static LinkFaults draw(
            long seed,
            double lossFraction,
            double misbehavingFraction,
            long chunks,
            double chunkSeconds) {
        long key = CounterRng.derive(seed, STREAM_FAULTS);
        if (CounterRng.uniform(key, -1) >= misbehavingFraction) {
            return new LinkFaults(lossFraction, -1, -1, 0, key);
        }
        long from = (long) Math.ceil(60 / chunkSeconds);
        if (chunks <= from + 2) {
            return new LinkFaults(lossFraction, -1, -1, 0, key);
        }
        long reboot = from + (long) (CounterRng.uniform(key, -2) * (chunks - from));
        long jump = from + (long) (CounterRng.uniform(key, -3) * (chunks - from));
        double seconds = CounterRng.uniform(key, -4, 1.5, 5.0);
        long micros = Math.round((CounterRng.uniform(key, -5) < 0.5 ? -seconds : seconds) * 1e6);
        return new LinkFaults(lossFraction, reboot, jump, micros, key);
    }

    /** The stream index chunk {@code k} is sent with, given its true index. */
    long sentIndex(long k, long trueIndex, int samplesPerChunk) {
        return rebootAtChunk >= 0 && k >= rebootAtChunk
                ? trueIndex - rebootAtChunk * samplesPerChunk
                : trueIndex;
    }

    /** The clock offset of chunk {@code k}. */
    long clockOffsetMicros(long k) {
        return clockJumpAtChunk >= 0 && k >= clockJumpAtChunk ? clockJumpMicros : 0;
    }
}
