package io.fmstream.core.sim;

import io.fmstream.schemas.SensorChunk;
import io.fmstream.schemas.SignalType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * One simulated single-lead ECG wearable: produces its continuous stream as consecutive
 * {@link SensorChunk}s, and exposes the ground truth (beat times, heart rate) that tests and the
 * {@code simulate} command compare results against.
 *
 * <p>Sample {@code n} is a pure function of {@code n}, the seed and the constructor parameters:
 * beats are generated from the seed strictly in order ({@link BeatSequence}) and every sample sums
 * the waves of the beats near its own time {@code n / sampleRateHz}. Hence the same seed gives the
 * same bytes, and the chunk sizes requested never change the samples. Sample times are computed
 * from the index ({@code start + round(n * 1e6 / rate)}), never accumulated, so they do not drift
 * at rates such as 360 Hz whose period is not a whole number of microseconds.
 *
 * <p>Samples are int16 little-endian with gain {@value #GAIN} ADC units per mV and baseline 0, the
 * MIT-BIH convention. The signal is noise-free; noise, baseline wander and arrhythmias belong to the
 * realistic fleet simulator that is meant to build on this class. Not thread-safe.
 */
public final class SimulatedDevice {

    /** ADC units per mV. */
    public static final double GAIN = 200.0;
    public static final int BASELINE = 0;
    public static final String UNIT = "mV";

    private final String deviceId;
    private final long seed;
    private final double sampleRateHz;
    private final long startTimeMicros;
    private final HeartRateProfile profile;
    private final EcgWaveform waveform;
    private final BeatSequence beats;

    private long nextIndex;
    /** First beat that can still reach the next sample; only moves forward, as samples do. */
    private int firstLiveBeat;

    /** A device with the {@linkplain EcgWaveform#normalSinus() normal sinus} morphology. */
    public SimulatedDevice(String deviceId, long seed, double sampleRateHz, long startTimeMicros,
                           HeartRateProfile profile) {
        this(deviceId, seed, sampleRateHz, startTimeMicros, profile, EcgWaveform.normalSinus());
    }

    public SimulatedDevice(String deviceId, long seed, double sampleRateHz, long startTimeMicros,
                           HeartRateProfile profile, EcgWaveform waveform) {
        Objects.requireNonNull(deviceId, "deviceId");
        if (deviceId.isEmpty()) {
            throw new IllegalArgumentException("deviceId must not be empty");
        }
        if (!(sampleRateHz > 0) || Double.isInfinite(sampleRateHz)) {
            throw new IllegalArgumentException("sampleRateHz must be finite and > 0, got " + sampleRateHz);
        }
        this.deviceId = deviceId;
        this.seed = seed;
        this.sampleRateHz = sampleRateHz;
        this.startTimeMicros = startTimeMicros;
        this.profile = Objects.requireNonNull(profile, "profile");
        this.waveform = Objects.requireNonNull(waveform, "waveform");
        this.beats = new BeatSequence(seed, profile);
    }

    /**
     * The next {@code sampleCount} samples of the stream, contiguous with the previous chunk.
     *
     * @throws IllegalArgumentException if {@code sampleCount < 1}
     */
    public SensorChunk nextChunk(int sampleCount) {
        if (sampleCount < 1) {
            throw new IllegalArgumentException("sampleCount must be >= 1, got " + sampleCount);
        }
        long first = nextIndex;
        ByteBuffer samples = ByteBuffer.allocate(Math.multiplyExact(sampleCount, 2)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < sampleCount; i++) {
            samples.putShort(toAdc(valueMv(first + i)));
        }
        samples.flip();
        nextIndex = first + sampleCount;
        return SensorChunk.newBuilder()
                .setDeviceId(deviceId)
                .setSignalType(SignalType.ECG)
                .setChannel("")
                .setSampleRateHz(sampleRateHz)
                .setFirstSampleTimeMicros(sampleTimeMicros(first))
                .setFirstSampleIndex(first)
                .setSamples(samples)
                .setGain(GAIN)
                .setBaseline(BASELINE)
                .setUnit(UNIT)
                .build();
    }

    /** Noise-free signal value of sample {@code n}, in mV. Must be called with non-decreasing n. */
    private double valueMv(long n) {
        double t = n / sampleRateHz;
        beats.ensureBeyond(t + waveform.reachBeforeRSeconds());
        double earliest = t - waveform.reachAfterRSeconds();
        while (firstLiveBeat < beats.size() && beats.rPeakSeconds(firstLiveBeat) < earliest) {
            firstLiveBeat++;
        }
        double latest = t + waveform.reachBeforeRSeconds();
        double sum = 0;
        // Which beats are summed depends only on t, so the value does not depend on the chunking.
        for (int k = firstLiveBeat; k < beats.size() && beats.rPeakSeconds(k) <= latest; k++) {
            sum += waveform.contributionMv(beats.beat(k), t);
        }
        return sum;
    }

    private static short toAdc(double mv) {
        long raw = Math.round(mv * GAIN) + BASELINE;
        return (short) Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, raw));
    }

    /** Device time of sample {@code n}: {@code start + round(n * 1e6 / sampleRateHz)} microseconds. */
    public long sampleTimeMicros(long n) {
        return startTimeMicros + Math.round(n * 1e6 / sampleRateHz);
    }

    /** Index of the next sample {@link #nextChunk} will produce (= samples produced so far). */
    public long sampleIndex() {
        return nextIndex;
    }

    /**
     * R-peak times (epoch microseconds) of the beats in the samples produced so far: R peak at or after
     * the first sample and before the next sample to be produced, in increasing order.
     */
    public long[] beatTimesMicros() {
        double end = nextIndex / sampleRateHz;
        int from = beats.firstAtOrAfter(0.0);
        int to = beats.firstAtOrAfter(end);
        long[] result = new long[Math.max(0, to - from)];
        for (int k = from; k < to; k++) {
            result[k - from] = toMicros(beats.rPeakSeconds(k));
        }
        return result;
    }

    /**
     * Ground-truth instantaneous heart rate at {@code timeMicros}: 60 / the RR interval (in seconds)
     * of the beat pair around that time, jitter included; i.e. what an ideal beat detector would
     * report. May look ahead of the samples produced so far; that does not change any sample.
     *
     * @throws IllegalArgumentException for a time before the device's start
     */
    public double heartRateAt(long timeMicros) {
        double t = relativeSeconds(timeMicros);
        beats.ensureBeyond(t);
        int next = beats.firstAtOrAfter(Math.nextUp(t));
        // The pre-roll guarantees a beat at or before any t >= 0, so next >= 1.
        return 60.0 / (beats.rPeakSeconds(next) - beats.rPeakSeconds(next - 1));
    }

    /** The profile's target rate at {@code timeMicros}, without beat-to-beat jitter. */
    public double targetHeartRateAt(long timeMicros) {
        return profile.bpmAt(relativeSeconds(timeMicros), beats.phaseRadians());
    }

    private double relativeSeconds(long timeMicros) {
        if (timeMicros < startTimeMicros) {
            throw new IllegalArgumentException("time " + timeMicros + " is before the device start " + startTimeMicros);
        }
        return (timeMicros - startTimeMicros) / 1e6;
    }

    private long toMicros(double relativeSeconds) {
        return startTimeMicros + Math.round(relativeSeconds * 1e6);
    }

    public String deviceId() {
        return deviceId;
    }

    public long seed() {
        return seed;
    }

    public double sampleRateHz() {
        return sampleRateHz;
    }

    public long startTimeMicros() {
        return startTimeMicros;
    }

    public HeartRateProfile profile() {
        return profile;
    }

    public EcgWaveform waveform() {
        return waveform;
    }
}
