package io.fmstream.data.sim;

import io.fmstream.schemas.SensorChunk;
import io.fmstream.schemas.SignalType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One simulated single-lead ECG wearable: produces its continuous stream as consecutive {@link
 * SensorChunk}s, and exposes the ground truth (beats, heart rate, rhythm, noise) that tests and the
 * {@code simulate} command compare results against.
 *
 * <p>A device is driven either by a {@link HeartRateProfile} (noise-free sinus rhythm; the original
 * mode, whose samples are unchanged) or by a {@link Scenario}: a schedule of NORMAL / AF / OTHER
 * (PVC) segments with noise, see {@link ScenarioBeats}, {@link FibrillatoryWaves} and {@link
 * NoiseModel}. A scenario's drop-outs and offline periods do not affect this class, which always
 * produces the whole stream; {@link DeviceUplink} applies them to the chunks.
 *
 * <p>Sample {@code n} is a pure function of {@code n}, the seed and the constructor parameters:
 * beats are generated from the seed strictly in order and every sample sums the waves of the beats
 * near its own time {@code n / sampleRateHz}, plus (scenario mode) f waves and noise, which are
 * closed- form or counter-based functions of the time or index. Hence the same seed gives the same
 * bytes, and the chunk sizes requested never change the samples. Sample times are computed from the
 * index ({@code start + round(n * 1e6 / rate)}), never accumulated, so they do not drift at rates
 * such as 360 Hz whose period is not a whole number of microseconds.
 *
 * <p>Samples are int16 little-endian with gain {@value #GAIN} ADC units per mV and baseline 0, the
 * MIT-BIH convention. Not thread-safe.
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

    /** Null in scenario mode. */
    private final HeartRateProfile profile;

    /** Null in profile mode. */
    private final Scenario scenario;

    private final EcgWaveform waveform;
    private final BeatSource beats;

    /** Null in profile mode. */
    private final NoiseModel noise;

    /** Null in profile mode. */
    private final FibrillatoryWaves fWaves;

    private final double reachBeforeR;
    private final double reachAfterR;

    private long nextIndex;

    /** First beat that can still reach the next sample; only moves forward, as samples do. */
    private long firstLiveBeat;

    /** Segment of the last lookup: samples mostly stay in one segment, so this skips the search. */
    private int cachedSegment;

    /** A device with the {@linkplain EcgWaveform#normalSinus() normal sinus} morphology. */
    public SimulatedDevice(
            String deviceId,
            long seed,
            double sampleRateHz,
            long startTimeMicros,
            HeartRateProfile profile) {
        this(deviceId, seed, sampleRateHz, startTimeMicros, profile, EcgWaveform.normalSinus());
    }

    /**
     * A noise-free sinus-rhythm device following {@code profile}, every beat shaped as {@code
     * waveform}.
     */
    public SimulatedDevice(
            String deviceId,
            long seed,
            double sampleRateHz,
            long startTimeMicros,
            HeartRateProfile profile,
            EcgWaveform waveform) {
        this(
                deviceId,
                seed,
                sampleRateHz,
                startTimeMicros,
                Objects.requireNonNull(profile, "profile"),
                null,
                Objects.requireNonNull(waveform, "waveform"));
    }

    /**
     * A device following {@code scenario}: beats shaped by their {@link BeatKind}, f waves during
     * AF, and the scheduled noise.
     */
    public SimulatedDevice(
            String deviceId,
            long seed,
            double sampleRateHz,
            long startTimeMicros,
            Scenario scenario) {
        this(
                deviceId,
                seed,
                sampleRateHz,
                startTimeMicros,
                null,
                Objects.requireNonNull(scenario, "scenario"),
                EcgWaveform.normalSinus());
    }

    private SimulatedDevice(
            String deviceId,
            long seed,
            double sampleRateHz,
            long startTimeMicros,
            HeartRateProfile profile,
            Scenario scenario,
            EcgWaveform waveform) {
        Objects.requireNonNull(deviceId, "deviceId");
        if (deviceId.isEmpty()) {
            throw new IllegalArgumentException("deviceId must not be empty");
        }
        if (!(sampleRateHz > 0) || Double.isInfinite(sampleRateHz)) {
            throw new IllegalArgumentException(
                    "sampleRateHz must be finite and > 0, got " + sampleRateHz);
        }
        this.deviceId = deviceId;
        this.seed = seed;
        this.sampleRateHz = sampleRateHz;
        this.startTimeMicros = startTimeMicros;
        this.profile = profile;
        this.scenario = scenario;
        this.waveform = waveform;
        if (scenario == null) {
            this.beats = new BeatSequence(seed, profile);
            this.noise = null;
            this.fWaves = null;
            this.reachBeforeR = waveform.reachBeforeRSeconds();
            this.reachAfterR = waveform.reachAfterRSeconds();
        } else {
            Physiology physiology = new Physiology(seed);
            this.beats = new ScenarioBeats(seed, scenario, physiology);
            this.noise = new NoiseModel(seed, physiology);
            this.fWaves = new FibrillatoryWaves(seed);
            double before = 0;
            double after = 0;
            for (BeatKind k : BeatKind.values()) {
                before = Math.max(before, EcgWaveform.forKind(k).reachBeforeRSeconds());
                after = Math.max(after, EcgWaveform.forKind(k).reachAfterRSeconds());
            }
            this.reachBeforeR = before;
            this.reachAfterR = after;
        }
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
        ByteBuffer samples =
                ByteBuffer.allocate(Math.multiplyExact(sampleCount, 2))
                        .order(ByteOrder.LITTLE_ENDIAN);
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

    /**
     * Advances the stream by {@code sampleCount} samples without producing them (samples lost in a
     * drop-out). The following chunk continues at the advanced index with exactly the samples it
     * would have had anyway.
     *
     * @throws IllegalArgumentException if {@code sampleCount < 0}
     */
    public void skip(long sampleCount) {
        if (sampleCount < 0) {
            throw new IllegalArgumentException("sampleCount must be >= 0, got " + sampleCount);
        }
        nextIndex = Math.addExact(nextIndex, sampleCount);
    }

    /** Signal value of sample {@code n}, in mV. Must be called with non-decreasing n. */
    private double valueMv(long n) {
        double t = n / sampleRateHz;
        beats.ensureBeyond(t + reachBeforeR);
        double earliest = t - reachAfterR;
        while (firstLiveBeat < beats.end() && beats.rPeakSeconds(firstLiveBeat) < earliest) {
            firstLiveBeat++;
        }
        double v = beatSum(t, firstLiveBeat);
        if (scenario != null) {
            v += fibrillatoryMv(n) + noiseMv(n);
        }
        return v;
    }

    /** Sum of the waves of the beats from {@code fromBeat} on that reach time {@code t}. */
    private double beatSum(double t, long fromBeat) {
        double latest = t + reachBeforeR;
        double sum = 0;
        // Which beats are summed depends only on t, so the value does not depend on the chunking.
        for (long k = fromBeat; k < beats.end() && beats.rPeakSeconds(k) <= latest; k++) {
            Beat b = beats.beat(k);
            EcgWaveform w = scenario == null ? waveform : EcgWaveform.forKind(b.kind());
            sum += w.contributionMv(b, t);
        }
        return sum;
    }

    /**
     * Ventricular signal (P-QRS-T of the beats) of sample {@code n}, mV, without f waves or noise;
     * any order of {@code n}, as long as its beats are still held (see {@link #trimHistoryBefore}).
     */
    double cardiacMv(long n) {
        double t = n / sampleRateHz;
        beats.ensureBeyond(t + reachBeforeR);
        return beatSum(t, beats.firstAtOrAfter(t - reachAfterR));
    }

    /** f-wave component of sample {@code n}, mV (0 outside AF). */
    double fibrillatoryMv(long n) {
        if (scenario == null) {
            return 0.0;
        }
        long offset = offsetMicros(n);
        double w = scenario.fibrillationWeightAt(segmentFor(offset), offset);
        return w == 0 ? 0.0 : w * fWaves.valueMv(n / sampleRateHz);
    }

    /** Added noise of sample {@code n}, mV. */
    double noiseMv(long n) {
        if (scenario == null) {
            return 0.0;
        }
        long offset = offsetMicros(n);
        Noise level = scenario.noiseAt(segmentFor(offset), offset);
        double t = n / sampleRateHz;
        double v = 0;
        // A zero level contributes exactly 0, so skipping the computation cannot change a sample.
        if (level.baselineWanderMv() > 0) {
            v += level.baselineWanderMv() * noise.baselineWander(t);
        }
        if (level.muscleMv() > 0) {
            v += level.muscleMv() * noise.muscle(n);
        }
        if (level.electrodeMotionMv() > 0) {
            v += level.electrodeMotionMv() * noise.electrodeMotion(t);
        }
        return v;
    }

    /**
     * Index of the scenario segment at {@code offset}; a cached answer, since samples mostly stay
     * in one.
     */
    private int segmentFor(long offset) {
        List<Scenario.Segment> segments = scenario.segments();
        Scenario.Segment s = segments.get(cachedSegment);
        boolean inCached =
                offset >= s.startOffsetMicros()
                        && (cachedSegment == segments.size() - 1 || offset < s.endOffsetMicros());
        if (!inCached) {
            cachedSegment = scenario.segmentIndexAt(offset);
        }
        return cachedSegment;
    }

    private long offsetMicros(long n) {
        return Math.round(n * 1e6 / sampleRateHz);
    }

    private static short toAdc(double mv) {
        long raw = Math.round(mv * GAIN) + BASELINE;
        return (short) Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, raw));
    }

    /**
     * Device time of sample {@code n}: {@code start + round(n * 1e6 / sampleRateHz)} microseconds.
     */
    public long sampleTimeMicros(long n) {
        return startTimeMicros + Math.round(n * 1e6 / sampleRateHz);
    }

    /** Index of the first sample whose time is at or after {@code timeMicros}. */
    public long firstSampleAtOrAfter(long timeMicros) {
        long n =
                Math.max(
                        0,
                        (long) Math.floor((timeMicros - startTimeMicros) * sampleRateHz / 1e6) - 1);
        // The estimate is within a sample of the answer; step to it exactly with the rounding rule
        // itself.
        while (sampleTimeMicros(n) < timeMicros) {
            n++;
        }
        while (n > 0 && sampleTimeMicros(n - 1) >= timeMicros) {
            n--;
        }
        return n;
    }

    /**
     * Index of the next sample {@link #nextChunk} will produce (= samples produced or skipped so
     * far).
     */
    public long sampleIndex() {
        return nextIndex;
    }

    /**
     * R-peak times (epoch microseconds) of the beats in the samples produced so far: R peak at or
     * after the first sample (or the oldest beat still held, after {@link #trimHistoryBefore}) and
     * before the next sample to be produced, in increasing order.
     */
    public long[] beatTimesMicros() {
        double end = nextIndex / sampleRateHz;
        long from =
                beats.forgottenThroughSeconds() >= 0 ? beats.start() : beats.firstAtOrAfter(0.0);
        long to = beats.firstAtOrAfter(end);
        long[] result = new long[(int) Math.max(0, to - from)];
        for (long k = from; k < to; k++) {
            result[(int) (k - from)] = toMicros(beats.rPeakSeconds(k));
        }
        return result;
    }

    /**
     * The beats whose R peak lies in [fromMicros, toMicros), in order, with their kinds; may look
     * ahead of the samples produced so far (that does not change any sample).
     *
     * @throws IllegalStateException if beats of that span were forgotten ({@link
     *     #trimHistoryBefore})
     */
    public List<Beat> beats(long fromMicros, long toMicros) {
        double a = (fromMicros - startTimeMicros) / 1e6;
        double b = (toMicros - startTimeMicros) / 1e6;
        beats.ensureBeyond(b);
        List<Beat> out = new ArrayList<>();
        for (long k = beats.firstAtOrAfter(a); k < beats.end() && beats.rPeakSeconds(k) < b; k++) {
            out.add(beats.beat(k));
        }
        return out;
    }

    /**
     * Ground-truth instantaneous heart rate at {@code timeMicros}: 60 / the RR interval (in
     * seconds) of the beat pair around that time, jitter included; i.e. what an ideal beat detector
     * would report. May look ahead of the samples produced so far; that does not change any sample.
     *
     * @throws IllegalArgumentException for a time before the device's start
     */
    public double heartRateAt(long timeMicros) {
        return 60.0 / rrAround(relativeSeconds(timeMicros));
    }

    private double rrAround(double t) {
        beats.ensureBeyond(t);
        long next = beats.firstAtOrAfter(Math.nextUp(t));
        // The pre-roll guarantees a beat at or before any t >= 0, so next >= 1.
        return beats.rPeakSeconds(next) - beats.rPeakSeconds(next - 1);
    }

    /**
     * Target rate at {@code timeMicros}, without beat-to-beat variation: the profile's, or the
     * scenario's segment mean (ramped at segment boundaries).
     */
    public double targetHeartRateAt(long timeMicros) {
        double t = relativeSeconds(timeMicros);
        if (scenario != null) {
            return scenario.targetBpmAt(timeMicros - startTimeMicros);
        }
        return profile.bpmAt(t, ((BeatSequence) beats).phaseRadians());
    }

    /**
     * Ground truth of samples [fromIndex, toIndex): see {@link GroundTruthSpan}. The dropped
     * fraction here counts the samples whose own time lies in one of the scenario's drop-outs;
     * {@link DeviceUplink}, which loses whole chunks, reports what it actually dropped instead. A
     * profile-driven device is NORMAL, noise-free and never drops anything.
     *
     * @throws IllegalArgumentException unless {@code 0 <= fromIndex < toIndex}
     * @throws IllegalStateException if beats of the span were forgotten ({@link
     *     #trimHistoryBefore})
     */
    public GroundTruthSpan groundTruth(long fromIndex, long toIndex) {
        if (fromIndex < 0 || toIndex <= fromIndex) {
            throw new IllegalArgumentException(
                    "need 0 <= fromIndex < toIndex, got " + fromIndex + ", " + toIndex);
        }
        long startMicros = sampleTimeMicros(fromIndex);
        long endMicros = sampleTimeMicros(toIndex);
        double bpm = meanHeartRate(fromIndex / sampleRateHz, toIndex / sampleRateHz);
        if (scenario == null) {
            return new GroundTruthSpan(
                    deviceId, startMicros, endMicros, bpm, Rhythm.NORMAL, 1.0, 0.0, 0.0);
        }
        long a = startMicros - startTimeMicros;
        long b = endMicros - startTimeMicros;
        long[] perRhythm = scenario.rhythmMicros(a, b);
        Rhythm majority = Rhythm.NORMAL;
        for (Rhythm r : Rhythm.values()) {
            if (perRhythm[r.ordinal()] > perRhythm[majority.ordinal()]) {
                majority = r;
            }
        }
        double fraction = (double) perRhythm[majority.ordinal()] / (b - a);
        double sumSquares = 0;
        long dropped = 0;
        for (long n = fromIndex; n < toIndex; n++) {
            long offset = offsetMicros(n);
            double level = scenario.noiseAt(offset).rmsMv();
            sumSquares += level * level;
            if (scenario.inDropout(offset)) {
                dropped++;
            }
        }
        long count = toIndex - fromIndex;
        return new GroundTruthSpan(
                deviceId,
                startMicros,
                endMicros,
                bpm,
                majority,
                fraction,
                Math.sqrt(sumSquares / count),
                (double) dropped / count);
    }

    /**
     * 60 / mean RR of the beats with R peak in [a, b) s, or 60 / the RR around the midpoint if
     * none.
     */
    private double meanHeartRate(double a, double b) {
        beats.ensureBeyond(b);
        double sumRr = 0;
        int count = 0;
        for (long k = beats.firstAtOrAfter(a); k < beats.end() && beats.rPeakSeconds(k) < b; k++) {
            sumRr += beats.beat(k).precedingRrSeconds();
            count++;
        }
        return count > 0 ? 60.0 * count / sumRr : 60.0 / rrAround((a + b) / 2);
    }

    /**
     * Forgets beats whose R peak is before {@code timeMicros} and that no future sample can reach,
     * so that a long-running device holds bounded memory. Later queries about earlier times ({@link
     * #beats}, {@link #groundTruth}, {@link #heartRateAt}) throw {@link IllegalStateException}.
     * Never changes a sample.
     */
    public void trimHistoryBefore(long timeMicros) {
        double t = (timeMicros - startTimeMicros) / 1e6;
        if (t <= beats.forgottenThroughSeconds()) {
            return;
        }
        // Keep the beat before t too: the RR around a time just after t needs it.
        long k = Math.min(beats.firstAtOrAfter(t) - 1, firstLiveBeat);
        // Forgetting shifts the arrays; doing it in batches keeps that cost negligible.
        if (k - beats.start() >= 256) {
            beats.forgetBefore(k);
        }
    }

    private double relativeSeconds(long timeMicros) {
        if (timeMicros < startTimeMicros) {
            throw new IllegalArgumentException(
                    "time " + timeMicros + " is before the device start " + startTimeMicros);
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

    /**
     * The heart-rate profile of a profile-driven device.
     *
     * @throws IllegalStateException for a scenario-driven device, which has none (see {@link
     *     #scenario()})
     */
    public HeartRateProfile profile() {
        if (profile == null) {
            throw new IllegalStateException(
                    deviceId + " is driven by a scenario, not a HeartRateProfile");
        }
        return profile;
    }

    /** Whether this device follows a {@link Scenario} (otherwise a {@link HeartRateProfile}). */
    public boolean isScenarioDriven() {
        return scenario != null;
    }

    /**
     * The scenario of a scenario-driven device.
     *
     * @throws IllegalStateException for a profile-driven device
     */
    public Scenario scenario() {
        if (scenario == null) {
            throw new IllegalStateException(
                    deviceId + " is driven by a HeartRateProfile, not a scenario");
        }
        return scenario;
    }

    /**
     * The morphology of a profile-driven device's beats; for a scenario-driven one, that of its
     * sinus beats.
     */
    public EcgWaveform waveform() {
        return waveform;
    }
}
