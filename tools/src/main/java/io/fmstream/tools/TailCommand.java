package io.fmstream.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Decodes any fmstream topic to JSON lines using only the {@code .avsc} files, as a consumer in
 * another language would: the writer schema is looked up by the fingerprint in each record's
 * single-object header. Bytes fields whose schema doc declares float32 or 16-bit values are decoded
 * to number arrays; other bytes are base64.
 */
@Command(
        name = "tail",
        mixinStandardHelpOptions = true,
        description =
                "Print the records of an fmstream topic as JSON lines, decoded with the .avsc files"
                        + " only; exit code 3 when any could not be decoded.")
public final class TailCommand implements Callable<Integer> {

    @Option(
            names = "--bootstrap-servers",
            required = true,
            description = "Kafka bootstrap servers.")
    String bootstrapServers;

    @picocli.CommandLine.Mixin KafkaClientOptions kafka = new KafkaClientOptions();

    @Option(names = "--topic", required = true, description = "Topic to read.")
    String topic;

    @Option(
            names = "--schemas",
            description =
                    "Folder of .avsc files (default: the published history shipped with fmstream).")
    Path schemas;

    @Option(
            names = "--from-beginning",
            description = "Start at the earliest offset (default: only new records).")
    boolean fromBeginning;

    @Option(names = "--max", description = "Stop after this many records.")
    Long max;

    @Option(
            names = "--idle-exit",
            description = "Stop when nothing arrives for this long, ISO-8601 (e.g. PT5S).")
    Duration idleExit;

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(
            names = "--read-uncommitted",
            description = "Also show records of open or aborted transactions.")
    boolean readUncommitted;

    @Override
    public Integer call() throws Exception {
        Map<Long, Schema> byFingerprint = loadSchemas();
        java.util.Map<String, String> props = kafka.properties();
        KafkaPublisher.requireReachable(bootstrapServers, props);
        Properties p = io.fmstream.kafka.KafkaClientProperties.into(new Properties(), props);
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                readUncommitted ? "read_uncommitted" : "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        ObjectMapper json = new ObjectMapper();
        java.io.PrintWriter out = spec.commandLine().getOut();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> assigned = Topics.assignAll(consumer, topic, bootstrapServers);
            if (fromBeginning) {
                consumer.seekToBeginning(assigned);
            } else {
                consumer.seekToEnd(assigned);
            }
            long printed = 0;
            long undecodable = 0;
            long lastRecord = System.nanoTime();
            while (max == null || printed < max) {
                var records = consumer.poll(Duration.ofMillis(200));
                if (records.isEmpty()) {
                    if (idleExit != null && System.nanoTime() - lastRecord > idleExit.toNanos()) {
                        break;
                    }
                    continue;
                }
                lastRecord = System.nanoTime();
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    ObjectNode line = toJson(r, byFingerprint);
                    if (line.has("error")) {
                        undecodable++;
                    }
                    out.println(json.writeValueAsString(line));
                    out.flush();
                    if (max != null && ++printed >= max) {
                        break;
                    }
                }
            }
            if (undecodable > 0) {
                // Printed as "error" lines, and said once more where a script looks: a pipe of
                // tail into another tool would otherwise take a topic with foreign or corrupt
                // records for a clean one.
                spec.commandLine()
                        .getErr()
                        .printf(
                                "tail: %d record(s) could not be decoded with the .avsc files"
                                        + " (their lines carry \"error\")%n",
                                undecodable);
                return UNDECODABLE_EXIT;
            }
        }
        return 0;
    }

    /** Exit code when any record printed could not be decoded (as audit's for duplicates). */
    static final int UNDECODABLE_EXIT = 3;

    static ObjectNode toJson(ConsumerRecord<byte[], byte[]> r, Map<Long, Schema> byFingerprint) {
        ObjectNode line = JsonNodeFactory.instance.objectNode();
        line.put("partition", r.partition());
        line.put("offset", r.offset());
        line.put("timestamp", r.timestamp());
        line.put("key", r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8));
        byte[] v = r.value();
        if (v == null || v.length < 10 || (v[0] & 0xff) != 0xC3 || v[1] != 0x01) {
            line.put("error", "not single-object encoded");
            return line;
        }
        long fingerprint = ByteBuffer.wrap(v, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        Schema schema = byFingerprint.get(fingerprint);
        if (schema == null) {
            line.put("error", String.format("no .avsc with fingerprint %016x", fingerprint));
            return line;
        }
        try {
            BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(v, 10, v.length - 10, null);
            GenericRecord record =
                    new GenericDatumReader<GenericRecord>(schema).read(null, decoder);
            if (!decoder.isEnd()) {
                // Bytes after the record: another schema's body under this fingerprint. The job
                // dead-letters such a message (RecordCodec); printing the prefix would hide that.
                line.put(
                        "error",
                        "bytes left after a "
                                + schema.getFullName()
                                + " record: not written with this fingerprint's schema");
                return line;
            }
            line.put("schema", schema.getFullName());
            line.set("value", toJson(record, schema));
        } catch (IOException | RuntimeException e) {
            line.put("error", "cannot decode with " + schema.getFullName() + ": " + e);
        }
        return line;
    }

    private static JsonNode toJson(Object value, Schema schema) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        switch (schema.getType()) {
            case RECORD:
                {
                    ObjectNode o = f.objectNode();
                    GenericRecord rec = (GenericRecord) value;
                    for (Schema.Field field : schema.getFields()) {
                        Object fv = rec.get(field.pos());
                        o.set(
                                field.name(),
                                fv instanceof ByteBuffer bb
                                        ? bytes(bb, field.doc())
                                        : toJson(fv, field.schema()));
                    }
                    return o;
                }
            case UNION:
                return value == null
                        ? f.nullNode()
                        : toJson(
                                value,
                                schema.getTypes()
                                        .get(GenericData.get().resolveUnion(schema, value)));
            case ARRAY:
                {
                    ArrayNode a = f.arrayNode();
                    for (Object item : (List<?>) value) {
                        a.add(toJson(item, schema.getElementType()));
                    }
                    return a;
                }
            case BYTES:
                return bytes((ByteBuffer) value, null);
            case NULL:
                return f.nullNode();
            case BOOLEAN:
                return f.booleanNode((Boolean) value);
            case INT:
                return f.numberNode((Integer) value);
            case LONG:
                return f.numberNode((Long) value);
            case FLOAT:
                return f.numberNode((Float) value);
            case DOUBLE:
                return f.numberNode((Double) value);
            default:
                return f.textNode(String.valueOf(value));
        }
    }

    /** float32 / int16 little-endian vectors as numbers, per the field's documented encoding. */
    private static JsonNode bytes(ByteBuffer buffer, String doc) {
        ByteBuffer b = buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        String d = doc == null ? "" : doc.toLowerCase(Locale.ROOT);
        ArrayNode a = JsonNodeFactory.instance.arrayNode();
        if (d.contains("float32") && b.remaining() % 4 == 0) {
            while (b.hasRemaining()) {
                a.add(b.getFloat());
            }
            return a;
        }
        if (d.contains("16-bit") && b.remaining() % 2 == 0) {
            while (b.hasRemaining()) {
                a.add(b.getShort());
            }
            return a;
        }
        byte[] raw = new byte[b.remaining()];
        b.get(raw);
        return JsonNodeFactory.instance.textNode(Base64.getEncoder().encodeToString(raw));
    }

    private Map<Long, Schema> loadSchemas() throws IOException {
        List<String> texts = new ArrayList<>();
        if (schemas != null) {
            if (!Files.isDirectory(schemas)) {
                throw new IllegalArgumentException(
                        "--schemas " + schemas + " is not a folder of .avsc files");
            }
            try (Stream<Path> files = Files.list(schemas)) {
                for (Path file :
                        files.filter(f -> f.toString().endsWith(".avsc")).sorted().toList()) {
                    texts.add(Files.readString(file));
                }
            }
        } else {
            for (String record : io.fmstream.schemas.codec.WireFormat.recordNames()) {
                for (Schema s : io.fmstream.schemas.codec.WireFormat.publishedVersions(record)) {
                    texts.add(s.toString());
                }
            }
        }
        Map<Long, Schema> map = new HashMap<>();
        for (String text : texts) {
            Schema s = new Schema.Parser().parse(text);
            map.put(SchemaNormalization.parsingFingerprint64(s), s);
        }
        if (map.isEmpty()) {
            throw new IllegalArgumentException("no .avsc files found in " + schemas);
        }
        return map;
    }
}
