package io.fmstream.data.sim;

/**
 * How a device's link and firmware misbehave, beyond its scenario's drop-outs and offline periods:
 * random loss of single chunks, a reboot (the stream index restarts at 0), a clock jump (every
 * later timestamp off by a fixed amount) and a drifting sample clock (timestamps running away from
 * the sample count, as on real devices). Deterministic: the same faults give the same chunks.
 *
 * @param lossFraction probability that any one chunk is lost, independently per chunk
 * @param rebootAtChunk the first chunk sent after the reboot, or -1 for none
 * @param clockJumpAtChunk the first chunk with the jumped clock, or -1 for none
 * @param clockJumpMicros the clock's offset from then on (positive: ahead)
 * @param key random stream of the losses
 * @param clockDriftPpm how fast the device's sample clock runs against the synchronised clock that
 *     stamps its chunks, parts per million (positive: fast, so its samples are stamped earlier than
 *     their count implies); real crystals are off by tens of ppm
 */
public record LinkFaults(
        double lossFraction,
        long rebootAtChunk,
        long clockJumpAtChunk,
        long clockJumpMicros,
        long key,
        double clockDriftPpm) {

    public static final LinkFaults NONE = new LinkFaults(0, -1, -1, 0, 0);

    /**
     * The largest drift simulated: an RC oscillator's 1 %, beyond any crystal's tens of ppm; the
     * job follows it at 250 Hz in chunks of up to about 3 s.
     */
    public static final double MAX_DRIFT_PPM = 10_000;

    /** Without clock drift. */
    public LinkFaults(
            double lossFraction,
            long rebootAtChunk,
            long clockJumpAtChunk,
            long clockJumpMicros,
            long key) {
        this(lossFraction, rebootAtChunk, clockJumpAtChunk, clockJumpMicros, key, 0);
    }

    private static final long STREAM_FAULTS = 0x4C494E4BL; // "LINK"

    public LinkFaults {
        if (!(lossFraction >= 0 && lossFraction < 1)) {
            throw new IllegalArgumentException(
                    "loss fraction must be in [0, 1), got " + lossFraction);
        }
        if (!(Math.abs(clockDriftPpm) <= MAX_DRIFT_PPM)) {
            throw new IllegalArgumentException(
                    "clock drift must be within +-"
                            + MAX_DRIFT_PPM
                            + " ppm (1 %), got "
                            + clockDriftPpm);
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
        return draw(seed, lossFraction, misbehavingFraction, 0, chunks, chunkSeconds);
    }

    /**
     * As above, and every device's sample clock off by a uniform draw in {@code +-maxDriftPpm}
     * against the clock that stamps its chunks.
     */
    public static LinkFaults draw(
            long seed,
            double lossFraction,
            double misbehavingFraction,
            double maxDriftPpm,
            long chunks,
            double chunkSeconds) {
        long key = CounterRng.derive(seed, STREAM_FAULTS);
        double ppm = maxDriftPpm == 0 ? 0 : CounterRng.uniform(key, -6, -maxDriftPpm, maxDriftPpm);
        if (CounterRng.uniform(key, -1) >= misbehavingFraction) {
            return new LinkFaults(lossFraction, -1, -1, 0, key, ppm);
        }
        long from = (long) Math.ceil(60 / chunkSeconds);
        if (chunks <= from + 2) {
            return new LinkFaults(lossFraction, -1, -1, 0, key, ppm);
        }
        long reboot = from + (long) (CounterRng.uniform(key, -2) * (chunks - from));
        long jump = from + (long) (CounterRng.uniform(key, -3) * (chunks - from));
        double seconds = CounterRng.uniform(key, -4, 1.5, 5.0);
        long micros = Math.round((CounterRng.uniform(key, -5) < 0.5 ? -seconds : seconds) * 1e6);
        return new LinkFaults(lossFraction, reboot, jump, micros, key, ppm);
    }

    /** The stream index chunk {@code k} is sent with, given its true index. */
    long sentIndex(long k, long trueIndex, int samplesPerChunk) {
        return rebootAtChunk >= 0 && k >= rebootAtChunk
                ? trueIndex - rebootAtChunk * samplesPerChunk
                : trueIndex;
    }

    /**
     * The clock offset of chunk {@code k}, whose first sample is {@code sinceStartMicros} of sample
     * time into the stream: the jump, and the drift's share (a clock fast by p ppm has counted that
     * much sample time in {@code sinceStartMicros / (1 + p)} of real time).
     */
    long clockOffsetMicros(long k, long sinceStartMicros) {
        long jump = clockJumpAtChunk >= 0 && k >= clockJumpAtChunk ? clockJumpMicros : 0;
        return jump + driftMicros(sinceStartMicros);
    }

    /**
     * Real time minus sample time, {@code sinceStartMicros} of sample time into the stream: the
     * drift alone, which also paces when the device's chunks are complete and sent (a clock jump is
     * an error of the stamping clock, not of time).
     */
    long driftMicros(long sinceStartMicros) {
        if (clockDriftPpm == 0) {
            return 0;
        }
        double p = clockDriftPpm * 1e-6;
        return -Math.round(sinceStartMicros * p / (1 + p));
    }
}
