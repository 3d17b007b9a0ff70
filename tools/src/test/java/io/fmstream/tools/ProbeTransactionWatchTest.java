package io.fmstream.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.kafka.GroupLag;
import io.fmstream.kafka.Transactions;
import io.fmstream.testkit.EmbeddedKafka;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The probe's watch of the sinks' transactions against a real broker: under transactions V2 every
 * commit bumps the producer epoch (what brings a pooled id to Kafka's limit, FLINK-40689), and an
 * open transaction shows with its age (what holds back read_committed readers, FLINK-40626). And
 * its reading of the job's consumer-group lag.
 */
class ProbeTransactionWatchTest {

    @RegisterExtension static final EmbeddedKafka KAFKA = EmbeddedKafka.builder().extension();

    @Test
    void epochsAndOpenTransactionsAreReportedPerSink() throws Exception {
        String topic = EmbeddedKafka.uniqueTopic("out");
        KAFKA.createTopics(1, topic);
        String prefix = "watch" + System.nanoTime();
        PrometheusRegistry registry = new PrometheusRegistry();
        ProbeCommand.Probe probe = new ProbeCommand.Probe(registry);
        // No count before a scan has succeeded (a scan that is off must not read as "sees 0").
        assertThat(scrape(registry)).doesNotContain("fmstream_probe_transactional_ids");
        // The shared admin client of the broker: not closed here.
        Admin admin = KAFKA.admin();
        try (KafkaProducer<byte[], byte[]> predictions = producer(prefix + "-predictions-0-0");
                KafkaProducer<byte[], byte[]> embeddings = producer(prefix + "-embeddings-1-3");
                // another deployment's sink, whose prefix extends this one's
                KafkaProducer<byte[], byte[]> other = producer(prefix + "-eu-predictions-0-0")) {
            other.initTransactions();
            short tv =
                    admin.describeFeatures()
                            .featureMetadata()
                            .get()
                            .finalizedFeatures()
                            .get("transaction.version")
                            .maxVersionLevel();
            assertThat(tv).as("transaction.version of the test broker").isEqualTo((short) 2);
            predictions.initTransactions();
            embeddings.initTransactions();
            for (int i = 0; i < 5; i++) {
                predictions.beginTransaction();
                predictions.send(new ProducerRecord<>(topic, new byte[] {(byte) i})).get();
                predictions.commitTransaction();
            }
            // One transaction left open, as a producer that died before committing leaves it.
            embeddings.beginTransaction();
            embeddings.send(new ProducerRecord<>(topic, new byte[] {9})).get();
            long openedAt = System.currentTimeMillis();
            Thread.sleep(1_500);

            List<Transactions.Txn> txns = Transactions.under(admin, prefix, Duration.ofSeconds(10));
            assertThat(txns)
                    .extracting(Transactions.Txn::transactionalId)
                    .containsExactly(prefix + "-embeddings-1-3", prefix + "-predictions-0-0");
            Transactions.Txn committed = txns.get(1);
            // V2: initTransactions gives epoch 0, each of the 5 commits bumps it.
            assertThat(committed.producerEpoch()).isEqualTo(5);
            assertThat(committed.open()).isFalse();
            assertThat(committed.state()).isEqualTo(TransactionState.COMPLETE_COMMIT);
            Transactions.Txn open = txns.get(0);
            assertThat(open.open()).isTrue();
            assertThat(Transactions.open(txns)).containsExactly(prefix + "-embeddings-1-3=Ongoing");

            long now = System.currentTimeMillis();
            probe.transactions(txns, now);
            String text = scrape(registry);
            assertThat(value(text, "fmstream_transaction_producer_epoch", prefix + "-predictions"))
                    .isEqualTo(5.0);
            assertThat(value(text, "fmstream_transactions_open", prefix + "-predictions"))
                    .isEqualTo(0.0);
            assertThat(
                            value(
                                    text,
                                    "fmstream_transaction_oldest_open_seconds",
                                    prefix + "-predictions"))
                    .isEqualTo(0.0);
            assertThat(value(text, "fmstream_transactions_open", prefix + "-embeddings"))
                    .isEqualTo(1.0);
            // The coordinator's start time, on the broker's clock (the same machine here).
            assertThat(
                            value(
                                    text,
                                    "fmstream_transaction_oldest_open_seconds",
                                    prefix + "-embeddings"))
                    .isBetween(1.0, (now - openedAt) / 1000.0 + 1.0);

            embeddings.commitTransaction();
            // commitTransaction returns once the coordinator logged PrepareCommit; it reaches
            // CompleteCommit when the markers are written, a moment later (PrepareCommit counts
            // as open: read_committed readers are still held back until then).
            List<Transactions.Txn> after = List.of();
            for (long deadline = System.currentTimeMillis() + 10_000;
                    System.currentTimeMillis() < deadline; ) {
                after = Transactions.under(admin, prefix, Duration.ofSeconds(10));
                if (Transactions.open(after).isEmpty()) {
                    break;
                }
                Thread.sleep(50);
            }
            assertThat(Transactions.open(after)).as("open after commit").isEmpty();
            probe.transactions(after, System.currentTimeMillis());
            text = scrape(registry);
            assertThat(value(text, "fmstream_transactions_open", prefix + "-embeddings"))
                    .isEqualTo(0.0);
            assertThat(value(text, "fmstream_transaction_producer_epoch", prefix + "-embeddings"))
                    .isEqualTo(1.0);

            // A sink whose ids are gone loses its series.
            probe.transactions(List.of(committed), System.currentTimeMillis());
            assertThat(scrape(registry)).doesNotContain(prefix + "-embeddings");
            assertThat(scrape(registry)).contains("fmstream_probe_transactional_ids 1.0");

            // A failed scan removes the sinks' series instead of leaving their last values (a
            // frozen open-transaction age paged for ever), and is counted; the ids seen stay.
            probe.transactionScanFailed();
            text = scrape(registry);
            assertThat(text)
                    .doesNotContain(prefix + "-predictions")
                    .contains("fmstream_probe_transaction_scan_failures_total 1.0")
                    .contains("fmstream_probe_transactional_ids 1.0");
            // A scan that sees no id under the prefix (a wrong prefix, or no DESCRIBE: Kafka
            // leaves those ids out without an error) says so.
            probe.transactions(
                    Transactions.under(admin, prefix + "-nothing", Duration.ofSeconds(10)),
                    System.currentTimeMillis());
            assertThat(scrape(registry)).contains("fmstream_probe_transactional_ids 0.0");
        }
    }

    /**
     * The consumer group's lag as the probe reads it: last stable offset minus committed offset per
     * partition, summed per topic; partitions the group never committed are left out.
     */
    @Test
    void theGroupLagIsEndMinusCommittedPerTopic() throws Exception {
        String topic = EmbeddedKafka.uniqueTopic("in");
        KAFKA.createTopics(2, topic);
        String group = "lag" + System.nanoTime();
        for (int i = 0; i < 10; i++) {
            KAFKA.produce(topic, 0, null, new byte[] {1}, new byte[] {(byte) i});
        }
        for (int i = 0; i < 4; i++) {
            KAFKA.produce(topic, 1, null, new byte[] {2}, new byte[] {(byte) i});
        }
        // The shared admin client of the broker: not closed here.
        Admin admin = KAFKA.admin();
        commit(admin, group, topic, 0, 3);
        assertThat(GroupLag.byTopic(admin, group, Duration.ofSeconds(10)))
                .containsExactly(java.util.Map.entry(topic, 7L));
        commit(admin, group, topic, 1, 1);
        java.util.Map<String, Long> lag = GroupLag.byTopic(admin, group, Duration.ofSeconds(10));
        assertThat(lag).containsExactly(java.util.Map.entry(topic, 10L));
        assertThat(GroupLag.byTopic(admin, "no-such-group", Duration.ofSeconds(10))).isEmpty();

        PrometheusRegistry registry = new PrometheusRegistry();
        ProbeCommand.Probe probe = new ProbeCommand.Probe(registry);
        probe.groupLag(group, lag);
        String series =
                ProbeCommand.Probe.GROUP_LAG + "{group=\"" + group + "\",topic=\"" + topic + "\"} ";
        assertThat(scrape(registry).lines().filter(l -> l.startsWith(series)))
                .containsExactly(series + "10.0");
        assertThat(scrape(registry)).contains("fmstream_probe_lag_topics 1.0");
        // A failed read removes the series (a frozen lag would hide its growth) and is counted.
        probe.lagScanFailed(group);
        assertThat(scrape(registry))
                .doesNotContain(series)
                .contains("fmstream_probe_lag_scan_failures_total 1.0")
                .contains("fmstream_probe_lag_topics 1.0");
        // A group without committed offsets (a wrong name, a job not yet committed): 0 topics.
        probe.groupLag(group, java.util.Map.of());
        assertThat(scrape(registry))
                .doesNotContain(series)
                .contains("fmstream_probe_lag_topics 0.0");
    }

    /** Sets {@code group}'s committed offset of one partition, as a consumer's commit would. */
    private static void commit(Admin admin, String group, String topic, int partition, long offset)
            throws Exception {
        admin.alterConsumerGroupOffsets(
                        group,
                        java.util.Map.of(
                                new org.apache.kafka.common.TopicPartition(topic, partition),
                                new org.apache.kafka.clients.consumer.OffsetAndMetadata(offset)))
                .all()
                .get();
    }

    private static KafkaProducer<byte[], byte[]> producer(String transactionalId) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static String scrape(PrometheusRegistry registry) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new PrometheusTextFormatWriter(false).write(out, registry.scrape());
        return out.toString(StandardCharsets.UTF_8);
    }

    private static double value(String text, String metric, String sink) {
        String head = metric + "{sink=\"" + sink + "\"} ";
        return text.lines()
                .filter(l -> l.startsWith(head))
                .mapToDouble(l -> Double.parseDouble(l.substring(head.length()).trim()))
                .findFirst()
                .orElseThrow(() -> new AssertionError(head + " not in\n" + text));
    }
}
