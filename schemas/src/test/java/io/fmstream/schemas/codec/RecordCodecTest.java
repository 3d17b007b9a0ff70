package io.fmstream.schemas.codec;

import static io.fmstream.schemas.codec.Records.T0;
import static io.fmstream.schemas.codec.Records.chunk;
import static io.fmstream.schemas.codec.Records.classification;
import static io.fmstream.schemas.codec.Records.concat;
import static io.fmstream.schemas.codec.Records.deadLetterWithoutKey;
import static io.fmstream.schemas.codec.Records.ecgSamples;
import static io.fmstream.schemas.codec.Records.embedding;
import static io.fmstream.schemas.codec.Records.fingerprintBytes;
import static io.fmstream.schemas.codec.Records.floatsOf;
import static io.fmstream.schemas.codec.Records.header;
import static io.fmstream.schemas.codec.Records.regression;
import static io.fmstream.schemas.codec.Records.shortsOf;
import static io.fmstream.schemas.codec.Records.utf8;
import static io.fmstream.schemas.codec.Records.vector;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.fmstream.schemas.DeadLetter;
import io.fmstream.schemas.DeadLetterReason;
import io.fmstream.schemas.HeadKind;
import io.fmstream.schemas.Prediction;
import io.fmstream.schemas.SensorChunk;
import io.fmstream.schemas.WindowEmbedding;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificRecordBase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class RecordCodecTest {

    private final RecordCodec<SensorChunk> chunks = RecordCodec.forType(SensorChunk.class);
    private final RecordCodec<WindowEmbedding> embeddings =
            RecordCodec.forType(WindowEmbedding.class);
    private final RecordCodec<Prediction> predictions = RecordCodec.forType(Prediction.class);
    private final RecordCodec<DeadLetter> deadLetters = RecordCodec.forType(DeadLetter.class);

    // ---------------------------------------------------------------- round trips

    @Test
    void sensorChunkRoundTripsWithItsInt16LittleEndianSamples() throws DecodeException {
        short[] samples = ecgSamples(720);
        SensorChunk chunk = chunk("watch-0017", T0, samples);

        SensorChunk decoded = chunks.decode(chunks.encode(chunk));

        assertThat(decoded).isEqualTo(chunk);
        assertThat(shortsOf(decoded.getSamples())).containsExactly(samples);
        assertThat(decoded.getFirstSampleTimeMicros()).isEqualTo(1_709_280_930_000_000L);
    }

    @Test
    void decodeSharingReadsBytesInPlaceForEveryPublishedWriterAndAgreesWithDecode()
            throws Exception {
        short[] samples = ecgSamples(500);
        SensorChunk chunk = chunk("watch-0017", T0, samples);
        List<byte[]> messages = new java.util.ArrayList<>(List.of(chunks.encode(chunk)));
        for (org.apache.avro.Schema writer : WireFormat.publishedVersions("SensorChunk")) {
            var record = new org.apache.avro.generic.GenericRecordBuilder(writer);
            for (org.apache.avro.Schema.Field f : writer.getFields()) {
                Object v = chunk.get(f.name());
                record.set(
                        f.name(),
                        v instanceof Enum<?>
                                ? new org.apache.avro.generic.GenericData.EnumSymbol(
                                        f.schema(), v.toString())
                                : v);
            }
            java.nio.ByteBuffer encoded =
                    new org.apache.avro.message.BinaryMessageEncoder<
                                    org.apache.avro.generic.GenericRecord>(
                                    org.apache.avro.generic.GenericData.get(), writer)
                            .encode(record.build());
            messages.add(Arrays.copyOfRange(encoded.array(), 0, encoded.remaining()));
        }
        assertThat(messages).hasSizeGreaterThanOrEqualTo(3);

        for (byte[] message : messages) {
            byte[] before = message.clone();
            SensorChunk shared = chunks.decodeSharing(message);
            java.nio.ByteBuffer view = shared.getSamples();
            assertThat(view.array()).isSameAs(message);
            assertThat(view.position()).isZero();
            assertThat(view.remaining()).isEqualTo(1000);
            assertThat(shortsOf(view)).containsExactly(samples);
            assertThat(shared).isEqualTo(chunks.decode(message));
            assertThat(message).containsExactly(before);
        }
        // decode() still copies.
        byte[] message = messages.get(0);
        assertThat(chunks.decode(message).getSamples().array()).isNotSameAs(message);
    }

    /**
     * A device id that is not UTF-8 (a Latin-1 id) is undecodable, in both decode paths: decoded
     * leniently, "dev-\u00e9" and "dev-\u00fc" in Latin-1 both became "dev-\ufffd", one device.
     */
    @Test
    void aStringThatIsNotUtf8IsUndecodableNotReplaced() throws Exception {
        RecordCodec<SensorChunk> codec = RecordCodec.forType(SensorChunk.class);
        byte[] bytes = codec.encode(chunk("dev-Z", T0, ecgSamples(10)));
        byte[] id = "dev-Z".getBytes(StandardCharsets.US_ASCII);
        int at = indexOf(bytes, id);
        for (int latin1 : new int[] {0xE9, 0xFC}) {
            byte[] bad = bytes.clone();
            bad[at + 4] = (byte) latin1;
            for (boolean sharing : new boolean[] {false, true}) {
                assertThatThrownBy(() -> decode(codec, bad, sharing))
                        .isInstanceOf(DecodeException.class)
                        .hasMessageContaining("not UTF-8 at byte 4")
                        .extracting(e -> ((DecodeException) e).kind())
                        .isEqualTo(DecodeException.Kind.UNDECODABLE);
            }
        }
        // Well-formed multi-byte ids still decode.
        SensorChunk ok =
                codec.decode(
                        codec.encode(
                                chunk("gerät-\u00e9-\u6f22-\ud83d\udc93", T0, ecgSamples(10))));
        assertThat(ok.getDeviceId().toString()).isEqualTo("gerät-\u00e9-\u6f22-\ud83d\udc93");
    }

    @Test
    void theUtf8CheckRefusesOverlongsSurrogatesAndTruncatedSequences() {
        int[][] bad = {
            {0xC0, 0xAF}, // overlong '/'
            {0xE0, 0x80, 0xAF}, // overlong
            {0xED, 0xA0, 0x80}, // a surrogate
            {0xF4, 0x90, 0x80, 0x80}, // past U+10FFFF
            {0xE2, 0x82}, // truncated
            {0x80}, // a lone continuation byte
            {0xFF}
        };
        for (int[] b : bad) {
            byte[] bytes = new byte[b.length + 1];
            bytes[0] = 'a';
            for (int i = 0; i < b.length; i++) {
                bytes[i + 1] = (byte) b[i];
            }
            assertThat(BoundedDecoder.malformedUtf8At(bytes, bytes.length))
                    .as(Arrays.toString(b))
                    .isEqualTo(1);
        }
        byte[] good = "a\u00e9\u20ac\ud83d\udc93".getBytes(StandardCharsets.UTF_8);
        assertThat(BoundedDecoder.malformedUtf8At(good, good.length)).isEqualTo(-1);
    }

    private static SensorChunk decode(RecordCodec<SensorChunk> codec, byte[] b, boolean sharing)
            throws DecodeException {
        return sharing ? codec.decodeSharing(b) : codec.decode(b);
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }

    @Test
    void windowEmbeddingRoundTripsWithItsFloat32LittleEndianVector() throws DecodeException {
        float[] vector = vector(256);
        WindowEmbedding embedding = embedding("watch-0017", T0, vector);

        WindowEmbedding decoded = embeddings.decode(embeddings.encode(embedding));

        assertThat(decoded).isEqualTo(embedding);
        assertThat(decoded.getEmbeddingDim()).isEqualTo(256);
        float[] decodedVector = floatsOf(decoded.getEmbedding());
        for (int i = 0; i < vector.length; i++) { // bit-exact, -0.0f and subnormals included
            assertThat(Float.floatToRawIntBits(decodedVector[i]))
                    .as("element %d", i)
                    .isEqualTo(Float.floatToRawIntBits(vector[i]));
        }
    }

    @Test
    void classificationPredictionRoundTripsWithLabelAndScores() throws DecodeException {
        Prediction prediction = classification("watch-0017", T0, "AFIB", 0.07f, 0.91f, 0.02f);

        Prediction decoded = predictions.decode(predictions.encode(prediction));

        assertThat(decoded).isEqualTo(prediction);
        assertThat(decoded.getKind()).isEqualTo(HeadKind.CLASSIFICATION);
        assertThat(decoded.getLabel()).isEqualTo("AFIB");
        assertThat(decoded.getScores()).containsExactly(0.07f, 0.91f, 0.02f);
        assertThat(decoded.getValue()).isNull();
    }

    @Test
    void regressionPredictionRoundTripsWithValueAndNoLabelOrScores() throws DecodeException {
        Prediction prediction = regression("watch-0017", T0, 72.5);

        Prediction decoded = predictions.decode(predictions.encode(prediction));

        assertThat(decoded).isEqualTo(prediction);
        assertThat(decoded.getKind()).isEqualTo(HeadKind.REGRESSION);
        assertThat(decoded.getValue()).isEqualTo(72.5);
        assertThat(decoded.getLabel()).isNull();
        assertThat(decoded.getScores()).isEmpty();
    }

    @Test
    void deadLetterWithoutKeyRoundTripsWithItsPayloadByteForByte() throws DecodeException {
        byte[] original = {(byte) 0xC3, 0x01, 0x00, (byte) 0xFF, 0x7F};
        DeadLetter deadLetter =
                deadLetterWithoutKey(
                        original,
                        DeadLetterReason.UNKNOWN_SCHEMA,
                        "no SensorChunk schema with fingerprint 7fff0000ff00c301");

        DeadLetter decoded = deadLetters.decode(deadLetters.encode(deadLetter));

        assertThat(decoded).isEqualTo(deadLetter);
        assertThat(decoded.getKey()).isNull();
        assertThat(decoded.getDeviceId()).isNull();
        assertThat(decoded.getPayload().array()).containsExactly(original);
    }

    // ---------------------------------------------------------------- header

    @ParameterizedTest(name = "{0}")
    @MethodSource("oneEncodedRecordOfEachType")
    void everyEncodedRecordStartsWithMagicAndTheLittleEndianFingerprintOfTheCurrentSchema(
            String recordName, byte[] encoded) {
        long fingerprint = WireFormat.fingerprint(WireFormat.currentSchema(recordName));

        assertThat(Arrays.copyOfRange(encoded, 0, 2)).containsExactly(0xC3, 0x01);
        assertThat(Arrays.copyOfRange(encoded, 2, 10))
                .containsExactly(fingerprintBytes(fingerprint));
    }

    static List<Object[]> oneEncodedRecordOfEachType() {
        return List.of(
                new Object[] {
                    "SensorChunk",
                    RecordCodec.forType(SensorChunk.class)
                            .encode(chunk("watch-0017", T0, ecgSamples(10)))
                },
                new Object[] {
                    "WindowEmbedding",
                    RecordCodec.forType(WindowEmbedding.class)
                            .encode(embedding("watch-0017", T0, vector(8)))
                },
                new Object[] {
                    "Prediction",
                    RecordCodec.forType(Prediction.class).encode(regression("watch-0017", T0, 61.0))
                },
                new Object[] {
                    "DeadLetter",
                    RecordCodec.forType(DeadLetter.class)
                            .encode(
                                    deadLetterWithoutKey(
                                            utf8("x"), DeadLetterReason.UNDECODABLE, "bad"))
                });
    }

    // ---------------------------------------------------------------- bad input

    @Test
    void garbageBytesAreUndecodable() {
        assertUndecodable(utf8("{\"deviceId\": \"watch-0017\", \"samples\": [1, 2, 3]}"));
    }

    @Test
    void anEmptyValueIsUndecodable() {
        assertUndecodable(new byte[0]);
    }

    @Test
    void aNullValueIsUndecodable() {
        assertUndecodable(null);
    }

    @Test
    void aHeaderWithoutABodyIsUndecodable() {
        assertUndecodable(header(WireFormat.fingerprint(SensorChunk.getClassSchema())));
    }

    @Test
    void aHeaderCutShortIsUndecodable() {
        assertUndecodable(Arrays.copyOf(validChunk(), 6));
    }

    @Test
    void aRecordCutInHalfIsUndecodable() {
        byte[] valid = validChunk();
        assertUndecodable(Arrays.copyOf(valid, valid.length / 2));
    }

    @Test
    void aRecordMissingOnlyItsLastByteIsUndecodable() {
        byte[] valid = validChunk();
        assertUndecodable(Arrays.copyOf(valid, valid.length - 1));
    }

    @Test
    void aRecordFollowedByTrailingBytesIsUndecodable() {
        assertUndecodable(concat(validChunk(), new byte[] {0x00}));
    }

    @Test
    void aValidHeaderFollowedByACorruptedBodyIsUndecodable() {
        byte[] corrupted = validChunk();
        Arrays.fill(
                corrupted,
                WireFormat.HEADER_LENGTH,
                corrupted.length,
                (byte) 0xFF); // endless varints

        assertUndecodable(corrupted);
    }

    @Test
    void aWrongMagicIsUndecodableEvenWithAKnownFingerprint() {
        byte[] wrongMagic = validChunk();
        wrongMagic[1] = 0x02;

        assertUndecodable(wrongMagic);
    }

    @Test
    void anUnknownFingerprintIsAnUnknownSchema() {
        byte[] unknown = validChunk();
        System.arraycopy(fingerprintBytes(0x0123456789ABCDEFL), 0, unknown, 2, 8);

        DecodeException e = decodeFailure(chunks, unknown);

        assertThat(e.kind()).isEqualTo(DecodeException.Kind.UNKNOWN_SCHEMA);
        assertThat(e).hasMessageContaining("0123456789abcdef");
    }

    @Test
    void aRecordOfAnotherTypeIsAnUnknownSchemaNotAGarbledRecord() {
        byte[] embeddingOnTheChunkTopic = embeddings.encode(embedding("watch-0017", T0, vector(4)));

        assertThat(decodeFailure(chunks, embeddingOnTheChunkTopic).kind())
                .isEqualTo(DecodeException.Kind.UNKNOWN_SCHEMA);
    }

    // ---------------------------------------------------------------- corrupt length prefixes

    @Test
    void aStringLengthPrefixOfTwoGigabytesIsUndecodableWithoutAllocatingIt() {
        byte[] hostile =
                withSensorChunkHeader(
                        body(out -> out.writeLong(2_000_000_000L))); // deviceId length

        long allocated = bytesAllocatedWhile(() -> assertUndecodable(hostile));

        assertThat(allocated)
                .as("bytes allocated while rejecting the record")
                .isLessThan(16L << 20);
    }

    @Test
    void aBytesLengthPrefixBeyondTheJvmArrayLimitIsUndecodable() {
        // Avro itself throws UnsupportedOperationException for lengths above Integer.MAX_VALUE - 8.
        byte[] hostile =
                withSensorChunkHeader(
                        body(
                                out -> {
                                    out.writeString("watch-0017");
                                    out.writeEnum(1);
                                    out.writeString("MLII");
                                    out.writeDouble(360.0);
                                    out.writeLong(1L);
                                    out.writeLong(0L);
                                    out.writeLong(Integer.MAX_VALUE); // samples length
                                }));

        long allocated = bytesAllocatedWhile(() -> assertUndecodable(hostile));

        assertThat(allocated)
                .as("bytes allocated while rejecting the record")
                .isLessThan(16L << 20);
    }

    @Test
    void aNegativeLengthPrefixIsUndecodable() {
        assertUndecodable(withSensorChunkHeader(body(out -> out.writeLong(-5))));
    }

    @Test
    void anArrayClaimingABillionScoresIsUndecodableWithoutAllocatingThem() {
        byte[] hostile = header(WireFormat.fingerprint(Prediction.getClassSchema()));
        hostile =
                concat(
                        hostile,
                        body(
                                out -> {
                                    out.writeString("watch-0017");
                                    out.writeLong(0L);
                                    out.writeLong(10_000_000L);
                                    out.writeString("rhythm");
                                    out.writeString("rhythm-linear");
                                    out.writeString("3");
                                    out.writeString("ecg-fm-small");
                                    out.writeString("1.2.0");
                                    out.writeString("9f86d081");
                                    out.writeEnum(1);
                                    out.writeIndex(0); // label: null
                                    out.writeArrayStart();
                                    out.setItemCount(1_000_000_000L); // scores
                                    out.startItem();
                                    out.writeFloat(0.5f);
                                }));
        byte[] message = hostile;

        long allocated =
                bytesAllocatedWhile(
                        () -> {
                            DecodeException e = decodeFailure(predictions, message);
                            assertThat(e.kind()).isEqualTo(DecodeException.Kind.UNDECODABLE);
                        });

        assertThat(allocated)
                .as("bytes allocated while rejecting the record")
                .isLessThan(16L << 20);
    }

    @Test
    void anEnumIndexOutsideTheSymbolsIsUndecodable() {
        assertUndecodable(
                withSensorChunkHeader(
                        body(
                                out -> {
                                    out.writeString("watch-0017");
                                    out.writeEnum(99); // signalType
                                    out.writeString("MLII");
                                })));
    }

    // ---------------------------------------------------------------- fuzz

    @Test
    void decodingRandomBytesNeverThrowsAnythingButDecodeException() {
        Random random = new Random(20240301L);
        List<RecordCodec<?>> codecs = List.of(chunks, embeddings, predictions, deadLetters);
        List<String> names = List.of("SensorChunk", "WindowEmbedding", "Prediction", "DeadLetter");

        int bodiesRead = 0;
        for (int i = 0; i < 2_000; i++) {
            int which = i % codecs.size();
            byte[] bytes = new byte[random.nextInt(201)];
            random.nextBytes(bytes);
            if (i % 2 == 0) { // as much of the real header as fits
                byte[] header =
                        header(WireFormat.fingerprint(WireFormat.currentSchema(names.get(which))));
                System.arraycopy(header, 0, bytes, 0, Math.min(header.length, bytes.length));
            }

            Throwable thrown = catchThrowable(() -> codecs.get(which).decode(bytes));

            if (thrown != null) {
                assertThat(thrown)
                        .as("decoding %s as %s", Arrays.toString(bytes), names.get(which))
                        .isInstanceOf(DecodeException.class);
            }
            if (thrown == null || thrown.getMessage().startsWith("invalid")) {
                bodiesRead++;
            }
        }
        assertThat(bodiesRead)
                .as("random values that got past the header into the body")
                .isGreaterThan(500);
    }

    @Test
    void decodingRandomlyMutatedRecordsNeverThrowsAnythingButDecodeException() {
        Random random = new Random(7L);
        byte[][] valid = {
            chunks.encode(chunk("watch-0017", T0, ecgSamples(40))),
            embeddings.encode(embedding("watch-0017", T0, vector(16))),
            predictions.encode(classification("watch-0017", T0, "NSR", 0.8f, 0.2f)),
            deadLetters.encode(
                    deadLetterWithoutKey(
                            utf8("garbage"), DeadLetterReason.UNDECODABLE, "bad magic")),
        };
        List<RecordCodec<?>> codecs = List.of(chunks, embeddings, predictions, deadLetters);

        for (int i = 0; i < 2_000; i++) {
            int which = i % codecs.size();
            byte[] bytes = valid[which].clone();
            for (int flips = 1 + random.nextInt(3);
                    flips > 0;
                    flips--) { // body only: the header is tested above
                int at =
                        WireFormat.HEADER_LENGTH
                                + random.nextInt(bytes.length - WireFormat.HEADER_LENGTH);
                bytes[at] = (byte) random.nextInt(256);
            }

            Throwable thrown = catchThrowable(() -> codecs.get(which).decode(bytes));

            if (thrown != null) {
                assertThat(thrown)
                        .as("decoding %s", Arrays.toString(bytes))
                        .isInstanceOf(DecodeException.class);
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    private byte[] validChunk() {
        return chunks.encode(chunk("watch-0017", T0, ecgSamples(64)));
    }

    private void assertUndecodable(byte[] bytes) {
        assertThat(decodeFailure(chunks, bytes).kind()).isEqualTo(DecodeException.Kind.UNDECODABLE);
    }

    private static DecodeException decodeFailure(
            RecordCodec<? extends SpecificRecordBase> codec, byte[] bytes) {
        Throwable thrown = catchThrowable(() -> codec.decode(bytes));
        assertThat(thrown).isExactlyInstanceOf(DecodeException.class);
        return (DecodeException) thrown;
    }

    private interface BodyWriter {
        void write(BinaryEncoder out) throws IOException;
    }

    /** A hand-written Avro binary body, for records no well-behaved writer would produce. */
    private static byte[] body(BodyWriter writer) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            BinaryEncoder out = EncoderFactory.get().directBinaryEncoder(bytes, null);
            writer.write(out);
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] withSensorChunkHeader(byte[] body) {
        return concat(header(WireFormat.fingerprint(SensorChunk.getClassSchema())), body);
    }

    /**
     * Bytes the current thread allocated while running {@code action} (HotSpot's per-thread
     * counter).
     */
    private static long bytesAllocatedWhile(Runnable action) {
        java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        assumeThat(bean).isInstanceOf(com.sun.management.ThreadMXBean.class);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) bean;
        assumeThat(threads.isThreadAllocatedMemorySupported()).isTrue();
        threads.setThreadAllocatedMemoryEnabled(true);
        long before = threads.getThreadAllocatedBytes(Thread.currentThread().getId());
        action.run();
        return threads.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;
    }
}
