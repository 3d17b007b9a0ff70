package io.fmstream.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.fmstream.job.FmstreamJob;
import io.fmstream.job.JobSettings;
import io.fmstream.testkit.EmbeddedKafka;
import io.fmstream.tools.state.StateReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Restores the committed savepoint of the 0.1 job ({@link SavepointFixture}) and checks that the
 * job produces exactly the outputs the 0.1 job produced from it: the open windows completed, the
 * chunks that were pending behind a gap assembled once the gap was filled, the remembered chunks'
 * resends dropped as duplicates (no dead letter), every embedding equal to the recorded one. A
 * change to the per-device state that cannot read old state, or reads it differently, fails here.
 * The restored job's own savepoint is then read back with {@code fmstream state-report}.
 */
class SavepointRestoreTest {

    @RegisterExtension static final EmbeddedKafka KAFKA = EmbeddedKafka.builder().extension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = RunningJob.miniCluster(RunningJob.PARALLELISM);

    @Test
    void theJobRestoredFromThe010SavepointProducesTheRecordedOutputs(@TempDir Path scratch)
            throws Exception {
        assertThat(SavepointFixture.savepoint().resolve("_metadata"))
                .as("committed savepoint")
                .exists();
        JsonNode expected = SavepointFixture.readExpected();
        List<String> expectedKeys = new ArrayList<>();
        expected.forEach(e -> expectedKeys.add(e.get("key").asText()));
        assertThat(expectedKeys)
                .as("the recorded outputs are the scenario's")
                .containsExactlyElementsOf(SavepointFixture.expectedKeysAfterRestore());

        var conf = SavepointFixture.settings(KAFKA.bootstrapServers());
        JobSettings settings = JobSettings.from(conf);
        SavepointFixture.createSensorTopic(KAFKA, settings);
        SavepointFixture fixture = new SavepointFixture(settings.sensorTopic);
        // Phase A again, so the offsets in the savepoint point where they did; then phase B.
        KAFKA.produceAll(fixture.phaseA);
        KAFKA.produceAll(fixture.phaseB);

        try (RunningJob job =
                RunningJob.start(
                        conf,
                        "restore-" + SavepointFixture.VERSION,
                        s -> s,
                        SavepointFixture.savepoint().toUri().toString())) {
            List<ConsumerRecord<byte[], byte[]>> embeddings =
                    KAFKA.drain(settings.embeddingsTopic, expected.size(), Duration.ofSeconds(90));
            JsonNode got = SavepointFixture.embeddings(embeddings);
            assertThat(got.size()).as("no window twice, none missing").isEqualTo(expected.size());
            for (int i = 0; i < expected.size(); i++) {
                JsonNode e = expected.get(i);
                JsonNode g = got.get(i);
                assertThat(g.get("key").asText()).isEqualTo(e.get("key").asText());
                assertThat(g.get("missingFraction").floatValue())
                        .as(e.get("key").asText())
                        .isEqualTo(e.get("missingFraction").floatValue());
                for (int j = 0; j < e.get("embedding").size(); j++) {
                    assertThat(g.get("embedding").get(j).floatValue())
                            .as(e.get("key").asText() + "[" + j + "]")
                            .isCloseTo(e.get("embedding").get(j).floatValue(), within(1e-5f));
                }
            }
            assertThat(
                            KAFKA.drain(
                                    settings.predictionsTopic,
                                    3 * expected.size(),
                                    Duration.ofSeconds(30)))
                    .hasSize(3 * expected.size());
            assertThat(
                            KAFKA.drainUntilQuiet(
                                    settings.deadLetterTopic,
                                    Duration.ofSeconds(2),
                                    Duration.ofSeconds(10)))
                    .as("the resends of remembered chunks are duplicates, not dead letters")
                    .isEmpty();

            // The restored job's own savepoint, read back by fmstream state-report: the 0.1
            // state in today's form, the gap filled, the recording-level predictions added.
            StateReport report =
                    StateReport.read(job.stopWithSavepoint(scratch.resolve("savepoints")));
            assertThat(report.missing()).isEmpty();
            StateReport.OperatorSummary assembler = report.operators().get(0);
            assertThat(assembler.uid()).isEqualTo(FmstreamJob.UID_ASSEMBLER);
            assertThat(assembler.rows())
                    .extracting(r -> r.key)
                    .containsExactlyInAnyOrder("sp-open", "sp-gappy", "sp-resend");
            assertThat(assembler.rows())
                    .as("sp-gappy's gap was filled after the restore: nothing held")
                    .allSatisfy(r -> assertThat(r.pendingChunks).isZero());
            StateReport.OperatorSummary recordings = report.operators().get(1);
            assertThat(recordings.uid()).isEqualTo(FmstreamJob.UID_RECORDING_PREDICTIONS);
            assertThat(recordings.rows())
                    .as("each device's recording is open for each of the bundle's tasks")
                    .hasSize(3)
                    .allSatisfy(
                            r ->
                                    assertThat(r.openAggregates)
                                            .isEqualTo(job.manifest.heads().size()));
        }
        assertThat(Files.size(SavepointFixture.expectedOutputs())).isPositive();
    }
}
