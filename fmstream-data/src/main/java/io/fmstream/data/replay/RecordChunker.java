package io.fmstream.data.replay;

import io.fmstream.schemas.SensorChunk;
import io.fmstream.schemas.SignalType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Iterator;
import java.util.Locale;
import java.util.NoSuchElementException;

/**
 * Cuts one recorded signal into the sensor chunks a wearable would have sent: contiguous, stream
 * indexes from 0, each chunk's timestamp computed from its index (never accumulated, so there is no
 * drift at rates like 360 Hz whose period is not a whole number of microseconds). The last chunk
 * carries {@code endOfRecording}.
 *
 * <p>A chunker given the signal's invalid-sample marker ({@link #forSignal}) never sends one: a
 * chunk ends before it and the next starts after the run of them, so the job sees the stretch the
 * recorder lost as the gap it was (lost samples, gap-filled or dropped by the job's rules), not as
 * a full-scale spike of real signal.
 */
public final class RecordChunker implements Iterator<SensorChunk> {

    private final String deviceId;
    private final String channel;
    private final double sampleRateHz;
    private final int[] samples;
    private final double gain;
    private final int baseline;
    private final String unit;
    private final long startMicros;
    private final int chunkSamples;
    private final SignalType signalType;

    /** The invalid-sample marker, or null when every value is a sample. */
    private final Integer invalidMarker;

    private final int chunkCount;
    private int next;

    /**
     * @param samples raw ADC values; they must fit in int16 (the wire format)
     * @param startMicros device time of the first sample
     */
    public RecordChunker(
            String deviceId,
            String channel,
            double sampleRateHz,
            int[] samples,
            double gain,
            int baseline,
            String unit,
            long startMicros,
            int chunkSamples) {
        this(
                deviceId,
                channel,
                sampleRateHz,
                samples,
                gain,
                baseline,
                unit,
                startMicros,
                chunkSamples,
                SignalType.ECG,
                null);
    }

    /**
     * As above, the chunks tagged {@code signalType}, the samples equal to {@code invalidMarker}
     * (null: none) sent as gaps.
     */
    private RecordChunker(
            String deviceId,
            String channel,
            double sampleRateHz,
            int[] samples,
            double gain,
            int baseline,
            String unit,
            long startMicros,
            int chunkSamples,
            SignalType signalType,
            Integer invalidMarker) {
        if (chunkSamples < 1) {
            throw new IllegalArgumentException(
                    "chunk must hold at least one sample, got " + chunkSamples);
        }
        if (!(gain > 0) || Double.isInfinite(gain)) {
            throw new IllegalArgumentException("gain must be finite and > 0, got " + gain);
        }
        for (int v : samples) {
            if (v < Short.MIN_VALUE || v > Short.MAX_VALUE) {
                throw new IllegalArgumentException(
                        "sample " + v + " does not fit the wire's int16");
            }
        }
        this.deviceId = deviceId;
        this.channel = channel;
        this.sampleRateHz = sampleRateHz;
        this.samples = samples;
        this.gain = gain;
        this.baseline = baseline;
        this.unit = unit;
        this.startMicros = startMicros;
        this.chunkSamples = chunkSamples;
        this.signalType = signalType;
        this.invalidMarker = invalidMarker;
        this.next = skipInvalid(0);
        int count = 0;
        for (int i = next; i < samples.length; i = skipInvalid(chunkEnd(i))) {
            count++;
        }
        this.chunkCount = count;
    }

    /** A chunker over raw int16 samples (every value fits the wire format by construction). */
    public RecordChunker(
            String deviceId,
            String channel,
            double sampleRateHz,
            short[] samples,
            double gain,
            int baseline,
            String unit,
            long startMicros,
            int chunkSamples) {
        this(
                deviceId,
                channel,
                sampleRateHz,
                widen(samples),
                gain,
                baseline,
                unit,
                startMicros,
                chunkSamples);
    }

    /**
     * A chunker over one signal of a WFDB record, with its own rate, gain, baseline and units, its
     * chunks tagged with the signal's type ({@link #signalTypeOf}): a PLETH channel replayed with
     * {@code --lead PLETH} was tagged ECG, and an ECG job would have embedded it as one.
     */
    public static RecordChunker forSignal(
            String deviceId,
            io.fmstream.data.wfdb.WfdbRecord.Signal signal,
            long startMicros,
            int chunkSamples) {
        return new RecordChunker(
                deviceId,
                signal.name(),
                signal.sampleRate(),
                widen(signal.samples()),
                signal.gain(),
                signal.baseline(),
                signal.units(),
                startMicros,
                chunkSamples,
                signalTypeOf(signal.name()),
                signal.invalidMarker().isPresent() ? signal.invalidMarker().getAsInt() : null);
    }

    /**
     * The wire's signal type of a WFDB signal description: ECG for an ECG lead ({@link
     * io.fmstream.data.wfdb.WfdbHeader#isEcgLead}), PPG for a photoplethysmogram (PLETH, PPG),
     * UNKNOWN otherwise (ABP, RESP, ...).
     */
    public static SignalType signalTypeOf(String description) {
        if (io.fmstream.data.wfdb.WfdbHeader.isEcgLead(description)) {
            return SignalType.ECG;
        }
        String d = description == null ? "" : description.strip().toUpperCase(Locale.ROOT);
        return d.startsWith("PLETH") || d.startsWith("PPG") ? SignalType.PPG : SignalType.UNKNOWN;
    }

    private static int[] widen(short[] samples) {
        int[] out = new int[samples.length];
        for (int i = 0; i < samples.length; i++) {
            out[i] = samples[i];
        }
        return out;
    }

    /** Seconds of signal in the record. */
    public double durationSeconds() {
        return samples.length / sampleRateHz;
    }

    /** Chunks in the record (more than length / chunk size where invalid samples split them). */
    public int chunkCount() {
        return chunkCount;
    }

    /**
     * Exclusive end of the chunk starting at sample {@code from}: the end of its slot of the chunk
     * grid, or the first invalid sample before that. Chunks keep the grid after an invalid sample,
     * as a device's packets do after a lost stretch.
     */
    private int chunkEnd(int from) {
        int end = (int) Math.min(samples.length, ((long) from / chunkSamples + 1) * chunkSamples);
        if (invalidMarker != null) {
            for (int i = from; i < end; i++) {
                if (samples[i] == invalidMarker) {
                    return i;
                }
            }
        }
        return end;
    }

    /** The first sample at or after {@code from} that is not invalid. */
    private int skipInvalid(int from) {
        int i = from;
        while (invalidMarker != null && i < samples.length && samples[i] == invalidMarker) {
            i++;
        }
        return i;
    }

    /** Index of the first sample of the next chunk. */
    public int position() {
        return next;
    }

    /**
     * Device time just after the last sample of the chunk starting at {@code index} (exclusive
     * end).
     */
    public long chunkEndMicros(int index) {
        int end = chunkEnd(index);
        return startMicros + Math.round(end * 1e6 / sampleRateHz);
    }

    @Override
    public boolean hasNext() {
        return next < samples.length;
    }

    @Override
    public SensorChunk next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        int end = chunkEnd(next);
        int n = end - next;
        ByteBuffer bytes = ByteBuffer.allocate(n * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            bytes.putShort((short) samples[next + i]);
        }
        bytes.flip();
        SensorChunk chunk =
                SensorChunk.newBuilder()
                        .setDeviceId(deviceId)
                        .setSignalType(signalType)
                        .setChannel(channel)
                        .setSampleRateHz(sampleRateHz)
                        .setFirstSampleIndex(next)
                        .setFirstSampleTimeMicros(
                                startMicros + Math.round(next * 1e6 / sampleRateHz))
                        .setSamples(bytes)
                        .setGain(gain)
                        .setBaseline(baseline)
                        .setUnit(unit)
                        // The job closes the record's windows on its last chunk instead of
                        // waiting for the device's idle timeout.
                        .setEndOfRecording(skipInvalid(end) >= samples.length)
                        .build();
        next = skipInvalid(end);
        return chunk;
    }

    /**
     * The rebased start time: the record ends no later than it is sent, so no chunk lies in the
     * future of its Kafka append time. At {@code speed} x real time a record of {@code duration}
     * seconds takes {@code duration / speed} s to send, so it starts {@code duration * (1 -
     * 1/speed)} before now; as fast as possible ({@code speed = infinity}) it ends now. Aligned
     * down to {@code alignMicros} so windows line up with the record's start.
     */
    public static long rebasedStartMicros(
            long nowMicros, double durationSeconds, double speed, long alignMicros) {
        return rebasedStartMicros(nowMicros, durationSeconds, speed, alignMicros, 0);
    }

    /**
     * {@link #rebasedStartMicros(long, double, double, long)} aligned down to {@code k *
     * alignMicros + phaseMicros} instead: the start of one of the device's windows when the job
     * shifts each device's grid by its own phase.
     */
    public static long rebasedStartMicros(
            long nowMicros,
            double durationSeconds,
            double speed,
            long alignMicros,
            long phaseMicros) {
        double lead =
                Double.isInfinite(speed) ? durationSeconds : durationSeconds * (1 - 1 / speed);
        long start = nowMicros - Math.round(Math.max(0, lead) * 1e6);
        return start - Math.floorMod(start - phaseMicros, alignMicros);
    }
}
