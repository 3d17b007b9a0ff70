package io.fmstream.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fmstream.job.FmstreamOptions;
import io.fmstream.job.accuracy.AccuracyJob;
import io.fmstream.schemas.EncoderId;
import io.fmstream.schemas.GroundTruth;
import io.fmstream.schemas.HeadKind;
import io.fmstream.schemas.Prediction;
import io.fmstream.schemas.PredictionScope;
import io.fmstream.schemas.Rhythm;
import io.fmstream.schemas.codec.RecordCodec;
import io.fmstream.testkit.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code FmstreamAccuracyDrop} fired by what it is written for: the accuracy job (the real one, at
 * parallelism 2) scores a steady stream of rhythm predictions against their delayed ground truth,
 * and Debian's Prometheus evaluates the shipped rules on its metrics. The predictions agree with
 * the truth at first; then the same devices' predictions stop agreeing (what a broken input or a
 * bad bundle does), and the alert fires for the rhythm task's window scope, and not before.
 *
 * <p>The predictions and truth are written by this test rather than by an inference job and the
 * simulator: the alert is about the accuracy job's arithmetic and the rules, and a fault in the
 * model's agreement cannot be switched on at a chosen moment otherwise. The rule compares the last
 * 30 minutes with the same time a day earlier; here, as {@link LocalPrometheus} shortens every
 * window, the agreement's window is 10 s, the offset 12 s and the alert's {@code for:} 5 s
 * (promtool tests the shipped ones).
 */
class AccuracyDropAlertIntegrationTest {

    private static final int FMSTREAM_PORT = PrometheusScrape.freePort();
    private static final int FLINK_PORT = PrometheusScrape.freePort();
    private static final String RATIO = "fmstream:accuracy_agreement:ratio_30m";
    private static final int DEVICES = 10;

    @RegisterExtension static final EmbeddedKafka KAFKA = EmbeddedKafka.builder().extension();

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            RunningJob.miniCluster(RunningJob.PARALLELISM, FMSTREAM_PORT, FLINK_PORT);

    @Test
    void agreementFallingByMoreThanTenPointsFiresTheAlertAndSteadyAgreementDoesNot()
            throws Exception {
        String suffix = IntegrationSettings.uniqueSuffix();
        Configuration conf = IntegrationSettings.forRun(KAFKA.bootstrapServers(), suffix);
        conf.set(FmstreamOptions.GROUND_TRUTH_TOPIC, "truth-" + suffix);
        conf.set(FmstreamOptions.ACCURACY_TOPIC, "accuracy-" + suffix);
        String predictions = conf.get(FmstreamOptions.PREDICTIONS_TOPIC);
        String truth = conf.get(FmstreamOptions.GROUND_TRUTH_TOPIC);
        KAFKA.createTopics(2, predictions, truth);
        AtomicBoolean disagree = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong produced = new AtomicLong();
        try (LocalPrometheus prometheus =
                LocalPrometheus.start(
                        List.of("127.0.0.1:" + FMSTREAM_PORT, "127.0.0.1:" + FLINK_PORT),
                        rules -> {
                            String window = "rate(fmstream_accuracy_%s_total[60s])"; // as shortened
                            for (String counter : List.of("agreed", "scored")) {
                                String shortened = String.format(window, counter);
                                assertThat(rules).contains(shortened);
                                rules = rules.replace(shortened, shortened.replace("60s", "10s"));
                            }
                            assertThat(rules).contains("offset 1d");
                            rules = rules.replace("offset 1d", "offset 12s");
                            // The alert's `for:` (30 min as shipped, 10 s as shortened) to 5 s.
                            String alert = "offset 12s - 0.10\n        for: 10s";
                            assertThat(rules).contains(alert);
                            return rules.replace(alert, alert.replace("10s", "5s"));
                        })) {
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(RunningJob.PARALLELISM);
            AccuracyJob.build(env, AccuracyJob.Settings.from(conf));
            JobClient job = env.executeAsync("accuracy-drop-" + suffix);
            Thread writer =
                    new Thread(
                            () -> writeWindows(predictions, truth, disagree, stop, produced),
                            "predictions-and-truth");
            writer.setDaemon(true);
            writer.start();
            try {
                // Steady agreement, long enough for the rule's comparison to have a past.
                PrometheusAlertsIntegrationTest.await(
                        "agreement 1.0 now and 12 s ago",
                        Duration.ofSeconds(90),
                        () ->
                                value(prometheus, RATIO + "{task=\"rhythm\",scope=\"window\"}")
                                                == 1.0
                                        && value(
                                                        prometheus,
                                                        RATIO
                                                                + "{task=\"rhythm\",scope=\"window\"}"
                                                                + " offset 12s")
                                                == 1.0);
                for (int i = 0; i < 6; i++) {
                    assertThat(alerts(prometheus))
                            .as("FmstreamAccuracyDrop pending or firing while agreement holds")
                            .isEmpty();
                    Thread.sleep(1000);
                }

                // The fault: the same devices' predictions stop agreeing with their truth.
                long fault = System.currentTimeMillis();
                disagree.set(true);
                PrometheusAlertsIntegrationTest.await(
                        "FmstreamAccuracyDrop firing",
                        Duration.ofSeconds(60),
                        () ->
                                alerts(prometheus).stream()
                                        .anyMatch(
                                                a ->
                                                        a.at("/metric/alertstate")
                                                                .asText()
                                                                .equals("firing")));
                System.out.printf(
                        "FmstreamAccuracyDrop fired %.1f s after the predictions stopped agreeing;"
                                + " %d windows written%n",
                        (System.currentTimeMillis() - fault) / 1000.0, produced.get());
                List<JsonNode> firing = alerts(prometheus);
                assertThat(firing).hasSize(1);
                assertThat(firing.get(0).at("/metric/task").asText()).isEqualTo("rhythm");
                assertThat(firing.get(0).at("/metric/scope").asText()).isEqualTo("window");
                assertThat(value(prometheus, RATIO + "{task=\"rhythm\",scope=\"window\"}"))
                        .as("agreement now, 1.0 before the fault")
                        .isLessThan(0.9);
            } finally {
                stop.set(true);
                writer.join(5000);
                job.cancel().get(60, TimeUnit.SECONDS);
            }
        }
    }

    /** The accuracy-drop alerts Prometheus holds now, pending or firing. */
    private static List<JsonNode> alerts(LocalPrometheus prometheus) throws Exception {
        return prometheus.query("ALERTS{alertname=\"FmstreamAccuracyDrop\"}");
    }

    /** The single value of {@code promql}, NaN when it has none. */
    private static double value(LocalPrometheus prometheus, String promql) throws Exception {
        List<JsonNode> r = prometheus.query(promql);
        return r.size() == 1 ? r.get(0).at("/value/1").asDouble() : Double.NaN;
    }

    /**
     * What an inference job and delayed labels would write, 40 windows a second: per device, a 5 s
     * truth span (normal rhythm, clean signal), then the prediction of the 10 s window that span
     * completes, labelled as the truth says or, once {@code disagree} is set, as atrial
     * fibrillation.
     */
    private static void writeWindows(
            String predictionsTopic,
            String truthTopic,
            AtomicBoolean disagree,
            AtomicBoolean stop,
            AtomicLong produced) {
        RecordCodec<Prediction> predictionCodec = RecordCodec.forType(Prediction.class);
        RecordCodec<GroundTruth> truthCodec = RecordCodec.forType(GroundTruth.class);
        EncoderId encoder =
                EncoderId.newBuilder()
                        .setName("accuracy-drop-test")
                        .setVersion("1")
                        .setSha256("00")
                        .build();
        long hop = 5_000_000L;
        long t0 = Math.floorDiv(System.currentTimeMillis() * 1000L, hop) * hop - 3600 * 1_000_000L;
        try {
            for (long k = 0; !stop.get(); k++) {
                for (int d = 0; d < DEVICES; d++) {
                    String device = "acc-" + d;
                    byte[] key = device.getBytes(StandardCharsets.UTF_8);
                    long spanStart = t0 + k * hop;
                    KAFKA.produce(
                            truthTopic,
                            key,
                            truthCodec.encode(
                                    GroundTruth.newBuilder()
                                            .setDeviceId(device)
                                            .setSpanStartMicros(spanStart)
                                            .setSpanEndMicros(spanStart + hop)
                                            .setHeartRateBpm(70.0)
                                            .setRhythm(Rhythm.NORMAL)
                                            .setRhythmFraction(1f)
                                            .setNoiseRmsMv(0.01f)
                                            .setDroppedFraction(0f)
                                            .setSource("accuracy-drop-test")
                                            .build()));
                    if (k == 0) {
                        continue;
                    }
                    long windowStart = spanStart - hop;
                    long now = System.currentTimeMillis();
                    KAFKA.produce(
                            predictionsTopic,
                            key,
                            predictionCodec.encode(
                                    Prediction.newBuilder()
                                            .setDeviceId(device)
                                            .setWindowStartMicros(windowStart)
                                            .setWindowEndMicros(windowStart + 2 * hop)
                                            .setTask("rhythm")
                                            .setHeadName("rhythm")
                                            .setHeadVersion("1")
                                            .setEncoderId(encoder)
                                            .setKind(HeadKind.CLASSIFICATION)
                                            .setLabel(disagree.get() ? "af" : "normal")
                                            .setScores(List.of(0.9f, 0.1f))
                                            .setMissingFraction(0f)
                                            .setNewestChunkAppendTimeMillis(now)
                                            .setEmitTimeMillis(now)
                                            .setScope(PredictionScope.WINDOW)
                                            .setWindows(1)
                                            .build()));
                    produced.incrementAndGet();
                }
                Thread.sleep(250);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
