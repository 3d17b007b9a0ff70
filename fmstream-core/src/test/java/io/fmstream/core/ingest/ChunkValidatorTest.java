package io.fmstream.core.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.core.records.SourceRef;
import io.fmstream.schemas.DeadLetterReason;
import io.fmstream.schemas.SensorChunk;
import io.fmstream.schemas.SignalType;
import io.fmstream.schemas.codec.RecordCodec;
import java.nio.ByteBuffer;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Every verdict of the validator, including hostile values at the limits of their types. */
class ChunkValidatorTest {

    private static final long APPEND_MILLIS = 1_764_720_000_000L;
    private static final RecordCodec<SensorChunk> CODEC = RecordCodec.forType(SensorChunk.class);

    private final ChunkValidator validator =
            new ChunkValidator(ValidationRules.DEFAULTS, SignalType.ECG);

    @Test
    void acceptsAWellFormedChunk() {
        ChunkValidator.Result r = validate(c -> {});
        assertThat(r.deadLetter).isNull();
        assertThat(r.chunk.sampleCount()).isEqualTo(250);
    }

    @Test
    void convertsVoltsAndMicrovoltsToTheMillivoltsTheEncoderWasTrainedOn() {
        // the same ADC counts: 200 per mV, said in three units
        assertThat(validate(c -> c.setGain(200)).chunk.gain).isEqualTo(200);
        assertThat(validate(c -> c.setUnit("")).chunk.gain).as("WFDB's default").isEqualTo(200);
        assertThat(
                        validate(
                                        c -> {
                                            c.setUnit("V");
                                            c.setGain(200_000);
                                        })
                                .chunk
                                .gain)
                .isEqualTo(200);
        assertThat(
                        validate(
                                        c -> {
                                            c.setUnit("uV");
                                            c.setGain(0.2);
                                        })
                                .chunk
                                .gain)
                .isCloseTo(200, org.assertj.core.api.Assertions.within(1e-9));
        assertThat(
                        validate(
                                        c -> {
                                            c.setUnit("\u00b5V");
                                            c.setGain(0.2);
                                        })
                                .chunk
                                .gain)
                .isCloseTo(200, org.assertj.core.api.Assertions.within(1e-9));
        ChunkValidator.Result pressure = validate(c -> c.setUnit("mmHg"));
        assertThat(pressure.deadLetter.reason).isEqualTo(DeadLetterReason.UNSUPPORTED_SIGNAL);
        assertThat(pressure.deadLetter.detail).contains("unit 'mmHg' is not a voltage");
        assertThat(validate(c -> c.setUnit("MV")).deadLetter.reason)
                .as("megavolts, not millivolts")
                .isEqualTo(DeadLetterReason.UNSUPPORTED_SIGNAL);
    }

    @Test
    void readsTheSamplesInPlaceFromThePayloadItKeeps() {
        byte[] raw = new byte[500];
        for (int i = 0; i < raw.length; i++) {
            raw[i] = (byte) (i * 7);
        }
        ChunkValidator.Result r = validate(c -> c.setSamples(ByteBuffer.wrap(raw)));
        byte[] payload = r.chunk.source.payload;
        assertThat(r.chunk.samples).isNull();
        assertThat(r.chunk.sampleArray()).isSameAs(payload);
        assertThat(r.chunk.sampleByteCount()).isEqualTo(500);
        assertThat(
                        java.util.Arrays.copyOfRange(
                                payload, r.chunk.sampleOffset(), r.chunk.sampleOffset() + 500))
                .containsExactly(raw);
    }

    @Test
    void rejectsADeviceIdLongerThanTheLimitAndKeepsOnlyItsPrefix() {
        ChunkValidator.Result r = validate(c -> c.setDeviceId("x".repeat(100_000)));
        assertThat(r.deadLetter.reason).isEqualTo(DeadLetterReason.UNDECODABLE);
        assertThat(r.deadLetter.detail).contains("100000 characters exceeds the limit of 128");
        assertThat(r.deadLetter.deviceId).hasSize(128);
        assertThat(validate(c -> c.setDeviceId("x".repeat(128))).deadLetter).isNull();
        // The cut would fall inside a surrogate pair (U+1F493 at chars 127-128): the pair goes.
        String emoji = "x".repeat(127) + "\uD83D\uDC93" + "x".repeat(10);
        ChunkValidator.Result split = validate(c -> c.setDeviceId(emoji));
        assertThat(split.deadLetter.deviceId).isEqualTo("x".repeat(127));
    }

    @Test
    void timestampsAtTheLimitsOfLongNeitherOverflowNorPass() {
        assertThat(validate(c -> c.setFirstSampleTimeMicros(Long.MAX_VALUE)).deadLetter.reason)
                .isEqualTo(DeadLetterReason.FUTURE);
        assertThat(validate(c -> c.setFirstSampleTimeMicros(Long.MAX_VALUE - 1)).deadLetter.reason)
                .isEqualTo(DeadLetterReason.FUTURE);
        ChunkValidator.Result min = validate(c -> c.setFirstSampleTimeMicros(Long.MIN_VALUE));
        assertThat(min.deadLetter.reason).isEqualTo(DeadLetterReason.INCONSISTENT_STREAM);
        assertThat(min.deadLetter.detail).contains("before 1970");
    }

    @Test
    void indicesThatClaimAStreamLongerThanACenturyAreInconsistent() {
        ChunkValidator.Result r = validate(c -> c.setFirstSampleIndex(Long.MAX_VALUE));
        assertThat(r.deadLetter.reason).isEqualTo(DeadLetterReason.INCONSISTENT_STREAM);
        assertThat(r.deadLetter.detail).contains("longer than 100 years");
        assertThat(validate(c -> c.setFirstSampleIndex(-1)).deadLetter.reason)
                .isEqualTo(DeadLetterReason.INCONSISTENT_STREAM);
        // A decade-long stream is fine.
        assertThat(
                        validate(
                                        c -> {
                                            c.setFirstSampleIndex(250L * 3600 * 24 * 3650);
                                        })
                                .deadLetter)
                .isNull();
    }

    @Test
    void namesEveryOtherReason() {
        assertThat(validate(c -> c.setSignalType(SignalType.PPG)).deadLetter.reason)
                .isEqualTo(DeadLetterReason.UNSUPPORTED_SIGNAL);
        assertThat(validate(c -> c.setSampleRateHz(Double.NaN)).deadLetter.reason)
                .isEqualTo(DeadLetterReason.BAD_SAMPLE_RATE);
        assertThat(validate(c -> c.setGain(Double.POSITIVE_INFINITY)).deadLetter.reason)
                .isEqualTo(DeadLetterReason.NON_FINITE);
        assertThat(validate(c -> c.setSamples(ByteBuffer.allocate(0))).deadLetter.reason)
                .isEqualTo(DeadLetterReason.EMPTY_CHUNK);
        assertThat(validate(c -> c.setSamples(ByteBuffer.allocate(3))).deadLetter.reason)
                .isEqualTo(DeadLetterReason.MALFORMED_SAMPLES);
        assertThat(validate(c -> c.setSamples(ByteBuffer.allocate(240_002))).deadLetter.reason)
                .isEqualTo(DeadLetterReason.OVERSIZED_CHUNK);
        assertThat(validate(c -> c.setDeviceId(" ")).deadLetter.reason)
                .isEqualTo(DeadLetterReason.UNDECODABLE);
        ChunkValidator.Result garbage =
                validator.validate(source(new byte[] {(byte) 0xC3, 1, 2, 3}));
        assertThat(garbage.deadLetter.reason)
                .isIn(DeadLetterReason.UNDECODABLE, DeadLetterReason.UNKNOWN_SCHEMA);
    }

    private ChunkValidator.Result validate(Consumer<SensorChunk> change) {
        SensorChunk c =
                SensorChunk.newBuilder()
                        .setDeviceId("dev-1")
                        .setSignalType(SignalType.ECG)
                        .setSampleRateHz(250)
                        .setFirstSampleTimeMicros(APPEND_MILLIS * 1000 - 2_000_000)
                        .setFirstSampleIndex(0)
                        .setSamples(ByteBuffer.allocate(500))
                        .setGain(200)
                        .build();
        change.accept(c);
        return validator.validate(source(CODEC.encode(c)));
    }

    private static SourceRef source(byte[] payload) {
        return new SourceRef("sensor", 0, 0, APPEND_MILLIS, null, payload);
    }
}
