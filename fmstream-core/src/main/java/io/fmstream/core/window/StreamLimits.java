package io.fmstream.core.window;

import java.io.Serializable;
import java.time.Duration;

/**
 * Per-device bounds of the window assembler: they make every chunk's cost and every device's state
 * bounded, whatever a client sends.
 */
public final class StreamLimits implements Serializable {
    private static final long serialVersionUID = 1L;

    // The one definition of the defaults, read by the job's options (fmstream.stream.*).
    /** A longer silence between a device's chunks starts a new segment instead of a gap. */
    public static final Duration DEFAULT_MAX_GAP = Duration.ofMinutes(10);

    /** Chunks held behind one device's gaps; one more declares the oldest gap missing at once. */
    public static final int DEFAULT_MAX_PENDING_CHUNKS = 256;

    /** A timestamp further than this from the one its index implies is a clock jump. */
    public static final Duration DEFAULT_CLOCK_TOLERANCE = Duration.ofSeconds(1);

    public static final StreamLimits DEFAULTS =
            new StreamLimits(
                    DEFAULT_MAX_GAP.toNanos() / 1000,
                    DEFAULT_MAX_PENDING_CHUNKS,
                    DEFAULT_CLOCK_TOLERANCE.toNanos() / 1000);

    private final long maxGapMicros;
    private final int maxPendingChunks;
    private final long clockToleranceMicros;

    public StreamLimits(long maxGapMicros, int maxPendingChunks, long clockToleranceMicros) {
        if (maxGapMicros <= 0) {
            throw new IllegalArgumentException("max gap must be > 0, got " + maxGapMicros + " us");
        }
        if (maxPendingChunks < 1) {
            throw new IllegalArgumentException(
                    "max pending chunks must be >= 1, got " + maxPendingChunks);
        }
        if (clockToleranceMicros < 0) {
            throw new IllegalArgumentException(
                    "clock tolerance must be >= 0, got " + clockToleranceMicros + " us");
        }
        this.maxGapMicros = maxGapMicros;
        this.maxPendingChunks = maxPendingChunks;
        this.clockToleranceMicros = clockToleranceMicros;
    }

    public static StreamLimits of(Duration maxGap, int maxPendingChunks, Duration clockTolerance) {
        return new StreamLimits(
                maxGap.toNanos() / 1000, maxPendingChunks, clockTolerance.toNanos() / 1000);
    }

    public long maxGapMicros() {
        return maxGapMicros;
    }

    public int maxPendingChunks() {
        return maxPendingChunks;
    }

    public long clockToleranceMicros() {
        return clockToleranceMicros;
    }
}
