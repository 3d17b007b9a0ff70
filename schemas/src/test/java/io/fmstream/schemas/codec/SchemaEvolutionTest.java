package io.fmstream.schemas.codec;

import static io.fmstream.schemas.codec.Records.T0;
import static io.fmstream.schemas.codec.Records.chunk;
import static io.fmstream.schemas.codec.Records.ecgSamples;
import static io.fmstream.schemas.codec.Records.fingerprintBytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.fmstream.schemas.SensorChunk;
import io.fmstream.schemas.SignalType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.specific.SpecificData;
import org.junit.jupiter.api.Test;

/**
 * Evolves SensorChunk the way the next real version would: "next" (test-only, under {@code
 * src/test/resources/evolution/}) is the latest published version plus {@code firmwareVersion:
 * string, default ""}. In the names below V1 is that latest published version (today v2) and V2 the
 * hypothetical next one. Every exchange goes through single-object encoding, so the reader has to
 * find the writer schema by the fingerprint in the header.
 */
class SchemaEvolutionTest {

    private static final Schema V1 = latest(WireFormat.publishedVersions("SensorChunk"));
    private static final Schema V2 = parse(resource("/evolution/SensorChunk.next.avsc"));

    private static Schema latest(java.util.List<Schema> versions) {
        return versions.get(versions.size() - 1);
    }

    @Test
    void theTestV2IsTheCurrentSensorChunkPlusOneField() {
        assertThat(WireFormat.fingerprint(V1))
                .isEqualTo(WireFormat.fingerprint(SensorChunk.getClassSchema()));
        assertThat(V2.getFields()).hasSize(V1.getFields().size() + 1);
        assertThat(WireFormat.fingerprint(V2)).isNotEqualTo(WireFormat.fingerprint(V1));
    }

    @Test
    void aV1ChunkReadWithV2GetsTheDefaultFirmwareVersionAndEveryOtherFieldUnchanged()
            throws IOException {
        SensorChunk written = chunk("watch-0017", T0, ecgSamples(360));
        byte[] v1Bytes =
                RecordCodec.forType(SensorChunk.class).encode(written); // today's producers
        BinaryMessageDecoder<GenericRecord> v2Reader =
                new BinaryMessageDecoder<>(GenericData.get(), V2);
        v2Reader.addSchema(V1);

        GenericRecord read = v2Reader.decode(v1Bytes);

        assertThat(Arrays.copyOfRange(v1Bytes, 2, 10))
                .containsExactly(fingerprintBytes(WireFormat.fingerprint(V1)));
        assertThat(read.getSchema()).isEqualTo(V2);
        assertThat(read.get("firmwareVersion")).isEqualTo("");
        for (Schema.Field field : V1.getFields()) {
            assertThat(plain(read.get(field.name())))
                    .as(field.name())
                    .isEqualTo(plain(written.get(field.name())));
        }
    }

    @Test
    void aV2ReaderThatWasNotToldAboutV1CannotResolveItsFingerprint() {
        byte[] v1Bytes =
                RecordCodec.forType(SensorChunk.class)
                        .encode(chunk("watch-0017", T0, ecgSamples(8)));
        BinaryMessageDecoder<GenericRecord> v2Only =
                new BinaryMessageDecoder<>(GenericData.get(), V2);

        assertThatThrownBy(() -> v2Only.decode(v1Bytes)).isInstanceOf(MissingSchemaException.class);
    }

    @Test
    void aV2ChunkReadWithV1IgnoresTheFirmwareVersion() throws IOException {
        SensorChunk chunk = chunk("watch-0017", T0, ecgSamples(360));
        byte[] v2Bytes = encodeWithV2(chunk, "fw-4.7.1");
        BinaryMessageDecoder<GenericRecord> v1Reader =
                new BinaryMessageDecoder<>(GenericData.get(), V1);
        v1Reader.addSchema(V2);

        GenericRecord read = v1Reader.decode(v2Bytes);

        assertThat(Arrays.copyOfRange(v2Bytes, 2, 10))
                .containsExactly(fingerprintBytes(WireFormat.fingerprint(V2)));
        assertThat(read.getSchema()).isEqualTo(V1);
        assertThat(read.hasField("firmwareVersion")).isFalse();
        for (Schema.Field field : V1.getFields()) {
            assertThat(plain(read.get(field.name())))
                    .as(field.name())
                    .isEqualTo(plain(chunk.get(field.name())));
        }
    }

    @Test
    void aV2ChunkReadIntoTheGeneratedV1ClassEqualsTheChunkWithoutFirmwareVersion()
            throws IOException {
        SensorChunk chunk = chunk("watch-0017", T0, ecgSamples(360));
        byte[] v2Bytes = encodeWithV2(chunk, "fw-4.7.1");
        BinaryMessageDecoder<SensorChunk> current =
                new BinaryMessageDecoder<>(
                        SpecificData.getForClass(SensorChunk.class), SensorChunk.getClassSchema());
        current.addSchema(V2);

        assertThat(current.decode(v2Bytes)).isEqualTo(chunk);
    }

    @Test
    void recordCodecRejectsAV2ChunkAsAnUnknownSchemaUntilV2IsPublished() {
        byte[] v2Bytes = encodeWithV2(chunk("watch-0017", T0, ecgSamples(360)), "fw-4.7.1");

        DecodeException e =
                catchThrowableOfType(
                        DecodeException.class,
                        () -> RecordCodec.forType(SensorChunk.class).decode(v2Bytes));

        assertThat(e.kind()).isEqualTo(DecodeException.Kind.UNKNOWN_SCHEMA);
        assertThat(e).hasMessageContaining(String.format("%016x", WireFormat.fingerprint(V2)));
    }

    @Test
    void v1AndV2CanReadEachOther() {
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(V2, V1).getType())
                .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(V1, V2).getType())
                .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
    }

    @Test
    void aV1ReaderSeesUnknownForASignalTypeAddedByANewerWriter() throws IOException {
        Schema withEeg =
                parse(V2.toString().replace("\"ACCELEROMETER\"]", "\"ACCELEROMETER\",\"EEG\"]"));
        assertThat(withEeg.getField("signalType").schema().getEnumSymbols()).contains("EEG");
        GenericRecord eegChunk =
                v2Record(withEeg, chunk("headband-03", T0, ecgSamples(16)), "fw-1.0.0");
        eegChunk.put(
                "signalType",
                new GenericData.EnumSymbol(withEeg.getField("signalType").schema(), "EEG"));
        byte[] bytes = encode(withEeg, eegChunk);
        BinaryMessageDecoder<SensorChunk> current =
                new BinaryMessageDecoder<>(
                        SpecificData.getForClass(SensorChunk.class), SensorChunk.getClassSchema());
        current.addSchema(withEeg);

        SensorChunk read = current.decode(bytes);

        assertThat(read.getSignalType()).isEqualTo(SignalType.UNKNOWN);
        assertThat(read.getDeviceId()).isEqualTo("headband-03");
    }

    // ---------------------------------------------------------------- helpers

    /** {@code chunk} as a v2 producer would write it, with {@code firmwareVersion} set. */
    private static byte[] encodeWithV2(SensorChunk chunk, String firmwareVersion) {
        return encode(V2, v2Record(V2, chunk, firmwareVersion));
    }

    private static GenericRecord v2Record(Schema v2, SensorChunk chunk, String firmwareVersion) {
        GenericRecordBuilder builder = new GenericRecordBuilder(v2);
        for (Schema.Field field : V1.getFields()) {
            Object value = chunk.get(field.name());
            if (value instanceof Enum<?>) {
                value =
                        new GenericData.EnumSymbol(
                                v2.getField(field.name()).schema(), value.toString());
            }
            builder.set(field.name(), value);
        }
        return builder.set("firmwareVersion", firmwareVersion).build();
    }

    private static byte[] encode(Schema writer, GenericRecord record) {
        try {
            ByteBuffer buffer =
                    new BinaryMessageEncoder<GenericRecord>(GenericData.get(), writer)
                            .encode(record);
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Field values compared by content: enums by symbol, strings whatever their Java class. */
    private static Object plain(Object value) {
        if (value instanceof Enum<?>
                || value instanceof GenericData.EnumSymbol
                || value instanceof CharSequence) {
            return value.toString();
        }
        return value;
    }

    private static Schema parse(String json) {
        return new Schema.Parser().parse(json);
    }

    private static String resource(String path) {
        try (InputStream in = SchemaEvolutionTest.class.getResourceAsStream(path)) {
            assertThat(in).as(path).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
