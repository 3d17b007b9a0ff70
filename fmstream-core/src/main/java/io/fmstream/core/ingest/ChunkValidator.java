package io.fmstream.core.ingest;

import io.fmstream.core.records.ChunkRecord;
import io.fmstream.core.records.DeadLetterRecord;
import io.fmstream.core.records.SourceRef;
import io.fmstream.core.signal.Int16Samples;
import io.fmstream.schemas.DeadLetterReason;
import io.fmstream.schemas.SensorChunk;
import io.fmstream.schemas.SignalType;
import io.fmstream.schemas.codec.DecodeException;
import io.fmstream.schemas.codec.RecordCodec;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * Decodes a raw Kafka value into a {@link ChunkRecord} or says precisely why it cannot be used.
 *
 * <p>Every failure becomes a {@link DeadLetterRecord} with the original bytes; nothing here throws
 * for bad input. Time checks compare the chunk with its own Kafka append time, never with the wall
 * clock, so replaying an old topic gives the same verdicts. Not thread-safe (the Avro decoder
 * reuses buffers): one instance per operator.
 */
public final class ChunkValidator {

    private final ValidationRules rules;
    private final SignalType served;
    private final RecordCodec<SensorChunk> codec = RecordCodec.forType(SensorChunk.class);

    /**
     * @param served the signal type the bundle's encoder takes (its manifest's {@code signalType});
     *     chunks of any other type are dead letters {@code UNSUPPORTED_SIGNAL}
     */
    public ChunkValidator(ValidationRules rules, SignalType served) {
        this.rules = Objects.requireNonNull(rules, "rules");
        this.served = Objects.requireNonNull(served, "served");
    }

    /** Either a valid chunk or a dead letter; exactly one of the two is non-null. */
    public static final class Result {
        public final ChunkRecord chunk;
        public final DeadLetterRecord deadLetter;

        private Result(ChunkRecord chunk, DeadLetterRecord deadLetter) {
            this.chunk = chunk;
            this.deadLetter = deadLetter;
        }
    }

    public Result validate(SourceRef source) {
        SensorChunk decoded;
        try {
            // Samples read in place from the payload, which the chunk keeps for dead letters.
            decoded = codec.decodeSharing(source.payload);
        } catch (DecodeException e) {
            DeadLetterReason reason =
                    e.kind() == DecodeException.Kind.UNKNOWN_SCHEMA
                            ? DeadLetterReason.UNKNOWN_SCHEMA
                            : DeadLetterReason.UNDECODABLE;
            return reject(source, reason, e.getMessage(), null);
        }
        String device = decoded.getDeviceId();
        if (device == null || device.isBlank()) {
            return reject(source, DeadLetterReason.UNDECODABLE, "empty deviceId", null);
        }
        if (device.length() > rules.maxDeviceIdLength()) {
            // Truncated in the dead letter too: a hostile id must not flood the topic.
            return reject(
                    source,
                    DeadLetterReason.UNDECODABLE,
                    "deviceId of "
                            + device.length()
                            + " characters exceeds the limit of "
                            + rules.maxDeviceIdLength(),
                    prefix(device, rules.maxDeviceIdLength()));
        }
        if (decoded.getSignalType() != served) {
            return reject(
                    source,
                    DeadLetterReason.UNSUPPORTED_SIGNAL,
                    "signal type "
                            + decoded.getSignalType()
                            + " is not served by this job (its bundle's encoder takes "
                            + served
                            + ")",
                    device);
        }
        double rate = decoded.getSampleRateHz();
        if (!(rate >= rules.minSampleRateHz() && rate <= rules.maxSampleRateHz())) {
            return reject(
                    source,
                    DeadLetterReason.BAD_SAMPLE_RATE,
                    "sample rate "
                            + rate
                            + " Hz outside ["
                            + rules.minSampleRateHz()
                            + ", "
                            + rules.maxSampleRateHz()
                            + "] Hz",
                    device);
        }
        double gain = decoded.getGain();
        if (!Double.isFinite(gain) || gain <= 0) {
            return reject(
                    source,
                    DeadLetterReason.NON_FINITE,
                    "gain " + gain + " must be finite and > 0",
                    device);
        }
        // The job works in mV (the encoder was trained on mV, and the z-score's floor is in mV):
        // a chunk in V or uV is converted through its gain; the unit was never read, so a device
        // declaring volts was served 1000 times too small, under the floor.
        double mvPerUnit = millivoltsPer(decoded.getUnit());
        if (Double.isNaN(mvPerUnit)) {
            return reject(
                    source,
                    DeadLetterReason.UNSUPPORTED_SIGNAL,
                    "unit '"
                            + decoded.getUnit()
                            + "' is not a voltage the job converts (mV, V, uV)",
                    device);
        }
        gain = gain / mvPerUnit;
        // The largest physical value any int16 sample maps to must be a finite float: a gain of
        // 1e-40 made infinite samples, NaN windows after normalisation, and an encoder fed NaN.
        double extreme = (Math.abs((double) decoded.getBaseline()) + 32768) / gain;
        if (!(extreme <= Float.MAX_VALUE)) {
            return reject(
                    source,
                    DeadLetterReason.NON_FINITE,
                    "gain "
                            + gain
                            + " with baseline "
                            + decoded.getBaseline()
                            + " maps int16 samples beyond the float range",
                    device);
        }
        if (decoded.getFirstSampleIndex() < 0) {
            return reject(
                    source,
                    DeadLetterReason.INCONSISTENT_STREAM,
                    "negative firstSampleIndex " + decoded.getFirstSampleIndex(),
                    device);
        }
        long firstMicros = decoded.getFirstSampleTimeMicros();
        if (firstMicros < 0) {
            return reject(
                    source,
                    DeadLetterReason.INCONSISTENT_STREAM,
                    "firstSampleTimeMicros " + firstMicros + " is before 1970",
                    device);
        }
        if (decoded.getFirstSampleIndex() / rate > ValidationRules.MAX_STREAM_SECONDS) {
            return reject(
                    source,
                    DeadLetterReason.INCONSISTENT_STREAM,
                    "firstSampleIndex "
                            + decoded.getFirstSampleIndex()
                            + " at "
                            + rate
                            + " Hz claims a stream longer than 100 years",
                    device);
        }
        long appendMicros = source.appendTimeMillis * 1000L;
        // Compared before any arithmetic on the timestamp, so that values near Long.MAX_VALUE
        // cannot overflow into the past.
        if (firstMicros > appendMicros + rules.maxFutureMicros()) {
            return reject(
                    source,
                    DeadLetterReason.FUTURE,
                    "first sample at "
                            + firstMicros
                            + " us is after the record's Kafka append time "
                            + source.appendTimeMillis
                            + " ms plus the allowed "
                            + rules.maxFutureMicros() / 1_000_000.0
                            + " s",
                    device);
        }
        ByteBuffer buffer = decoded.getSamples();
        int bytes = buffer.remaining();
        if (bytes == 0) {
            return reject(source, DeadLetterReason.EMPTY_CHUNK, "no samples", device);
        }
        if (bytes % 2 != 0) {
            return reject(
                    source,
                    DeadLetterReason.MALFORMED_SAMPLES,
                    "samples field has " + bytes + " bytes, not a whole number of int16 values",
                    device);
        }
        int count = bytes / 2;
        if (count > rules.maxSamplesPerChunk()) {
            return reject(
                    source,
                    DeadLetterReason.OVERSIZED_CHUNK,
                    count + " samples exceed the limit of " + rules.maxSamplesPerChunk(),
                    device);
        }
        byte[] raw;
        int at;
        // A view of the payload, unless a writer's samples field needed converting (a string
        // read as bytes): then a copy, as before.
        if (buffer.hasArray() && buffer.array() == source.payload) {
            raw = null;
            at = buffer.arrayOffset() + buffer.position();
        } else {
            raw = new byte[bytes];
            buffer.duplicate().get(raw);
            at = 0;
        }
        byte[] in = raw != null ? raw : source.payload;
        int saturated = 0;
        for (int i = 0; i < count; i++) {
            short v = Int16Samples.at(in, at, i);
            if (v == Short.MAX_VALUE || v == Short.MIN_VALUE) {
                saturated++;
            }
        }
        if (saturated > rules.maxSaturatedFraction() * count) {
            return reject(
                    source,
                    DeadLetterReason.SATURATED,
                    saturated
                            + " of "
                            + count
                            + " samples at the int16 limits (max fraction "
                            + rules.maxSaturatedFraction()
                            + ")",
                    device);
        }
        ChunkRecord chunk = new ChunkRecord();
        chunk.deviceId = device;
        chunk.sampleRateHz = rate;
        chunk.firstSampleTimeMicros = firstMicros;
        chunk.firstSampleIndex = decoded.getFirstSampleIndex();
        chunk.samples = raw;
        if (raw == null) {
            chunk.samplesOffset = at;
            chunk.samplesLength = bytes;
        }
        chunk.gain = gain;
        chunk.baseline = decoded.getBaseline();
        chunk.source = source;
        chunk.endOfRecording = decoded.getEndOfRecording();
        long lastSampleMicros = chunk.firstSampleTimeMicros + Math.round((count - 1) * 1e6 / rate);
        if (lastSampleMicros - appendMicros > rules.maxFutureMicros()) {
            return reject(
                    source,
                    DeadLetterReason.FUTURE,
                    "last sample at "
                            + lastSampleMicros
                            + " us is "
                            + (lastSampleMicros - appendMicros) / 1_000_000.0
                            + " s after the record's Kafka append time "
                            + source.appendTimeMillis
                            + " ms",
                    device);
        }
        return new Result(chunk, null);
    }

    /**
     * Millivolts per unit of {@code unit}, NaN for a unit that is not a voltage. Blank is WFDB's
     * default, mV. Case matters: "MV" would be megavolts.
     */
    static double millivoltsPer(String unit) {
        String u = unit == null ? "" : unit.strip();
        switch (u) {
            case "":
            case "mV":
                return 1;
            case "V":
                return 1000;
            case "uV":
            case "\u00b5V": // micro sign
            case "\u03bcV": // Greek mu
                return 0.001;
            default:
                return Double.NaN;
        }
    }

    private static Result reject(
            SourceRef source, DeadLetterReason reason, String detail, String device) {
        return new Result(null, new DeadLetterRecord(source, reason, detail, device));
    }

    /**
     * The first {@code max} chars of {@code s}, one fewer where the cut would split a surrogate
     * pair: a lone high surrogate is not valid UTF-8 and would reach the dead letter as '?'.
     */
    static String prefix(String s, int max) {
        int end = Character.isHighSurrogate(s.charAt(max - 1)) ? max - 1 : max;
        return s.substring(0, end);
    }
}
