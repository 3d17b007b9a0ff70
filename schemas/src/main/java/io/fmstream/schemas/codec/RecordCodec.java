package io.fmstream.schemas.codec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.io.DatumReader;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecordBase;

/**
 * Encodes and decodes one generated record type in the single-object wire format.
 *
 * <p>Decoding accepts every published writer version of the record (resolved to the current schema)
 * and reports failures as a {@link DecodeException} with a precise {@link DecodeException.Kind}, so
 * callers can turn bad input into dead letters instead of crashing. Decoding never allocates more
 * than the input can hold: a corrupt length prefix fails as {@code UNDECODABLE} instead of asking
 * the heap for gigabytes (see {@link BoundedDecoder}). A body must be consumed exactly; trailing
 * bytes after the record are {@code UNDECODABLE} too. Instances are not thread-safe (Avro reuses
 * internal buffers); create one per operator.
 */
public final class RecordCodec<T extends SpecificRecordBase> {

    private final Class<T> type;
    private final BinaryMessageEncoder<T> encoder;

    /**
     * One reader per known writer fingerprint, each resolving that writer to the current schema.
     */
    private final Map<Long, DatumReader<T>> readers = new HashMap<>();

    private final BoundedDecoder body = new BoundedDecoder();

    private RecordCodec(Class<T> type, Schema current) {
        this.type = type;
        SpecificData model = SpecificData.getForClass(type);
        this.encoder = new BinaryMessageEncoder<>(model, current);
        addWriter(model, current, current);
        for (Schema published : WireFormat.publishedVersions(current.getName())) {
            addWriter(model, published, current);
        }
    }

    private void addWriter(SpecificData model, Schema writer, Schema current) {
        requireNonEmptyArrayItems(
                writer, writer, Collections.newSetFromMap(new IdentityHashMap<>()));
        readers.put(
                WireFormat.fingerprint(writer), new SpecificDatumReader<>(writer, current, model));
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
        return decode(bytes, false);
    }

    /**
     * As {@link #decode}, except that each {@code bytes} field of the record is a view of {@code
     * bytes} (a heap buffer whose {@code array()} is {@code bytes} and whose {@code arrayOffset()}
     * is where the value starts) instead of a copy. For a caller that keeps the message anyway and
     * wants a large {@code bytes} field without copying it; neither may be written to afterwards.
     */
    public T decodeSharing(byte[] bytes) throws DecodeException {
        return decode(bytes, true);
    }

    private T decode(byte[] bytes, boolean shareBytes) throws DecodeException {
        if (bytes == null || bytes.length == 0) {
            throw new DecodeException(DecodeException.Kind.UNDECODABLE, "empty value");
        }
        if (bytes.length < WireFormat.HEADER_LENGTH) {
            throw new DecodeException(
                    DecodeException.Kind.UNDECODABLE,
                    "not single-object encoded: "
                            + bytes.length
                            + " bytes is shorter than the header");
        }
        if (bytes[0] != WireFormat.MAGIC[0] || bytes[1] != WireFormat.MAGIC[1]) {
            throw new DecodeException(
                    DecodeException.Kind.UNDECODABLE,
                    String.format(
                            "not single-object encoded: magic %02X %02X",
                            bytes[0] & 0xFF, bytes[1] & 0xFF));
        }
        long fingerprint = ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        DatumReader<T> reader = readers.get(fingerprint);
        if (reader == null) {
            throw new DecodeException(
                    DecodeException.Kind.UNKNOWN_SCHEMA,
                    "no "
                            + type.getSimpleName()
                            + " schema with fingerprint "
                            + String.format("%016x", fingerprint));
        }
        try {
            body.reset(
                    bytes,
                    WireFormat.HEADER_LENGTH,
                    bytes.length - WireFormat.HEADER_LENGTH,
                    shareBytes);
            T record = reader.read(null, body);
            if (body.remaining() != 0) {
                throw new DecodeException(
                        DecodeException.Kind.UNDECODABLE,
                        "invalid "
                                + type.getSimpleName()
                                + " body: "
                                + body.remaining()
                                + " trailing bytes");
            }
            return record;
        } catch (IOException | RuntimeException e) {
            // Anything Avro throws on a malformed body (EOFException, AvroRuntimeException and its
            // SystemLimitException, UnsupportedOperationException for VM-sized lengths, index and
            // cast errors from bad enum or union indexes, ...) means the same thing: undecodable.
            throw new DecodeException(
                    DecodeException.Kind.UNDECODABLE,
                    "invalid "
                            + type.getSimpleName()
                            + " body: "
                            + e.getClass().getSimpleName()
                            + ": "
                            + e.getMessage());
        }
    }

    /**
     * {@link BoundedDecoder} rejects an array block with more items than bytes left, which is only
     * sound if every item takes at least one byte; refuse a writer schema where one might not.
     */
    private static void requireNonEmptyArrayItems(Schema root, Schema schema, Set<Schema> visited) {
        if (!visited.add(schema)) {
            return;
        }
        switch (schema.getType()) {
            case RECORD:
                schema.getFields()
                        .forEach(f -> requireNonEmptyArrayItems(root, f.schema(), visited));
                break;
            case UNION:
                schema.getTypes().forEach(t -> requireNonEmptyArrayItems(root, t, visited));
                break;
            case MAP:
                requireNonEmptyArrayItems(root, schema.getValueType(), visited);
                break;
            case ARRAY:
                if (mayEncodeToZeroBytes(
                        schema.getElementType(),
                        Collections.newSetFromMap(new IdentityHashMap<>()))) {
                    throw new IllegalArgumentException(
                            "Schema "
                                    + root.getFullName()
                                    + " has an array of "
                                    + schema.getElementType()
                                    + ", whose items can encode to zero bytes; RecordCodec cannot"
                                    + " bound such arrays");
                }
                requireNonEmptyArrayItems(root, schema.getElementType(), visited);
                break;
            default:
                break;
        }
    }

    private static boolean mayEncodeToZeroBytes(Schema schema, Set<Schema> visiting) {
        switch (schema.getType()) {
            case NULL:
                return true;
            case FIXED:
                return schema.getFixedSize() == 0;
            case RECORD:
                if (!visiting.add(schema)) {
                    return true; // recursive: be conservative
                }
                boolean allZero =
                        schema.getFields().stream()
                                .allMatch(f -> mayEncodeToZeroBytes(f.schema(), visiting));
                visiting.remove(schema);
                return allZero;
            default:
                return false; // numbers, strings, bytes, enums, arrays, maps, unions take >= 1 byte
        }
    }
}
