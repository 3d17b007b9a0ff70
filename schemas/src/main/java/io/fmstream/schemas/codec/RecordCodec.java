package io.fmstream.schemas.codec;

import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecordBase;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

/**
 * Encodes and decodes one generated record type in the single-object wire format.
 *
 * <p>Decoding accepts every published writer version of the record (resolved to the current
 * schema) and reports failures as a {@link DecodeException} with a precise {@link
 * DecodeException.Kind}, so callers can turn bad input into dead letters instead of crashing.
 * Instances are not thread-safe (Avro reuses internal buffers); create one per operator.
 */
public final class RecordCodec<T extends SpecificRecordBase> {

    private final Class<T> type;
    private final BinaryMessageEncoder<T> encoder;
    private final BinaryMessageDecoder<T> decoder;

    private RecordCodec(Class<T> type, Schema current) {
        this.type = type;
        SpecificData model = SpecificData.getForClass(type);
        this.encoder = new BinaryMessageEncoder<>(model, current);
        this.decoder = new BinaryMessageDecoder<>(model, current);
        for (Schema published : WireFormat.publishedVersions(current.getName())) {
            decoder.addSchema(published);
        }
    }

    public static <T extends SpecificRecordBase> RecordCodec<T> forType(Class<T> type) {
        return new RecordCodec<>(type, SpecificData.get().getSchema(type));
    }

    public byte[] encode(T record) {
        try {
            ByteBuffer buffer = encoder.encode(record);
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot encode " + type.getSimpleName(), e);
        }
    }

    /** Decodes a record; never throws anything but {@link DecodeException}. */
    public T decode(byte[] bytes) throws DecodeException {
        if (bytes == null || bytes.length == 0) {
            throw new DecodeException(DecodeException.Kind.UNDECODABLE, "empty value");
        }
        try {
            return decoder.decode(bytes);
        } catch (MissingSchemaException e) {
            throw new DecodeException(
                    DecodeException.Kind.UNKNOWN_SCHEMA,
                    "no " + type.getSimpleName() + " schema with fingerprint " + headerFingerprint(bytes));
        } catch (BadHeaderException e) {
            throw new DecodeException(DecodeException.Kind.UNDECODABLE, "not single-object encoded: " + e.getMessage());
        } catch (IOException | AvroRuntimeException | IndexOutOfBoundsException | NegativeArraySizeException
                | ClassCastException | IllegalArgumentException e) {
            throw new DecodeException(
                    DecodeException.Kind.UNDECODABLE,
                    "invalid " + type.getSimpleName() + " body: " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private static String headerFingerprint(byte[] bytes) {
        if (bytes.length < WireFormat.HEADER_LENGTH) {
            return "(truncated header)";
        }
        long fp = ByteBuffer.wrap(bytes, 2, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        return String.format("%016x", fp);
    }
}
