package io.fmstream.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.core.window.WindowPhase;
import io.fmstream.data.RepositoryLayout;
import io.fmstream.schemas.SensorChunk;
import io.fmstream.schemas.codec.RecordCodec;
import io.fmstream.testkit.EmbeddedKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Many records from one process against a real (in-process) broker: records paced on their own
 * clocks run side by side, each device's chunks arrive complete and in order, and a record that
 * fails is reported by name while the others finish.
 */
class ConcurrentReplayTest {

    @RegisterExtension static final EmbeddedKafka KAFKA = EmbeddedKafka.builder().extension();

    private static final Path TRAIN = RepositoryLayout.testData().resolve("cinc2017-train");
    private final RecordCodec<SensorChunk> codec = RecordCodec.forType(SensorChunk.class);

    @Test
    void pacedRecordsOfDifferentLengthsRunSideBySide() throws Exception {
        String topic = EmbeddedKafka.uniqueTopic("sensor");
        KAFKA.createTopics(2, topic);
        // A00003: 60 s, A00014: 18.6 s; at 20x they take 3 s and 0.9 s. One after the other, A00014
        // (sorted
        // second) would start 3 s after A00003; side by side, both start at once.
        int exit =
                FmstreamCli.commandLine()
                        .execute(
                                "replay",
                                "--bootstrap-servers",
                                KAFKA.bootstrapServers(),
                                "--record",
                                TRAIN.resolve("A00003").toString(),
                                TRAIN.resolve("A00014").toString(),
                                "--speed",
                                "20",
                                "--topic",
                                topic,
                                "--ground-truth-topic",
                                "none");
        assertThat(exit).isZero();

        Map<String, List<ConsumerRecord<byte[], byte[]>>> byDevice =
                byDevice(KAFKA.drain(topic, 60 + 19, Duration.ofSeconds(30)));
        assertThat(byDevice).containsOnlyKeys("cinc2017-train-a00003", "cinc2017-train-a00014");
        List<ConsumerRecord<byte[], byte[]>> long3 = byDevice.get("cinc2017-train-a00003");
        List<ConsumerRecord<byte[], byte[]>> short14 = byDevice.get("cinc2017-train-a00014");
        assertThat(long3).hasSize(60);
        assertThat(short14).hasSize(19);
        assertThat(Math.abs(short14.get(0).timestamp() - long3.get(0).timestamp()))
                .as("start together")
                .isLessThan(1500);
        assertThat(long3.get(59).timestamp() - long3.get(0).timestamp())
                .as("paced at 20x")
                .isGreaterThan(2500);
        assertInOrderAndRebased(long3, 9000 * 2, 300.0);
        assertInOrderAndRebased(short14, 5570, 300.0);
    }

    @Test
    void aRecordThatFailsIsNamedAndTheOthersFinish(@TempDir Path dir) throws Exception {
        for (String r : List.of("A00001", "A00004", "A00005")) {
            Files.copy(TRAIN.resolve(r + ".hea"), dir.resolve(r + ".hea"));
            Files.copy(TRAIN.resolve(r + ".mat"), dir.resolve(r + ".mat"));
        }
        ReplayCommand cmd = new ReplayCommand();
        new CommandLine(cmd)
                .parseArgs(
                        "--bootstrap-servers",
                        KAFKA.bootstrapServers(),
                        "--records-from",
                        dir.toString());
        List<ConcurrentReplay.Source> sources = cmd.plan(cmd.selectHeaders());
        // Truncated after the up-front check passed: the record fails when its turn comes.
        Path mat = dir.resolve("A00004.mat");
        Files.write(mat, Arrays.copyOf(Files.readAllBytes(mat), 100));

        String topic = EmbeddedKafka.uniqueTopic("sensor");
        KAFKA.createTopics(2, topic);
        ConcurrentReplay.Summary summary;
        // Concurrency 1: each record starts when the previous one finishes, the failed one
        // included.
        ConcurrentReplay.Settings settings =
                new ConcurrentReplay.Settings(
                        Double.POSITIVE_INFINITY, null, 1.0, 1, false, 5, WindowPhase.DEVICE);
        try (KafkaPublisher publisher = new KafkaPublisher(KAFKA.bootstrapServers(), topic, null)) {
            summary = new ConcurrentReplay(publisher, sources, settings).run();
        }
        String device = dir.getFileName().toString().toLowerCase() + "-";
        assertThat(summary.failed()).isEqualTo(1);
        assertThat(summary.replayed()).isEqualTo(2);
        assertThat(summary.failedDevices()).containsExactly(device + "a00004");
        assertThat(summary.chunks()).isEqualTo(30 + 60);

        Map<String, List<ConsumerRecord<byte[], byte[]>>> byDevice =
                byDevice(KAFKA.drain(topic, 90, Duration.ofSeconds(30)));
        assertThat(byDevice).containsOnlyKeys(device + "a00001", device + "a00005");
        assertInOrderAndRebased(byDevice.get(device + "a00001"), 9000, 300.0);
        assertInOrderAndRebased(byDevice.get(device + "a00005"), 18000, 300.0);
    }

    private Map<String, List<ConsumerRecord<byte[], byte[]>>> byDevice(
            List<ConsumerRecord<byte[], byte[]>> records) throws Exception {
        Map<String, List<ConsumerRecord<byte[], byte[]>>> out = new LinkedHashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            out.computeIfAbsent(codec.decode(r.value()).getDeviceId(), k -> new ArrayList<>())
                    .add(r);
        }
        return out;
    }

    /**
     * One device's chunks, as read from its partition: contiguous from sample 0 to the record's end
     * in send order, starting on the device's window grid (a whole 5 s plus its phase) and (as fast
     * as possible or paced) ending no later than they were sent.
     */
    private void assertInOrderAndRebased(
            List<ConsumerRecord<byte[], byte[]>> records, int samples, double rate)
            throws Exception {
        long next = 0;
        SensorChunk first = codec.decode(records.get(0).value());
        long start = first.getFirstSampleTimeMicros();
        long phase = ConcurrentReplay.phaseMicros(first.getDeviceId(), WindowPhase.DEVICE);
        assertThat(phase)
                .as("the device's phase: crc32 of its id modulo 500, x 10 ms")
                .isEqualTo(crc32(first.getDeviceId()) % 500 * 10_000L);
        assertThat(Math.floorMod(start - phase, 5_000_000L))
                .as("starts on its device's window grid")
                .isZero();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            SensorChunk c = codec.decode(r.value());
            assertThat(c.getFirstSampleIndex()).isEqualTo(next);
            next += c.getSamples().remaining() / 2;
        }
        assertThat(next).isEqualTo(samples);
        long endMicros = start + Math.round(samples * 1e6 / rate);
        assertThat(endMicros / 1000)
                .as("ends no later than sent")
                .isLessThanOrEqualTo(records.get(records.size() - 1).timestamp());
    }

    private static long crc32(String id) {
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(id.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return crc.getValue();
    }
}
