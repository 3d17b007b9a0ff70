package io.fmstream.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fmstream.data.RepositoryLayout;
import io.fmstream.examples.ExampleConsumer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs the two example consumers of {@code examples/} (Python with Debian's python3-avro and
 * python3-confluent-kafka; Java with kafka-clients and Avro only) over the job's output topics and
 * checks that each decodes every message to what the job wrote: the same set of (topic, partition,
 * offset), and every field equal to the job's own decoding (floats exactly).
 */
final class ExampleConsumers {

    static final Path PYTHON = Path.of("/usr/bin/python3");
    static final Path PYTHON_EXAMPLE =
            RepositoryLayout.root().resolve("examples/python/fmstream_consumer.py");

    // Python's json writes NaN as a bare token.
    private final ObjectMapper json =
            new ObjectMapper(
                    com.fasterxml.jackson.core.JsonFactory.builder()
                            .enable(
                                    com.fasterxml.jackson.core.json.JsonReadFeature
                                            .ALLOW_NON_NUMERIC_NUMBERS)
                            .build());

    /** Job output: the record as the job's codec decodes it, by "topic/partition/offset". */
    record Expected(ConsumerRecord<byte[], byte[]> raw, SpecificRecordBase decoded) {}

    static String id(String topic, int partition, long offset) {
        return topic + "/" + partition + "/" + offset;
    }

    /** The Java example, in-process; its JSON lines by message id. */
    Map<String, JsonNode> runJava(String bootstrap, List<String> topics) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int failures;
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            failures =
                    new ExampleConsumer(
                                    RepositoryLayout.root()
                                            .resolve(
                                                    "schemas/src/main/resources/io/fmstream/schemas/history"))
                            .run(bootstrap, topics, true, true, new Properties(), out);
        }
        assertThat(failures).as("messages the Java example could not decode").isZero();
        return lines(bytes.toString(StandardCharsets.UTF_8));
    }

    /**
     * The Python example as a user runs it. Skipped where the Debian packages are missing, except
     * in CI ({@code .ci/run} installs them).
     */
    Map<String, JsonNode> runPython(String bootstrap, List<String> topics) throws Exception {
        if (!pythonReady()) {
            String why =
                    "python3-avro and python3-confluent-kafka are not installed"
                            + " (apt-get install python3-avro python3-confluent-kafka)";
            if ("true".equals(System.getenv("CI"))) {
                fail(why);
            }
            Assumptions.assumeTrue(false, why);
        }
        List<String> cmd = new ArrayList<>(List.of(PYTHON.toString(), PYTHON_EXAMPLE.toString()));
        cmd.addAll(List.of("--bootstrap-servers", bootstrap, "--from-beginning", "--exit-at-end"));
        for (String t : topics) {
            cmd.addAll(List.of("--topic", t));
        }
        Path out = Files.createTempFile("python-example", ".jsonl");
        Path err = Files.createTempFile("python-example", ".err");
        try {
            Process p =
                    new ProcessBuilder(cmd)
                            .redirectOutput(out.toFile())
                            .redirectError(err.toFile())
                            .start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("the Python example did not finish in 120 s: " + Files.readString(err));
            }
            assertThat(p.exitValue())
                    .as("Python example exit status; stderr:%n%s", Files.readString(err))
                    .isZero();
            return lines(Files.readString(out));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    static boolean pythonReady() {
        if (!Files.isExecutable(PYTHON)) {
            return false;
        }
        try {
            Process p =
                    new ProcessBuilder(PYTHON.toString(), "-c", "import avro.io, confluent_kafka")
                            .redirectErrorStream(true)
                            .start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    private Map<String, JsonNode> lines(String text) throws Exception {
        Map<String, JsonNode> byId = new HashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode n = json.readTree(line);
            String id =
                    id(
                            n.get("topic").asText(),
                            n.get("partition").asInt(),
                            n.get("offset").asLong());
            assertThat(byId.put(id, n)).as("message %s printed twice", id).isNull();
        }
        return byId;
    }

    /** Every job output decoded by the example, field by field equal to the job's decoding. */
    static void assertAgree(String example, Map<String, Expected> job, Map<String, JsonNode> out) {
        assertThat(out.keySet()).as("%s: messages read", example).isEqualTo(job.keySet());
        for (Map.Entry<String, Expected> e : job.entrySet()) {
            JsonNode line = out.get(e.getKey());
            assertThat(line.has("error"))
                    .as("%s: %s decoded (%s)", example, e.getKey(), line.get("error"))
                    .isFalse();
            String key = new String(e.getValue().raw().key(), StandardCharsets.UTF_8);
            assertThat(line.get("key").asText()).isEqualTo(key);
            SpecificRecordBase r = e.getValue().decoded();
            assertThat(line.get("schema").asText()).isEqualTo(r.getSchema().getFullName());
            assertSame(example + " " + e.getKey(), r, line.get("value"));
            if (r.getSchema().getName().equals("WindowEmbedding")) {
                ByteBuffer v =
                        ((ByteBuffer) r.get("embedding"))
                                .duplicate()
                                .order(ByteOrder.LITTLE_ENDIAN);
                JsonNode floats = line.get("embeddingFloats");
                assertThat(floats.size()).isEqualTo(v.remaining() / 4);
                for (int i = 0; i < floats.size(); i++) {
                    assertThat(floats.get(i).asDouble()).isEqualTo((double) v.getFloat());
                }
            }
        }
    }

    private static void assertSame(String where, SpecificRecordBase r, JsonNode node) {
        for (Schema.Field f : r.getSchema().getFields()) {
            assertValue(where + "." + f.name(), r.get(f.pos()), node.get(f.name()));
        }
    }

    private static void assertValue(String where, Object v, JsonNode n) {
        assertThat(n).as("%s present", where).isNotNull();
        if (v == null) {
            assertThat(n.isNull()).as(where).isTrue();
        } else if (v instanceof SpecificRecordBase r) {
            assertSame(where, r, n);
        } else if (v instanceof List<?> list) {
            assertThat(n.size()).as(where).isEqualTo(list.size());
            for (int i = 0; i < list.size(); i++) {
                assertValue(where + "[" + i + "]", list.get(i), n.get(i));
            }
        } else if (v instanceof ByteBuffer b) {
            byte[] bytes = new byte[b.remaining()];
            b.duplicate().get(bytes);
            assertThat(Base64.getDecoder().decode(n.asText())).as(where).isEqualTo(bytes);
        } else if (v instanceof Float x) {
            assertThat(n.asDouble()).as(where).isEqualTo((double) x);
        } else if (v instanceof Double x) {
            assertThat(n.asDouble()).as(where).isEqualTo(x);
        } else if (v instanceof Integer || v instanceof Long) {
            assertThat(n.asLong()).as(where).isEqualTo(((Number) v).longValue());
        } else if (v instanceof Boolean x) {
            assertThat(n.asBoolean()).as(where).isEqualTo(x);
        } else {
            assertThat(n.asText()).as(where).isEqualTo(v.toString());
        }
    }
}
