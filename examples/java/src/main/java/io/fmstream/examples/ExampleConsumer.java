package io.fmstream.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
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
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads fmstream's output topics with kafka-clients and Avro only, from the published {@code .avsc}
 * files: no fmstream class is needed. Every record value is Avro single-object encoding ({@code C3
 * 01}, the writer schema's CRC-64-AVRO fingerprint in 8 little-endian bytes, the Avro binary body):
 * the writer schema is found by fingerprint among the schema files and the body decoded with it.
 * One JSON line per message; a {@code WindowEmbedding}'s embedding (float32 little-endian bytes) is
 * also printed as numbers.
 *
 * <pre>
 * java -jar examples/java/target/fmstream-example-consumer.jar --bootstrap-servers localhost:9092 \
 *     --topic fmstream.predictions.v1 --from-beginning --exit-at-end
 * </pre>
 *
 * Reads with {@code isolation.level=read_committed}: the job's sinks are Kafka transactions.
 */
public final class ExampleConsumer {

    static final String DEFAULT_SCHEMAS = "schemas/src/main/resources/io/fmstream/schemas/history";

    private final Map<Long, Schema> schemas = new HashMap<>();
    private final Map<Long, String> files = new HashMap<>();
    private final ObjectMapper json = new ObjectMapper();

    /** Fingerprints every {@code .avsc} file of {@code folder}. */
    public ExampleConsumer(Path folder) throws IOException {
        List<Path> paths;
        try (Stream<Path> list = Files.list(folder)) {
            paths = list.filter(p -> p.toString().endsWith(".avsc")).sorted().toList();
        }
        if (paths.isEmpty()) {
            throw new IllegalArgumentException("no .avsc files in " + folder);
        }
        for (Path p : paths) {
            Schema s = new Schema.Parser().parse(Files.readString(p));
            long fp = SchemaNormalization.parsingFingerprint64(s);
            schemas.put(fp, s);
            files.put(fp, p.getFileName().toString());
        }
    }

    /** One message as a JSON line (an {@code error} field when it cannot be decoded). */
    public ObjectNode decode(ConsumerRecord<byte[], byte[]> r) {
        ObjectNode line = json.createObjectNode();
        line.put("topic", r.topic());
        line.put("partition", r.partition());
        line.put("offset", r.offset());
        line.put("key", r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8));
        byte[] v = r.value();
        if (v == null || v.length < 10 || (v[0] & 0xFF) != 0xC3 || v[1] != 0x01) {
            line.put("error", "not Avro single-object encoding");
            return line;
        }
        long fp = ByteBuffer.wrap(v, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        Schema writer = schemas.get(fp);
        if (writer == null) {
            line.put(
                    "error",
                    String.format("unknown writer schema %016x (newer schema files needed)", fp));
            return line;
        }
        GenericRecord record;
        try {
            var decoder = DecoderFactory.get().binaryDecoder(v, 10, v.length - 10, null);
            record = new GenericDatumReader<GenericRecord>(writer).read(null, decoder);
            if (!decoder.isEnd()) {
                // Bytes after the record: the body was not written with this fingerprint's schema
                // (the job dead-letters such a message). Refuse it rather than print its prefix.
                line.put("error", "cannot decode: bytes left after the record");
                return line;
            }
        } catch (IOException | RuntimeException e) {
            line.put("error", "cannot decode: " + e.getMessage());
            return line;
        }
        line.put("schema", writer.getFullName());
        line.put("file", files.get(fp));
        line.put("fingerprint", String.format("%016x", fp));
        line.set("value", toJson(record));
        if (writer.getName().equals("WindowEmbedding")) {
            ByteBuffer embedding =
                    ((ByteBuffer) record.get("embedding"))
                            .duplicate()
                            .order(ByteOrder.LITTLE_ENDIAN);
            ArrayNode floats = line.putArray("embeddingFloats");
            while (embedding.remaining() >= 4) {
                floats.add((double) embedding.getFloat());
            }
        }
        return line;
    }

    private static com.fasterxml.jackson.databind.JsonNode toJson(Object value) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        if (value == null) {
            return f.nullNode();
        }
        if (value instanceof GenericRecord r) {
            ObjectNode o = f.objectNode();
            for (Schema.Field field : r.getSchema().getFields()) {
                o.set(field.name(), toJson(r.get(field.pos())));
            }
            return o;
        }
        if (value instanceof List<?> list) {
            ArrayNode a = f.arrayNode();
            list.forEach(x -> a.add(toJson(x)));
            return a;
        }
        if (value instanceof ByteBuffer b) {
            byte[] bytes = new byte[b.remaining()];
            b.duplicate().get(bytes);
            return f.textNode(Base64.getEncoder().encodeToString(bytes));
        }
        if (value instanceof Integer i) {
            return f.numberNode(i);
        }
        if (value instanceof Long l) {
            return f.numberNode(l);
        }
        if (value instanceof Float x) {
            return f.numberNode((double) x);
        }
        if (value instanceof Double x) {
            return f.numberNode(x);
        }
        if (value instanceof Boolean x) {
            return f.booleanNode(x);
        }
        // Utf8 strings and enum symbols.
        return f.textNode(value.toString());
    }

    /**
     * Reads {@code topics} and prints one line per message to {@code out}; with {@code exitAtEnd}
     * returns once every partition is read to its end (the last stable offset, under
     * read_committed). Returns the number of messages that could not be decoded.
     */
    public int run(
            String bootstrapServers,
            List<String> topics,
            boolean fromBeginning,
            boolean exitAtEnd,
            Properties extra,
            PrintStream out)
            throws IOException {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class.getName());
        p.putAll(extra);
        int failures = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : topics) {
                List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
                if (infos == null || infos.isEmpty()) {
                    throw new IllegalArgumentException("topic " + topic + " does not exist");
                }
                infos.forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
            }
            consumer.assign(partitions);
            if (fromBeginning) {
                consumer.seekToBeginning(partitions);
            } else {
                consumer.seekToEnd(partitions);
            }
            // Under read_committed, endOffsets are the last stable offsets.
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (!exitAtEnd || !reachedEnd(consumer, end)) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofSeconds(1))) {
                    ObjectNode line = decode(r);
                    if (line.has("error")) {
                        failures++;
                    }
                    out.println(json.writeValueAsString(line));
                }
            }
        }
        out.flush();
        return failures;
    }

    private static boolean reachedEnd(
            KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    public static void main(String[] args) throws Exception {
        String bootstrap = null;
        List<String> topics = new ArrayList<>();
        Path schemaDir = Path.of(DEFAULT_SCHEMAS);
        boolean fromBeginning = false;
        boolean exitAtEnd = false;
        Properties extra = new Properties();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--bootstrap-servers" -> bootstrap = args[++i];
                case "--topic" -> topics.add(args[++i]);
                case "--schemas" -> schemaDir = Path.of(args[++i]);
                case "--from-beginning" -> fromBeginning = true;
                case "--exit-at-end" -> exitAtEnd = true;
                case "-X" -> {
                    String[] kv = args[++i].split("=", 2);
                    extra.put(kv[0], kv.length > 1 ? kv[1] : "");
                }
                default -> {
                    System.err.println(
                            "usage: --bootstrap-servers HOST:PORT --topic TOPIC [--topic ...]"
                                    + " [--schemas DIR (default "
                                    + DEFAULT_SCHEMAS
                                    + ")] [--from-beginning] [--exit-at-end] [-X key=value ...]");
                    System.exit(args[i].equals("--help") ? 0 : 2);
                }
            }
        }
        if (bootstrap == null || topics.isEmpty()) {
            System.err.println("--bootstrap-servers and at least one --topic are required");
            System.exit(2);
        }
        int failures =
                new ExampleConsumer(schemaDir)
                        .run(bootstrap, topics, fromBeginning, exitAtEnd, extra, System.out);
        System.exit(failures == 0 ? 0 : 1);
    }
}
