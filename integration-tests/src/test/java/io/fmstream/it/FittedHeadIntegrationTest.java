package io.fmstream.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.fmstream.core.model.HeadRunner;
import io.fmstream.core.model.ModelBundle;
import io.fmstream.core.recording.RecordingAggregator;
import io.fmstream.data.RepositoryLayout;
import io.fmstream.job.FmstreamOptions;
import io.fmstream.schemas.Prediction;
import io.fmstream.schemas.PredictionScope;
import io.fmstream.schemas.WindowEmbedding;
import io.fmstream.schemas.codec.RecordCodec;
import io.fmstream.testkit.EmbeddedKafka;
import io.fmstream.tools.FmstreamCli;
import io.fmstream.tools.ReplayCommand;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A head the bundle does not have, fitted in Java by {@code fit-head} from 10 labelled recordings
 * per class (AF vs the rest, on the shipped bundle's frozen encoder), served by the production job
 * unchanged: every window of the replayed recordings gets exactly one prediction of the new task,
 * equal to the head applied to that window's published embedding, next to the bundle's own heads.
 */
class FittedHeadIntegrationTest {

    private static final Path TRAIN = RepositoryLayout.testData().resolve("cinc2017-train");
    private static final String TASK = "af_vs_rest";

    @RegisterExtension static final EmbeddedKafka KAFKA = EmbeddedKafka.builder().extension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = RunningJob.miniCluster(RunningJob.PARALLELISM);

    @TempDir Path dir;

    @Test
    void aHeadFittedInJavaIsServedByTheJobForEveryWindow() throws Exception {
        Path bundle = dir.resolve("bundle");
        int fit =
                FmstreamCli.commandLine()
                        .execute(
                                "fit-head",
                                "--bundle",
                                RepositoryLayout.defaultBundle().toString(),
                                "--out",
                                bundle.toString(),
                                "--task",
                                TASK,
                                "--records",
                                TRAIN.toString(),
                                "--labels",
                                TRAIN.resolve("REFERENCE.csv").toString(),
                                "--map",
                                "A=af",
                                "--default-label",
                                "rest",
                                "--classes",
                                "rest,af",
                                "--per-class",
                                "10",
                                "--seed",
                                "7");
        assertThat(fit).isZero();

        // six recordings, three AF and three not (names from REFERENCE.csv, last of each kind)
        List<String> af = new ArrayList<>();
        List<String> rest = new ArrayList<>();
        for (String line : Files.readAllLines(TRAIN.resolve("REFERENCE.csv"))) {
            String[] p = line.split(",");
            (p[1].equals("A") ? af : rest).add(p[0]);
        }
        List<String> chosen = new ArrayList<>(af.subList(af.size() - 3, af.size()));
        chosen.addAll(rest.subList(rest.size() - 3, rest.size()));
        Path list = dir.resolve("records.txt");
        Files.write(list, chosen.stream().map(r -> TRAIN.resolve(r).toString()).toList());

        String suffix = IntegrationSettings.uniqueSuffix();
        Configuration conf = IntegrationSettings.forRun(KAFKA.bootstrapServers(), suffix);
        conf.set(FmstreamOptions.BUNDLE, bundle.toUri().toString());
        try (RunningJob job = RunningJob.start(conf, "fitted-head-it-" + suffix, input -> input);
                ModelBundle served = ModelBundle.load(bundle, 1)) {
            assertThat(job.manifest.heads()).extracting(h -> h.task()).contains(TASK, "rhythm");
            int exit =
                    new CommandLine(new ReplayCommand())
                            .execute(
                                    "--bootstrap-servers",
                                    KAFKA.bootstrapServers(),
                                    "--records-from",
                                    list.toString(),
                                    "--as-fast-as-possible",
                                    "--topic",
                                    job.settings.sensorTopic,
                                    "--ground-truth-topic",
                                    "none");
            assertThat(exit).isZero();

            RecordCodec<WindowEmbedding> embeddings = RecordCodec.forType(WindowEmbedding.class);
            Map<String, float[]> vectors = new TreeMap<>();
            for (ConsumerRecord<byte[], byte[]> r :
                    KAFKA.drainUntilQuiet(
                            job.settings.embeddingsTopic,
                            Duration.ofSeconds(5),
                            Duration.ofSeconds(60))) {
                WindowEmbedding e = embeddings.decode(r.value());
                float[] v = new float[e.getEmbeddingDim()];
                e.getEmbedding().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
                assertThat(vectors.put(e.getDeviceId() + "@" + e.getWindowStartMicros(), v))
                        .isNull();
            }
            assertThat(vectors).hasSizeGreaterThanOrEqualTo(6 * 3);

            int heads = job.manifest.heads().size();
            RecordCodec<Prediction> predictions = RecordCodec.forType(Prediction.class);
            Map<String, Prediction> fitted = new HashMap<>();
            Map<String, Prediction> fittedRecordings = new HashMap<>();
            int all = 0;
            int recordings = 0;
            // Every window's prediction per head, and (each replayed record ends with an
            // end-of-recording chunk) one recording-level prediction per record and head.
            for (ConsumerRecord<byte[], byte[]> r :
                    KAFKA.drain(
                            job.settings.predictionsTopic,
                            (vectors.size() + 6) * heads,
                            Duration.ofSeconds(60))) {
                Prediction p = predictions.decode(r.value());
                if (p.getScope() == PredictionScope.RECORDING) {
                    recordings++;
                    if (p.getTask().equals(TASK)) {
                        assertThat(fittedRecordings.put(p.getDeviceId(), p)).isNull();
                    }
                    continue;
                }
                all++;
                if (p.getTask().equals(TASK)) {
                    assertThat(fitted.put(p.getDeviceId() + "@" + p.getWindowStartMicros(), p))
                            .isNull();
                }
            }
            assertThat(all).isEqualTo(vectors.size() * heads);
            assertThat(recordings).isEqualTo(6 * heads);
            assertThat(fitted.keySet()).isEqualTo(vectors.keySet());

            HeadRunner head = served.head(TASK).orElseThrow();
            Map<String, List<float[]>> byDevice = new TreeMap<>();
            for (Map.Entry<String, Prediction> e : fitted.entrySet()) {
                float[] expected = head.apply(new float[][] {vectors.get(e.getKey())})[0];
                List<Float> scores = e.getValue().getScores();
                assertThat(scores).hasSize(2);
                for (int c = 0; c < 2; c++) {
                    assertThat(scores.get(c)).isCloseTo(expected[c], within(1e-5f));
                }
                assertThat(e.getValue().getLabel()).isEqualTo(head.label(expected));
                byDevice.computeIfAbsent(
                                e.getKey().substring(0, e.getKey().indexOf('@')),
                                k -> new ArrayList<>())
                        .add(new float[] {scores.get(0), scores.get(1)});
            }
            assertThat(byDevice).hasSize(6);
            // recording level, by the one rule: printed for the reader; accuracy is the
            // evaluation's business
            // The job's recording-level prediction is the one rule applied to its windows.
            assertThat(fittedRecordings).hasSize(6);
            byDevice.forEach(
                    (device, rows) -> {
                        RecordingAggregator.Classification c =
                                RecordingAggregator.classify(rows, 2).orElseThrow();
                        Prediction rec = fittedRecordings.get(device);
                        assertThat(rec.getWindows()).isEqualTo(rows.size());
                        assertThat(rec.getLabel()).isEqualTo(head.labels().get(c.label()));
                        for (int k = 0; k < 2; k++) {
                            assertThat((double) rec.getScores().get(k))
                                    .isCloseTo(c.probability(k), within(1e-6));
                        }
                        System.out.printf(
                                "fitted head %s: %s -> %s over %d windows%n",
                                TASK, device, rec.getLabel(), rec.getWindows());
                    });
        }
    }
}
