package io.fmstream.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fmstream.job.FmstreamOptions;
import io.fmstream.testkit.EmbeddedKafka;
import java.util.List;
import java.util.Properties;
import org.apache.flink.configuration.Configuration;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code FmstreamProducerEpochNearLimit} made to fire by real producer epochs: under transactions
 * V2 every commit bumps a transactional id's epoch (FLINK-40689's road to the rollover), the probe
 * reads them from the coordinator and Debian's Prometheus evaluates the shipped rule. Only its
 * threshold is scaled (24,000 commits on one id take the job days; here 60 commits stand for them,
 * against a threshold of 50), as {@link LocalPrometheus} scales the windows: one sink's ids past it
 * fire the alert for that sink, another sink's below it stays silent.
 */
class ProducerEpochAlertIntegrationTest {

    private static final int PROBE_PORT = PrometheusScrape.freePort();

    @RegisterExtension static final EmbeddedKafka KAFKA = EmbeddedKafka.builder().extension();

    @org.junit.jupiter.api.AfterEach
    void stopCommands() throws InterruptedException {
        BackgroundCommand.stopAll(); // also after a failed assertion
    }

    @Test
    void aSinkWhoseEpochPassesTheThresholdFiresForThatSinkOnly() throws Exception {
        String suffix = IntegrationSettings.uniqueSuffix();
        Configuration conf = IntegrationSettings.forRun(KAFKA.bootstrapServers(), suffix);
        String prefix = conf.get(FmstreamOptions.TRANSACTIONAL_ID_PREFIX);
        String topic = conf.get(FmstreamOptions.PREDICTIONS_TOPIC);
        KAFKA.createTopics(1, topic);
        commit(prefix + "-predictions-0-0", topic, 60);
        commit(prefix + "-embeddings-0-0", topic, 10);
        String rule = "max by (sink) (fmstream_transaction_producer_epoch) > 24000";
        try (LocalPrometheus prometheus =
                LocalPrometheus.start(
                        List.of("127.0.0.1:" + PROBE_PORT),
                        rules -> {
                            assertThat(rules).contains(rule);
                            return rules.replace(rule, rule.replace("24000", "50"));
                        })) {
            BackgroundCommand probe =
                    PrometheusAlertsIntegrationTest.probe(conf, PROBE_PORT, "PT1S", "PT45S");
            String alert =
                    "ALERTS{alertname=\"FmstreamProducerEpochNearLimit\",alertstate=\"firing\"}";
            PrometheusAlertsIntegrationTest.await(
                    "FmstreamProducerEpochNearLimit",
                    java.time.Duration.ofSeconds(45),
                    () -> !prometheus.query(alert).isEmpty());
            List<JsonNode> epochs =
                    prometheus.query("max by (sink) (fmstream_transaction_producer_epoch)");
            System.out.printf("producer epochs by sink: %s%n", epochs);
            assertThat(epochs)
                    .extracting(
                            e -> e.at("/metric/sink").asText() + "=" + e.at("/value/1").asText())
                    .containsExactlyInAnyOrder(
                            prefix + "-predictions=60", prefix + "-embeddings=10");
            List<JsonNode> firing = prometheus.query(alert);
            assertThat(firing)
                    .extracting(e -> e.at("/metric/sink").asText())
                    .containsExactly(prefix + "-predictions");
            probe.stop(); // before its --duration: the test has what it needs
        }
    }

    /** {@code n} committed transactions under {@code transactionalId}: epoch n under V2. */
    private static void commit(String transactionalId, String topic, int n) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
            for (int i = 0; i < n; i++) {
                producer.beginTransaction();
                producer.send(new ProducerRecord<>(topic, new byte[] {(byte) i}));
                producer.commitTransaction();
            }
        }
    }
}
