package io.fmstream.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fmstream.job.JobSettings;
import io.fmstream.testkit.EmbeddedKafka;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writes the savepoint fixture ({@link SavepointFixture}); not part of the suite. Run it only with
 * the code of the release the fixture is named after:
 *
 * <pre>
 * git checkout v0.1.0 -- ... (or the release's tree)
 * mvn -o -pl integration-tests -am test -Dtest=SavepointFixtureGenerator -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dfmstream.generate.savepoint=true
 * </pre>
 */
@EnabledIfSystemProperty(named = "fmstream.generate.savepoint", matches = "true")
class SavepointFixtureGenerator {

    @RegisterExtension static final EmbeddedKafka KAFKA = EmbeddedKafka.builder().extension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = RunningJob.miniCluster(RunningJob.PARALLELISM);

    @Test
    void writeTheFixture(@TempDir Path scratch) throws Exception {
        var conf = SavepointFixture.settings(KAFKA.bootstrapServers());
        JobSettings settings = JobSettings.from(conf);
        SavepointFixture.createSensorTopic(KAFKA, settings);
        SavepointFixture fixture = new SavepointFixture(settings.sensorTopic);
        KAFKA.produceAll(fixture.phaseA);

        // Phase A: sp-open emits 3 windows, sp-gappy 1 (the rest waits behind its gap), sp-resend
        // 2.
        // (The ids put sp-open on partition 0 and the other two on partition 1, so both source
        // subtasks carry state.)
        int beforeSavepoint = 6;
        Path savepoint;
        try (RunningJob job =
                RunningJob.start(conf, "fixture-" + SavepointFixture.VERSION, s -> s)) {
            List<ConsumerRecord<byte[], byte[]>> first =
                    KAFKA.drain(settings.embeddingsTopic, beforeSavepoint, Duration.ofSeconds(90));
            assertThat(first).hasSize(beforeSavepoint);
            awaitCommittedToEnd(settings);
            savepoint = job.stopWithSavepoint(scratch.resolve("savepoints"));
        }
        Path target = SavepointFixture.savepoint();
        deleteTree(target);
        TestFiles.copyTree(savepoint, target);

        // Phase B from the copied savepoint: what every later restore must reproduce.
        KAFKA.produceAll(fixture.phaseB);
        try (RunningJob restored =
                RunningJob.start(
                        conf,
                        "fixture-restore-" + SavepointFixture.VERSION,
                        s -> s,
                        target.toUri().toString())) {
            int total = beforeSavepoint + SavepointFixture.expectedKeysAfterRestore().size();
            List<ConsumerRecord<byte[], byte[]>> all =
                    KAFKA.drain(settings.embeddingsTopic, total, Duration.ofSeconds(90));
            List<String> got = new java.util.ArrayList<>();
            SavepointFixture.embeddings(all).forEach(o -> got.add(o.get("key").asText()));
            assertThat(all).as("windows so far: " + got).hasSize(total);
            Set<String> seen = new HashSet<>();
            List<ConsumerRecord<byte[], byte[]>> after = all.subList(beforeSavepoint, all.size());
            JsonNode outputs = SavepointFixture.embeddings(after);
            outputs.forEach(o -> assertThat(seen.add(o.get("key").asText())).isTrue());
            List<String> keys = new java.util.ArrayList<>();
            outputs.forEach(o -> keys.add(o.get("key").asText()));
            assertThat(keys).containsExactlyElementsOf(SavepointFixture.expectedKeysAfterRestore());
            new ObjectMapper()
                    .writerWithDefaultPrettyPrinter()
                    .writeValue(SavepointFixture.expectedOutputs().toFile(), outputs);
        }
    }

    /**
     * Waits until the job's consumer group has committed (on a checkpoint) the end offset of every
     * sensor partition: every phase-A chunk, the ones pending behind the gap included, is then in
     * the job's state before the savepoint is taken.
     */
    private static void awaitCommittedToEnd(JobSettings settings) throws Exception {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        for (var p :
                KAFKA.admin()
                        .describeTopics(List.of(settings.sensorTopic))
                        .allTopicNames()
                        .get()
                        .get(settings.sensorTopic)
                        .partitions()) {
            request.put(
                    new TopicPartition(settings.sensorTopic, p.partition()), OffsetSpec.latest());
        }
        Map<TopicPartition, Long> end = new HashMap<>();
        KAFKA.admin()
                .listOffsets(request)
                .all()
                .get()
                .forEach((tp, info) -> end.put(tp, info.offset()));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            Map<TopicPartition, OffsetAndMetadata> committed =
                    KAFKA.admin()
                            .listConsumerGroupOffsets(settings.consumerGroup)
                            .partitionsToOffsetAndMetadata()
                            .get();
            if (end.entrySet().stream()
                    .allMatch(
                            e ->
                                    e.getValue() == 0
                                            || committed.get(e.getKey()) != null
                                                    && committed.get(e.getKey()).offset()
                                                            >= e.getValue())) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError(
                "the job did not commit the end of phase A " + end + " within 60 s");
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
