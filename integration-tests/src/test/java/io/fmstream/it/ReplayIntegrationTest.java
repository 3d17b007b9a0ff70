package io.fmstream.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.data.RepositoryLayout;
import io.fmstream.job.FmstreamOptions;
import io.fmstream.job.accuracy.AccuracyJob;
import io.fmstream.schemas.AccuracyOutcome;
import io.fmstream.schemas.GroundTruth;
import io.fmstream.schemas.Prediction;
import io.fmstream.schemas.PredictionScope;
import io.fmstream.schemas.Rhythm;
import io.fmstream.schemas.WindowEmbedding;
import io.fmstream.schemas.codec.RecordCodec;
import io.fmstream.testkit.EmbeddedKafka;
import io.fmstream.tools.ReplayCommand;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

/**
 * A real recording through the production job: MIT-BIH record 100 (MLII, 360 Hz, 30 min), replayed
 * as fast as possible with the replay command, gives exactly one window per hop over the whole
 * record and no dead letters; the example consumers of {@code examples/} (Java, and Python with
 * Debian's packages) decode every output exactly as the job wrote it.
 */
class ReplayIntegrationTest {

    private static final long SECOND = 1_000_000L;

    /** 650000 samples at 360 Hz = 1805.56 s: windows start at 0, 5, ..., 1795 s. */
    private static final int WINDOWS = 360;

    @RegisterExtension static final EmbeddedKafka KAFKA = EmbeddedKafka.builder().extension();

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            RunningJob.miniCluster(
                    // One slot more for the accuracy job beside the inference job.
                    RunningJob.PARALLELISM + 1);

    @Test
    void mitdb100ReplayedThroughTheJobGivesOneWindowPerHopAndNoDeadLetters() throws Exception {
        String suffix = IntegrationSettings.uniqueSuffix();
        Configuration conf = IntegrationSettings.forRun(KAFKA.bootstrapServers(), suffix);
        String truthTopic = "ground-truth-" + suffix;
        try (RunningJob job = RunningJob.start(conf, "replay-it-" + suffix, input -> input)) {
            int exit =
                    new CommandLine(new ReplayCommand())
                            .execute(
                                    "--bootstrap-servers",
                                    KAFKA.bootstrapServers(),
                                    "--record",
                                    RepositoryLayout.testData().resolve("mitdb/100").toString(),
                                    "--as-fast-as-possible",
                                    "--topic",
                                    job.settings.sensorTopic,
                                    "--ground-truth-topic",
                                    truthTopic,
                                    "--create-topics");
            assertThat(exit).isZero();

            RecordCodec<WindowEmbedding> codec = RecordCodec.forType(WindowEmbedding.class);
            List<Long> starts = new ArrayList<>();
            Map<String, ExampleConsumers.Expected> written = new HashMap<>();
            for (ConsumerRecord<byte[], byte[]> r :
                    KAFKA.drain(job.settings.embeddingsTopic, WINDOWS, Duration.ofSeconds(120))) {
                WindowEmbedding e = codec.decode(r.value());
                written.put(
                        ExampleConsumers.id(r.topic(), r.partition(), r.offset()),
                        new ExampleConsumers.Expected(r, e));
                assertThat(e.getDeviceId()).isEqualTo("mitdb-100");
                assertThat(e.getMissingFraction()).isLessThan(0.02f);
                starts.add(e.getWindowStartMicros());
            }
            assertThat(starts).hasSize(WINDOWS).doesNotHaveDuplicates();
            long first = starts.stream().mapToLong(Long::longValue).min().orElseThrow();
            List<Long> expected = new ArrayList<>();
            for (int k = 0; k < WINDOWS; k++) {
                expected.add(first + k * 5 * SECOND);
            }
            assertThat(starts).containsExactlyInAnyOrderElementsOf(expected);

            assertThat(
                            KAFKA.drainUntilQuiet(
                                    job.settings.deadLetterTopic,
                                    Duration.ofSeconds(3),
                                    Duration.ofSeconds(10)))
                    .as("dead letters")
                    .isEmpty();

            // The annotations' ground truth lines up with the windows: same starts, normal rhythm,
            // about 75 bpm.
            RecordCodec<GroundTruth> truth = RecordCodec.forType(GroundTruth.class);
            List<ConsumerRecord<byte[], byte[]>> spans =
                    KAFKA.drain(truthTopic, WINDOWS, Duration.ofSeconds(30));
            assertThat(spans).hasSize(WINDOWS);
            Map<Long, Double> truthBpmByStart = new HashMap<>();
            for (ConsumerRecord<byte[], byte[]> r : spans) {
                GroundTruth g = truth.decode(r.value());
                assertThat(expected).contains(g.getSpanStartMicros());
                assertThat(g.getRhythm()).isEqualTo(Rhythm.NORMAL);
                truthBpmByStart.put(g.getSpanStartMicros(), g.getHeartRateBpm());
            }

            // Consumers in other languages: both examples decode every embedding and prediction
            // (window and recording scope) from the published .avsc files alone, as the job wrote
            // them.
            int tasks = job.manifest.heads().size();
            RecordCodec<Prediction> predictions = RecordCodec.forType(Prediction.class);
            int recordingScope = 0;
            for (ConsumerRecord<byte[], byte[]> r :
                    KAFKA.drain(
                            job.settings.predictionsTopic,
                            WINDOWS * tasks + tasks,
                            Duration.ofSeconds(60))) {
                Prediction p = predictions.decode(r.value());
                recordingScope += p.getScope() == PredictionScope.RECORDING ? 1 : 0;
                written.put(
                        ExampleConsumers.id(r.topic(), r.partition(), r.offset()),
                        new ExampleConsumers.Expected(r, p));
            }
            assertThat(recordingScope).isEqualTo(tasks);
            assertThat(written).hasSize(WINDOWS + WINDOWS * tasks + tasks);
            List<String> topics =
                    List.of(job.settings.embeddingsTopic, job.settings.predictionsTopic);
            ExampleConsumers examples = new ExampleConsumers();
            ExampleConsumers.assertAgree(
                    "Java example", written, examples.runJava(KAFKA.bootstrapServers(), topics));
            ExampleConsumers.assertAgree(
                    "Python example",
                    written,
                    examples.runPython(KAFKA.bootstrapServers(), topics));

            // Live accuracy: the accuracy job scores every prediction against the record's
            // annotations as they arrive on the ground-truth topic.
            Map<String, Prediction> byKey = new HashMap<>();
            for (ExampleConsumers.Expected e : written.values()) {
                if (e.decoded() instanceof Prediction p) {
                    byKey.put(p.getWindowStartMicros() + "/" + p.getTask() + "/" + p.getScope(), p);
                }
            }
            Configuration accuracy = new Configuration(conf);
            accuracy.set(FmstreamOptions.GROUND_TRUTH_TOPIC, truthTopic);
            accuracy.set(FmstreamOptions.ACCURACY_TOPIC, "accuracy-" + suffix);
            // The record is 30 min long: its recording-scope predictions need all its truth.
            accuracy.set(FmstreamOptions.ACCURACY_HORIZON, Duration.ofHours(1));
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(1);
            AccuracyJob.build(env, AccuracyJob.Settings.from(accuracy));
            JobClient accuracyJob = env.executeAsync("accuracy-it-" + suffix);
            try {
                RecordCodec<AccuracyOutcome> outcomes = RecordCodec.forType(AccuracyOutcome.class);
                Map<String, Integer> counts = new TreeMap<>();
                for (ConsumerRecord<byte[], byte[]> r :
                        KAFKA.drain(
                                "accuracy-" + suffix, 2 * WINDOWS + 2, Duration.ofSeconds(90))) {
                    AccuracyOutcome o = outcomes.decode(r.value());
                    counts.merge(o.getTask() + "/" + o.getScope(), 1, Integer::sum);
                    Prediction p =
                            byKey.get(
                                    o.getWindowStartMicros()
                                            + "/"
                                            + o.getTask()
                                            + "/"
                                            + o.getScope());
                    assertThat(p).as("the scored prediction was written").isNotNull();
                    assertThat(o.getEncoderSha256()).isEqualTo(p.getEncoderId().getSha256());
                    switch (o.getTask()) {
                        case "rhythm" -> {
                            assertThat(o.getPredictedLabel()).isEqualTo(p.getLabel());
                            assertThat(o.getTruthLabel()).isEqualTo("normal"); // annotated
                            assertThat(o.getAgree())
                                    .isEqualTo(o.getPredictedLabel().equals(o.getTruthLabel()));
                        }
                        case "heart_rate" -> {
                            assertThat(o.getTruthValue()).isBetween(55.0, 110.0);
                            if (o.getScope().equals("WINDOW")) {
                                // The span of the window's own bounds, not a blend with the
                                // spans overlapping it by half.
                                assertThat(o.getTruthValue())
                                        .isEqualTo(truthBpmByStart.get(o.getWindowStartMicros()));
                            }
                            assertThat(o.getAbsoluteError())
                                    .isCloseTo(
                                            Math.abs(p.getValue() - o.getTruthValue()),
                                            org.assertj.core.data.Offset.offset(1e-9));
                        }
                        default -> throw new AssertionError("unexpected task " + o.getTask());
                    }
                }
                System.out.println("accuracy outcomes by task/scope: " + counts);
                // Every heart-rate and rhythm prediction scored: the annotations cover every
                // window. Signal quality is not: a real record's annotations carry no noise figure.
                assertThat(counts)
                        .hasSize(4)
                        .containsEntry("heart_rate/WINDOW", WINDOWS)
                        .containsEntry("heart_rate/RECORDING", 1)
                        .containsEntry("rhythm/WINDOW", WINDOWS)
                        .containsEntry("rhythm/RECORDING", 1);
            } finally {
                accuracyJob.cancel().get();
            }
        }
    }
}
