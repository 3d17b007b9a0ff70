package io.fmstream.core.window;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.zip.CRC32;

/**
 * Window geometry and completeness rules, fixed for a job.
 *
 * <p>Windows are {@code [k * hop + phase, k * hop + phase + length)}: on the epoch grid (phase 0)
 * unless the {@link WindowPhase} is {@link WindowPhase#DEVICE}, which gives each device its own
 * phase ({@link #phaseSamples}). At the model rate a window holds {@link #windowSamples()} samples
 * and consecutive windows start {@link #hopSamples()} apart, so output sample {@code j} (at {@code
 * j / modelRate} s) belongs to the device's windows {@code k} with {@code k * hopSamples + phase <=
 * j < k * hopSamples + phase + windowSamples}.
 */
public final class WindowSpec implements Serializable {
    private static final long serialVersionUID = 1L;

    // The one definition of the window defaults: the job's options (fmstream.window.*) and the
    // offline dataset builder both read these, so training data and serving cannot drift apart.
    /** Default distance between window starts ({@code fmstream.window.hop}). */
    public static final Duration DEFAULT_HOP = Duration.ofSeconds(5);

    /** Default {@code fmstream.window.allowed-lateness}; it cannot change offline results. */
    public static final Duration DEFAULT_ALLOWED_LATENESS = Duration.ofSeconds(60);

    /** Default {@code fmstream.window.max-missing-fraction}. */
    public static final double DEFAULT_MAX_MISSING_FRACTION = 0.2;

    private final double modelRateHz;
    private final long windowMicros;
    private final long hopMicros;
    private final int windowSamples;
    private final int hopSamples;
    private final long allowedLatenessMicros;
    private final float maxMissingFraction;
    private final WindowPhase phase;

    /** Model-rate samples per phase step: the fewest whose duration is whole microseconds. */
    private final int phaseUnitSamples;

    public WindowSpec(
            double modelRateHz,
            long windowMicros,
            long hopMicros,
            long allowedLatenessMicros,
            float maxMissingFraction) {
        this(
                modelRateHz,
                windowMicros,
                hopMicros,
                allowedLatenessMicros,
                maxMissingFraction,
                WindowPhase.EPOCH);
    }

    public WindowSpec(
            double modelRateHz,
            long windowMicros,
            long hopMicros,
            long allowedLatenessMicros,
            float maxMissingFraction,
            WindowPhase phase) {
        if (phase == null) {
            throw new IllegalArgumentException("window phase must not be null");
        }
        if (!(modelRateHz > 0) || Double.isInfinite(modelRateHz)) {
            throw new IllegalArgumentException(
                    "model rate must be finite and > 0, got " + modelRateHz);
        }
        if (hopMicros <= 0 || windowMicros <= 0 || hopMicros > windowMicros) {
            throw new IllegalArgumentException(
                    "need 0 < hop <= window length, got hop "
                            + hopMicros
                            + " us, window "
                            + windowMicros
                            + " us");
        }
        double w = windowMicros * modelRateHz / 1e6;
        double h = hopMicros * modelRateHz / 1e6;
        if (Math.abs(w - Math.rint(w)) > 1e-6 || Math.abs(h - Math.rint(h)) > 1e-6) {
            throw new IllegalArgumentException(
                    "window ("
                            + windowMicros
                            + " us) and hop ("
                            + hopMicros
                            + " us) must be whole numbers of samples at "
                            + modelRateHz
                            + " Hz");
        }
        if (allowedLatenessMicros < 0) {
            throw new IllegalArgumentException(
                    "allowed lateness must be >= 0, got " + allowedLatenessMicros);
        }
        if (!(maxMissingFraction >= 0 && maxMissingFraction < 1)) {
            throw new IllegalArgumentException(
                    "max missing fraction must be in [0, 1), got " + maxMissingFraction);
        }
        this.modelRateHz = modelRateHz;
        this.windowMicros = windowMicros;
        this.hopMicros = hopMicros;
        this.windowSamples = (int) Math.rint(w);
        this.hopSamples = (int) Math.rint(h);
        this.allowedLatenessMicros = allowedLatenessMicros;
        this.maxMissingFraction = maxMissingFraction;
        this.phase = phase;
        int unit = 1;
        // Terminates at hopSamples at the latest: the hop is whole samples and whole microseconds.
        while (unit < hopSamples) {
            double micros = unit * 1e6 / modelRateHz;
            if (Math.abs(micros - Math.rint(micros)) <= 1e-6) {
                break;
            }
            unit++;
        }
        this.phaseUnitSamples = unit;
    }

    /**
     * A bundle's geometry (its input rate and window length, the length rounded to microseconds)
     * with a job's hop, lateness and completeness bound: how the job and the dataset builder both
     * build it.
     */
    public static WindowSpec of(
            double modelRateHz,
            double windowSeconds,
            Duration hop,
            Duration allowedLateness,
            double maxMissingFraction) {
        return of(
                modelRateHz,
                windowSeconds,
                hop,
                allowedLateness,
                maxMissingFraction,
                WindowPhase.EPOCH);
    }

    /** {@link #of} with the given window phase. */
    public static WindowSpec of(
            double modelRateHz,
            double windowSeconds,
            Duration hop,
            Duration allowedLateness,
            double maxMissingFraction,
            WindowPhase phase) {
        return new WindowSpec(
                modelRateHz,
                Math.round(windowSeconds * 1e6),
                hop.toNanos() / 1000,
                allowedLateness.toNanos() / 1000,
                (float) maxMissingFraction,
                phase);
    }

    /** {@link #of} with the default hop, lateness and completeness bound. */
    public static WindowSpec withDefaults(double modelRateHz, double windowSeconds) {
        return of(
                modelRateHz,
                windowSeconds,
                DEFAULT_HOP,
                DEFAULT_ALLOWED_LATENESS,
                DEFAULT_MAX_MISSING_FRACTION);
    }

    public double modelRateHz() {
        return modelRateHz;
    }

    public long windowMicros() {
        return windowMicros;
    }

    public long hopMicros() {
        return hopMicros;
    }

    public int windowSamples() {
        return windowSamples;
    }

    public int hopSamples() {
        return hopSamples;
    }

    public long allowedLatenessMicros() {
        return allowedLatenessMicros;
    }

    public float maxMissingFraction() {
        return maxMissingFraction;
    }

    public WindowPhase phase() {
        return phase;
    }

    /**
     * The device's phase in model-rate samples, in {@code [0, hopSamples)}: 0 on the epoch grid;
     * with {@link WindowPhase#DEVICE}, {@code unit * (crc32(utf8(deviceId)) mod (hopSamples /
     * unit))} where {@code unit} is the fewest samples whose duration is whole microseconds (1 at
     * 100 Hz, so a 5 s hop gives 500 phases 10 ms apart). CRC-32 (as in {@code java.util.zip} and
     * Python's {@code zlib.crc32}) so that a consumer can compute a device's grid without this
     * code, and the same on every JVM.
     */
    public int phaseSamples(String deviceId) {
        return phaseSamples(deviceId, phase);
    }

    /** {@link #phaseSamples(String)} on the given kind of grid instead of this spec's. */
    public int phaseSamples(String deviceId, WindowPhase phase) {
        if (phase == WindowPhase.EPOCH) {
            return 0;
        }
        CRC32 crc = new CRC32();
        crc.update(deviceId.getBytes(StandardCharsets.UTF_8));
        long phases = hopSamples / phaseUnitSamples;
        return (int) (phaseUnitSamples * (crc.getValue() % phases));
    }

    /** Duration of {@code phaseSamples} model-rate samples, exact by construction of the unit. */
    public long phaseMicros(int phaseSamples) {
        return Math.round(phaseSamples * 1e6 / modelRateHz);
    }

    /** The device's phase in microseconds ({@link #phaseSamples} as a duration). */
    public long phaseMicros(String deviceId) {
        return phaseMicros(phaseSamples(deviceId));
    }

    /** Start of window {@code k} on the epoch grid (phase 0). */
    public long windowStartMicros(long k) {
        return k * hopMicros;
    }

    /** Start of window {@code k} of a device whose phase is {@code phaseSamples}. */
    public long windowStartMicros(long k, int phaseSamples) {
        return k * hopMicros + phaseMicros(phaseSamples);
    }

    @Override
    public String toString() {
        return "WindowSpec{rate="
                + modelRateHz
                + " Hz, length="
                + windowMicros
                + " us, hop="
                + hopMicros
                + " us, lateness="
                + allowedLatenessMicros
                + " us, maxMissing="
                + maxMissingFraction
                + ", phase="
                + phase
                + "}";
    }
}
