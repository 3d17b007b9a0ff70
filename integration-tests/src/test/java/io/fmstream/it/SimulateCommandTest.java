package io.fmstream.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.schemas.GroundTruth;
import io.fmstream.schemas.SensorChunk;
import io.fmstream.schemas.codec.RecordCodec;
import io.fmstream.testkit.EmbeddedKafka;
import io.fmstream.tools.FmstreamCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The simulate command against a real broker. */
class SimulateCommandTest {

    @RegisterExtension static final EmbeddedKafka KAFKA = EmbeddedKafka.builder().extension();

    @Test
    void publishesEveryDevicesChunksWithMatchingGroundTruthAndTheSameBytesForTheSameSeed()
            throws Exception {
        List<ConsumerRecord<byte[], byte[]>> first = simulate("a");
        List<ConsumerRecord<byte[], byte[]>> second = simulate("b");

        RecordCodec<SensorChunk> codec = RecordCodec.forType(SensorChunk.class);
        Set<String> devices = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> r : first) {
            SensorChunk c = codec.decode(r.value());
            assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(c.getDeviceId());
            devices.add(c.getDeviceId());
        }
        assertThat(devices).hasSize(5);
        // 5 devices x 120 s of 1 s chunks, minus what drop-outs and unfinished offline periods hold
        // back.
        assertThat(first.size()).isBetween(400, 600);
        assertThat(second).hasSameSizeAs(first);
        Set<String> a = new HashSet<>();
        Set<String> b = new HashSet<>();
        first.forEach(r -> a.add(java.util.HexFormat.of().formatHex(r.value())));
        second.forEach(r -> b.add(java.util.HexFormat.of().formatHex(r.value())));
        assertThat(b).as("same seed and start, same bytes").isEqualTo(a);

        List<ConsumerRecord<byte[], byte[]>> truth =
                KAFKA.drainUntilQuiet("truth-a", Duration.ofSeconds(2), Duration.ofSeconds(30));
        assertThat(truth).hasSameSizeAs(first);
        RecordCodec<GroundTruth> truthCodec = RecordCodec.forType(GroundTruth.class);
        for (ConsumerRecord<byte[], byte[]> r : truth) {
            GroundTruth g = truthCodec.decode(r.value());
            assertThat(g.getHeartRateBpm()).isBetween(35.0, 185.0);
            assertThat(g.getSpanEndMicros()).isGreaterThan(g.getSpanStartMicros());
        }

        // The audit of that truth against outputs that never came: it reads every partition from
        // the beginning without a consumer group, and finds every settled window missing.
        KAFKA.createTopics(2, "embeddings-a", "dead-letters-a");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        int exit;
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            exit =
                    FmstreamCli.commandLine()
                            .execute(
                                    "audit",
                                    "--bootstrap-servers",
                                    KAFKA.bootstrapServers(),
                                    "--embeddings-topic",
                                    "embeddings-a",
                                    "--dead-letter-topic",
                                    "dead-letters-a",
                                    "--ground-truth-topic",
                                    "truth-a",
                                    "--duration",
                                    "PT3S");
        } finally {
            System.setOut(old);
        }
        assertThat(exit).isZero();
        Matcher m =
                Pattern.compile(
                                "clear windows the truth says exist \\(settled\\): (\\d+), emitted"
                                        + " 0 ")
                        .matcher(buf.toString(StandardCharsets.UTF_8));
        assertThat(m.find()).as(buf.toString(StandardCharsets.UTF_8)).isTrue();
        assertThat(Integer.parseInt(m.group(1))).isPositive();
    }

    @Test
    void loadModeSendsExactlyTheRequestedChunksAndReportsItsCpu() throws Exception {
        StringWriter out = new StringWriter();
        var cli = FmstreamCli.commandLine();
        cli.setOut(new PrintWriter(out));
        int exit =
                cli.execute(
                        "simulate",
                        "--bootstrap-servers",
                        KAFKA.bootstrapServers(),
                        "--topic",
                        "load",
                        "--ground-truth-topic",
                        "none",
                        "--create-topics",
                        "--metrics-port",
                        "0",
                        "--devices",
                        "20",
                        "--load-chunks",
                        "3000");
        assertThat(exit).isZero();
        assertThat(KAFKA.drain("load", 3000, Duration.ofSeconds(60))).hasSize(3000);
    }

    @Test
    void anUnreachableBrokerIsAClearErrorNotAStackTrace() {
        StringWriter err = new StringWriter();
        var cli = FmstreamCli.commandLine();
        cli.setErr(new PrintWriter(err));
        int exit =
                cli.execute(
                        "simulate", "--bootstrap-servers", "localhost:1", "--metrics-port", "0");
        assertThat(exit).isEqualTo(1);
        assertThat(err.toString()).startsWith("error: Cannot reach Kafka at localhost:1");
    }

    /** The audit too: it polled for its whole duration and printed a report of zeros, exit 0. */
    @Test
    void anUnreachableBrokerFailsTheAuditAtOnce() {
        StringWriter err = new StringWriter();
        var cli = FmstreamCli.commandLine();
        cli.setErr(new PrintWriter(err));
        long t = System.nanoTime();
        int exit = cli.execute("audit", "--bootstrap-servers", "localhost:1", "--duration", "PT2M");
        assertThat(exit).isEqualTo(1);
        assertThat(err.toString()).startsWith("error: Cannot reach Kafka at localhost:1");
        assertThat(Duration.ofNanos(System.nanoTime() - t)).isLessThan(Duration.ofSeconds(60));
    }

    private static List<ConsumerRecord<byte[], byte[]>> simulate(String suffix) {
        int exit =
                FmstreamCli.commandLine()
                        .execute(
                                "simulate",
                                "--bootstrap-servers",
                                KAFKA.bootstrapServers(),
                                "--topic",
                                "sensor-" + suffix,
                                "--ground-truth-topic",
                                "truth-" + suffix,
                                "--create-topics",
                                "--devices",
                                "5",
                                "--seed",
                                "42",
                                "--duration",
                                "PT2M",
                                "--speed",
                                "1000",
                                "--start",
                                "2026-01-01T00:00:00Z",
                                "--metrics-port",
                                "0",
                                "--progress-every",
                                "100");
        assertThat(exit).isZero();
        return KAFKA.drainUntilQuiet(
                "sensor-" + suffix, Duration.ofSeconds(2), Duration.ofSeconds(30));
    }
}
