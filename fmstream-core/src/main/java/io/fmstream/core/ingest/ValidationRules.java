package io.fmstream.core.ingest;

import java.io.Serializable;
import java.time.Duration;

/** Bounds a chunk must respect before it reaches window assembly. */
public final class ValidationRules implements Serializable {
    private static final long serialVersionUID = 1L;

    // The one definition of the validation defaults, read by the job's options
    // (fmstream.validation.*) and by the offline dataset builder.
    public static final double DEFAULT_MIN_SAMPLE_RATE_HZ = 50.0;
    public static final double DEFAULT_MAX_SAMPLE_RATE_HZ = 2000.0;
    public static final int DEFAULT_MAX_SAMPLES_PER_CHUNK = 120_000;
    public static final double DEFAULT_MAX_SATURATED_FRACTION = 0.2;
    public static final Duration DEFAULT_MAX_FUTURE = Duration.ofMinutes(5);
    public static final int DEFAULT_MAX_DEVICE_ID_LENGTH = 128;

    /**
     * The longest stream a chunk may claim, from its index and rate: keeps index-to-time arithmetic
     * far from the limits of {@code long}.
     */
    public static final long MAX_STREAM_SECONDS = 100L * 366 * 24 * 3600;

    /**
     * 50-2000 Hz, at most 120,000 samples per chunk, 20 % saturated, 5 min in the future, device
     * ids of at most 128 characters.
     */
    public static final ValidationRules DEFAULTS =
            new ValidationRules(
                    DEFAULT_MIN_SAMPLE_RATE_HZ,
                    DEFAULT_MAX_SAMPLE_RATE_HZ,
                    DEFAULT_MAX_SAMPLES_PER_CHUNK,
                    DEFAULT_MAX_SATURATED_FRACTION,
                    DEFAULT_MAX_FUTURE.toNanos() / 1000,
                    DEFAULT_MAX_DEVICE_ID_LENGTH);

    private final double minSampleRateHz;
    private final double maxSampleRateHz;
    private final int maxSamplesPerChunk;
    private final double maxSaturatedFraction;
    private final long maxFutureMicros;
    private final int maxDeviceIdLength;

    public ValidationRules(
            double minSampleRateHz,
            double maxSampleRateHz,
            int maxSamplesPerChunk,
            double maxSaturatedFraction,
            long maxFutureMicros,
            int maxDeviceIdLength) {
        // A rate bound of 0 let a chunk at rate 0 through (0 / 0 is NaN, which no comparison
        // refuses) to a resampler that throws: the job restarted into it for ever. A fraction
        // typed as a percentage (20) silently turned the saturation check off.
        if (!(minSampleRateHz > 0 && minSampleRateHz <= maxSampleRateHz)
                || Double.isInfinite(maxSampleRateHz)) {
            throw new IllegalArgumentException(
                    "sample rate bounds must satisfy 0 < min <= max < infinity, got min "
                            + minSampleRateHz
                            + " Hz, max "
                            + maxSampleRateHz
                            + " Hz");
        }
        if (!(maxSaturatedFraction >= 0 && maxSaturatedFraction <= 1)) {
            throw new IllegalArgumentException(
                    "the saturated fraction must be in [0, 1], got " + maxSaturatedFraction);
        }
        if (maxFutureMicros < 0 || maxSamplesPerChunk <= 0 || maxDeviceIdLength <= 0) {
            throw new IllegalArgumentException(
                    "max future must be >= 0 and the chunk and device id limits > 0, got "
                            + maxFutureMicros
                            + " us, "
                            + maxSamplesPerChunk
                            + " samples, "
                            + maxDeviceIdLength
                            + " characters");
        }
        this.minSampleRateHz = minSampleRateHz;
        this.maxSampleRateHz = maxSampleRateHz;
        this.maxSamplesPerChunk = maxSamplesPerChunk;
        this.maxSaturatedFraction = maxSaturatedFraction;
        this.maxFutureMicros = maxFutureMicros;
        this.maxDeviceIdLength = maxDeviceIdLength;
    }

    public double minSampleRateHz() {
        return minSampleRateHz;
    }

    public double maxSampleRateHz() {
        return maxSampleRateHz;
    }

    public int maxSamplesPerChunk() {
        return maxSamplesPerChunk;
    }

    public double maxSaturatedFraction() {
        return maxSaturatedFraction;
    }

    public long maxFutureMicros() {
        return maxFutureMicros;
    }

    public int maxDeviceIdLength() {
        return maxDeviceIdLength;
    }
}
