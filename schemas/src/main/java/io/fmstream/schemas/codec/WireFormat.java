package io.fmstream.schemas.codec;

import io.fmstream.schemas.DeadLetter;
import io.fmstream.schemas.GroundTruth;
import io.fmstream.schemas.Prediction;
import io.fmstream.schemas.SensorChunk;
import io.fmstream.schemas.WindowEmbedding;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;

/**
 * The wire format of every fmstream topic: Avro single-object encoding.
 *
 * <p>Each record value is {@code C3 01}, the 8-byte little-endian CRC-64-AVRO fingerprint of the
 * writer schema's parsing canonical form, then the Avro binary body. A consumer in any language
 * resolves the writer schema by fingerprint from the {@code .avsc} files under {@code
 * io/fmstream/schemas/history/} (one file per published version), then reads with its own schema
 * through Avro schema resolution. This class lists those published versions.
 */
public final class WireFormat {

    /** The two magic bytes that start every single-object encoded record. */
    public static final byte[] MAGIC = {(byte) 0xC3, (byte) 0x01};

    /** Header length: magic plus 8-byte fingerprint. */
    public static final int HEADER_LENGTH = 10;

    /** Record names with their published versions, oldest first; the last one is current. */
    private static final String[][] PUBLISHED = {
        {"SensorChunk", "v1"},
        {"SensorChunk", "v2"},
        {"WindowEmbedding", "v1"},
        {"Prediction", "v1"},
        {"Prediction", "v2"},
        {"DeadLetter", "v1"},
        {"GroundTruth", "v1"},
    };

    private WireFormat() {}

    /** CRC-64-AVRO fingerprint of a schema's parsing canonical form, as written in the header. */
    public static long fingerprint(Schema schema) {
        return SchemaNormalization.parsingFingerprint64(schema);
    }

    /** Every published writer schema of a record, oldest first, parsed from the history files. */
    public static List<Schema> publishedVersions(String recordName) {
        List<Schema> result = new ArrayList<>();
        for (String[] entry : PUBLISHED) {
            if (entry[0].equals(recordName)) {
                result.add(loadHistory(recordName, entry[1]));
            }
        }
        if (result.isEmpty()) {
            throw new IllegalArgumentException("No published versions of record " + recordName);
        }
        return Collections.unmodifiableList(result);
    }

    /** The record names that have a published history. */
    public static List<String> recordNames() {
        List<String> names = new ArrayList<>();
        for (String[] entry : PUBLISHED) {
            if (!names.contains(entry[0])) {
                names.add(entry[0]);
            }
        }
        return names;
    }

    /** The current (generated) schema of a record. */
    public static Schema currentSchema(String recordName) {
        switch (recordName) {
            case "SensorChunk":
                return SensorChunk.getClassSchema();
            case "WindowEmbedding":
                return WindowEmbedding.getClassSchema();
            case "Prediction":
                return Prediction.getClassSchema();
            case "DeadLetter":
                return DeadLetter.getClassSchema();
            case "GroundTruth":
                return GroundTruth.getClassSchema();
            default:
                throw new IllegalArgumentException("Unknown record " + recordName);
        }
    }

    static Schema loadHistory(String recordName, String version) {
        String resource = "/io/fmstream/schemas/history/" + recordName + "." + version + ".avsc";
        try (InputStream in = WireFormat.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("Missing schema history file " + resource);
            }
            return new Schema.Parser().parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + resource, e);
        }
    }
}
