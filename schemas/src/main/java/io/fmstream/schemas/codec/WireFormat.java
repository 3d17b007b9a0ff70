package io.fmstream.schemas.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fmstream.schemas.AccuracyOutcome;
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
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
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
 *
 * <p>The history files are the portable copies: self-contained (named types such as {@code
 * EncoderId} inlined) and free of Java-only properties such as {@code avro.java.string}, which
 * other Avro libraries keep in the canonical form (python-avro turns {@code "string"} into {@code
 * {"type":"string"}}) and so would compute another fingerprint. The Java code generator reads
 * {@code src/main/avro}; Java's canonical form drops those properties, so both give the same
 * fingerprint.
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
        {"AccuracyOutcome", "v1"},
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

    /** One published schema version: record name, version label and its resource path. */
    public record Published(String recordName, String version, String resource) {
        /** The parsed schema. */
        public Schema schema() {
            return loadHistory(recordName, version);
        }

        /** CRC-64-AVRO fingerprint of its parsing canonical form. */
        public long fingerprint() {
            return WireFormat.fingerprint(schema());
        }
    }

    /** Every published schema version, in publication order per record. */
    public static List<Published> published() {
        List<Published> result = new ArrayList<>();
        for (String[] entry : PUBLISHED) {
            result.add(new Published(entry[0], entry[1], resource(entry[0], entry[1])));
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
            case "AccuracyOutcome":
                return AccuracyOutcome.getClassSchema();
            default:
                throw new IllegalArgumentException("Unknown record " + recordName);
        }
    }

    /**
     * The portable text of a schema, as published in the history files: pretty-printed JSON without
     * Java-only properties ({@code avro.java.*}), a primitive left with no other property written
     * as its bare name. Same parsing canonical form in Java, so the same fingerprint; the same
     * fingerprint in other libraries too. Publish a new version with this text.
     */
    public static String portableJson(Schema schema) {
        try {
            ObjectMapper json = new ObjectMapper();
            JsonNode tree = withoutJavaProperties(json.readTree(schema.toString()));
            return json.writerWithDefaultPrettyPrinter().writeValueAsString(tree) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode withoutJavaProperties(JsonNode node) {
        if (node.isArray()) {
            ArrayNode out = JsonNodeFactory.instance.arrayNode();
            node.forEach(n -> out.add(withoutJavaProperties(n)));
            return out;
        }
        if (!node.isObject()) {
            return node;
        }
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        node.fields()
                .forEachRemaining(
                        e -> {
                            if (!e.getKey().startsWith("avro.java.")) {
                                out.set(e.getKey(), withoutJavaProperties(e.getValue()));
                            }
                        });
        if (out.size() == 1 && out.has("type") && out.get("type").isTextual()) {
            Schema.Type type;
            try {
                type = Schema.Type.valueOf(out.get("type").asText().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException notPrimitive) {
                return out;
            }
            if (PRIMITIVES.contains(type)) {
                return out.get("type");
            }
        }
        return out;
    }

    private static final Set<Schema.Type> PRIMITIVES =
            EnumSet.of(
                    Schema.Type.STRING,
                    Schema.Type.BYTES,
                    Schema.Type.INT,
                    Schema.Type.LONG,
                    Schema.Type.FLOAT,
                    Schema.Type.DOUBLE,
                    Schema.Type.BOOLEAN,
                    Schema.Type.NULL);

    private static String resource(String recordName, String version) {
        return "/io/fmstream/schemas/history/" + recordName + "." + version + ".avsc";
    }

    static Schema loadHistory(String recordName, String version) {
        String resource = resource(recordName, version);
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
