package io.fmstream.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.data.RepositoryLayout;
import io.fmstream.data.sim.HeartRateProfile;
import io.fmstream.data.sim.SimulatedDevice;
import io.fmstream.local.StandaloneFlinkCluster;
import io.fmstream.schemas.Prediction;
import io.fmstream.schemas.SensorChunk;
import io.fmstream.schemas.codec.RecordCodec;
import io.fmstream.testkit.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job jar, unchanged, submitted with {@code flink run} to a standalone Flink cluster of
 * separate JVMs whose classpath holds only Flink: the jar must bring the connector, Kafka client,
 * Avro, ONNX Runtime and fmstream itself, and the job must produce every window. Then the same jar
 * as a backfill ({@code fmstream.source.bounded}), submitted attached: {@code flink run} returns
 * once the job has finished, its main having moved the consumer group to the topic's end.
 */
class FlinkClusterIT {

    private static final long SECOND = 1_000_000L;
    private static final String[] DEVICES = {"cluster-a", "cluster-b", "cluster-c"};
    private static final double[] RATES = {250, 360, 500};

    @RegisterExtension static final EmbeddedKafka KAFKA = EmbeddedKafka.builder().extension();

    @Test
    void theJobJarRunsUnchangedOnAStandaloneClusterAndWritesEveryWindow(@TempDir Path dir)
            throws Exception {
        String suffix = IntegrationSettings.uniqueSuffix();
        String sensor = "sensor-" + suffix;
        String predictions = "predictions-" + suffix;
        long t0 =
                Math.floorDiv(System.currentTimeMillis() * 1000L - 90 * SECOND, 5 * SECOND)
                        * 5
                        * SECOND;
        List<String> expected;
        try (StandaloneFlinkCluster cluster = new StandaloneFlinkCluster(dir)) {
            cluster.start();
            // Started as taskmanager.sh starts it: Flink's own memory options (-Xms = -Xmx).
            String tm =
                    Files.readString(
                                    Path.of(
                                            "/proc/"
                                                    + cluster.process("taskmanager-1").pid()
                                                    + "/cmdline"))
                            .replace('\0', ' ');
            assertThat(tm)
                    .as("the TaskManager's command line")
                    .contains(String.join(" ", cluster.taskManagerJvmOptions()) + " ")
                    .contains("-Xms");
            assertThat(
                            Files.readString(
                                            Path.of(
                                                    "/proc/"
                                                            + cluster.process("jobmanager").pid()
                                                            + "/cmdline"))
                                    .replace('\0', ' '))
                    .as("the JobManager's command line")
                    .contains(String.join(" ", cluster.jobManagerJvmOptions()) + " ")
                    .doesNotContain("-Xmx512m");
            String output =
                    cluster.submit(jobJar(), args(suffix, "cluster-" + suffix, predictions));
            Matcher id = Pattern.compile("JobID ([0-9a-f]{32})").matcher(output);
            assertThat(id.find()).as("flink run output:\n" + output).isTrue();
            try {
                expected = produceDevices(sensor, t0);
                assertThat(predictions(predictions, t0, expected.size()))
                        .as("predictions; cluster logs in " + cluster.logDir())
                        .doesNotHaveDuplicates()
                        .containsExactlyInAnyOrderElementsOf(expected);
            } finally {
                cluster.cancel(id.group(1));
            }

            // The same jar as a backfill of the same topic, attached: flink run returns once the
            // job has finished and its main has moved the new group to the topic's end.
            String backfillGroup = "backfill-" + suffix;
            String backfilled = "backfilled-" + suffix;
            List<String> backfill = new ArrayList<>(args(suffix, backfillGroup, backfilled));
            backfill.addAll(List.of("--fmstream.source.bounded", "true"));
            String out = cluster.runAttached(jobJar(), backfill, 180);
            assertThat(out).as("flink run output").contains("has finished");
            assertThat(predictions(backfilled, t0, expected.size()))
                    .as("the backfill's predictions; cluster logs in " + cluster.logDir())
                    .doesNotHaveDuplicates()
                    .containsExactlyInAnyOrderElementsOf(expected);
            long committed = 0;
            for (var offset :
                    KAFKA.admin()
                            .listConsumerGroupOffsets(backfillGroup)
                            .partitionsToOffsetAndMetadata()
                            .get()
                            .values()) {
                committed += offset.offset();
            }
            assertThat(committed)
                    .as("the backfill group's offsets: past every chunk")
                    .isEqualTo(DEVICES.length * 32L);
            assertThat(Files.readString(cluster.clientLog()))
                    .as("the job's main, in the client's log")
                    .contains("Bounded run finished: consumer group " + backfillGroup);
        }
    }

    /** The job's arguments: topics of this run, the given group and predictions topic. */
    private static List<String> args(String suffix, String group, String predictions) {
        return List.of(
                "--fmstream.kafka.bootstrap-servers",
                KAFKA.bootstrapServers(),
                "--fmstream.bundle",
                RepositoryLayout.fixtureBundle().toUri().toString(),
                "--fmstream.topic.sensor-chunks",
                "sensor-" + suffix,
                "--fmstream.topic.embeddings",
                "embeddings-" + suffix,
                "--fmstream.topic.predictions",
                predictions,
                "--fmstream.topic.dead-letters",
                "dead-letters-" + suffix,
                "--fmstream.topics.create",
                "true",
                "--fmstream.topics.partitions",
                "2",
                "--fmstream.transactional-id-prefix",
                group,
                "--fmstream.kafka.group-id",
                group,
                "--fmstream.checkpoint-interval",
                "1 s",
                "--fmstream.transaction-timeout",
                "60 s",
                // The expected windows start 0, 5, ... s after the devices' first sample.
                "--fmstream.window.phase",
                "EPOCH");
    }

    /** The predictions in {@code topic} as "device@start-seconds/task", from {@code t0}. */
    private static List<String> predictions(String topic, long t0, int expected) throws Exception {
        List<String> got = new ArrayList<>();
        RecordCodec<Prediction> codec = RecordCodec.forType(Prediction.class);
        for (ConsumerRecord<byte[], byte[]> r :
                KAFKA.drain(topic, expected, Duration.ofSeconds(120))) {
            Prediction p = codec.decode(r.value());
            got.add(
                    p.getDeviceId()
                            + "@"
                            + (p.getWindowStartMicros() - t0) / SECOND
                            + "/"
                            + p.getTask());
        }
        return got;
    }

    /** 32 s of each device: windows starting at 0, 5, ..., 20 s are complete; three heads each. */
    private static List<String> produceDevices(String topic, long t0) {
        RecordCodec<SensorChunk> codec = RecordCodec.forType(SensorChunk.class);
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        for (int d = 0; d < DEVICES.length; d++) {
            SimulatedDevice device =
                    new SimulatedDevice(DEVICES[d], d, RATES[d], t0, HeartRateProfile.resting(70));
            for (int s = 0; s < 32; s++) {
                records.add(
                        new ProducerRecord<>(
                                topic,
                                DEVICES[d].getBytes(StandardCharsets.UTF_8),
                                codec.encode(device.nextChunk((int) RATES[d]))));
            }
            for (int start = 0; start <= 20; start += 5) {
                for (String task : new String[] {"rhythm", "heart_rate", "signal_quality"}) {
                    expected.add(DEVICES[d] + "@" + start + "/" + task);
                }
            }
        }
        KAFKA.produceAll(records);
        return expected;
    }

    private static Path jobJar() throws Exception {
        Path target = RepositoryLayout.root().resolve("flink-jobs/target");
        try (Stream<Path> files = Files.list(target)) {
            List<Path> jars =
                    files.filter(p -> p.getFileName().toString().endsWith("-job.jar")).toList();
            assertThat(jars).as("the job jar in " + target + " (built by mvn package)").hasSize(1);
            return jars.get(0);
        }
    }
}
