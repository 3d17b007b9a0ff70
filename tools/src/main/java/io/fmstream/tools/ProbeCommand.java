package io.fmstream.tools;

import io.fmstream.kafka.Transactions;
import io.fmstream.metrics.FmstreamMetrics;
import io.fmstream.schemas.Prediction;
import io.fmstream.schemas.PredictionScope;
import io.fmstream.schemas.codec.DecodeException;
import io.fmstream.schemas.codec.RecordCodec;
import io.fmstream.tools.cluster.ClusterSpec;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The committed-latency probe and transaction watch: a {@code read_committed} consumer of the
 * predictions topic that measures, for each window prediction, when it became visible to consumers
 * minus the Kafka append time of the newest chunk in its window (the job's written latency plus the
 * wait for the checkpoint that commits it), and exports it to Prometheus as {@code
 * fmstream_committed_latency_seconds}, with the same buckets as the job's written latency, so both
 * aggregate and compare in PromQL. Beside it, every {@code --transaction-scan-interval} it asks the
 * transaction coordinators about the sinks' transactional ids and exports, per sink, the highest
 * producer epoch and the age of the oldest open transaction (see {@link
 * io.fmstream.kafka.Transactions} for the two connector exposures these show), and every {@code
 * --lag-scan-interval} how far the job's consumer group is behind (see {@link
 * io.fmstream.kafka.GroupLag} for why not Flink's own backlog metric).
 */
@Command(
        name = "probe",
        mixinStandardHelpOptions = true,
        description =
                "Measure committed latency with a read_committed consumer and export it to"
                        + " Prometheus.")
public final class ProbeCommand implements Callable<Integer> {

    @Option(
            names = "--bootstrap-servers",
            required = true,
            description = "Kafka bootstrap servers.")
    String bootstrapServers;

    @picocli.CommandLine.Mixin KafkaClientOptions kafka = new KafkaClientOptions();

    @Option(
            names = "--topic",
            defaultValue = io.fmstream.kafka.Topics.PREDICTIONS,
            description = "Predictions topic (default: ${DEFAULT-VALUE}).")
    String topic;

    @Option(
            names = "--metrics-host",
            defaultValue = "127.0.0.1",
            description = "Interface of the Prometheus endpoint (default: ${DEFAULT-VALUE}).")
    String metricsHost;

    // Outside the Flink reporters' range (ClusterSpec.METRICS_PORTS, 9250-9259): on the local
    // cluster a TaskManager holds 9251, where the probe's default used to be.
    @Option(
            names = "--metrics-port",
            defaultValue = "" + ClusterSpec.PROBE_PORT,
            description = "Port of the Prometheus endpoint (default: ${DEFAULT-VALUE}).")
    int metricsPort;

    @Option(names = "--duration", description = "Stop after this long, ISO-8601 (default: never).")
    Duration duration;

    @Option(
            names = "--transactional-id-prefix",
            defaultValue = "fmstream",
            description =
                    "Watch the Kafka transactions whose ids start with this (the jobs'"
                        + " fmstream.transactional-id-prefix; default: ${DEFAULT-VALUE}): highest"
                        + " producer epoch and oldest open transaction per sink.")
    String transactionalIdPrefix;

    @Option(
            names = "--transaction-scan-interval",
            defaultValue = "PT30S",
            description =
                    "How often to describe the watched transactions, ISO-8601; PT0S: never"
                            + " (default: ${DEFAULT-VALUE}).")
    Duration transactionScanInterval;

    @Option(
            names = "--consumer-group",
            defaultValue = "fmstream",
            description =
                    "Export how far this consumer group (the job's fmstream.kafka.group-id;"
                            + " default: ${DEFAULT-VALUE}) is behind, per topic.")
    String consumerGroup;

    @Option(
            names = "--lag-scan-interval",
            defaultValue = "PT15S",
            description =
                    "How often to read the group's lag, ISO-8601; PT0S: never (default:"
                            + " ${DEFAULT-VALUE}).")
    Duration lagScanInterval;

    /** The probe's metrics; public for tests and embedding. */
    public static final class Probe {
        /** The gauges of the transaction watch, as exported. */
        public static final List<String> TRANSACTION_GAUGES =
                List.of(
                        "fmstream_transaction_producer_epoch",
                        "fmstream_transaction_oldest_open_seconds",
                        "fmstream_transactions_open");

        /** The gauge of the consumer group's lag, as exported. */
        public static final String GROUP_LAG = "fmstream_consumer_group_lag_records";

        final Histogram committed;
        final Counter undecodable;
        final Gauge producerEpoch;
        final Gauge oldestOpen;
        final Gauge openTransactions;
        final Counter scanFailures;
        final Gauge groupLag;
        final Counter lagScanFailures;
        private Gauge transactionalIdsSeen;
        private Gauge lagTopicsSeen;
        private final java.util.Set<java.util.List<String>> lagSeen = new java.util.HashSet<>();
        private final java.util.Set<String> sinksSeen = new java.util.HashSet<>();
        private final RecordCodec<Prediction> codec = RecordCodec.forType(Prediction.class);

        public Probe(PrometheusRegistry registry) {
            committed =
                    Histogram.builder()
                            .name("fmstream_committed_latency_seconds")
                            .help(
                                    "When a window prediction became visible to a read_committed"
                                            + " consumer (the probe) minus the Kafka append time of"
                                            + " the newest chunk in its window, seconds")
                            .classicOnly()
                            .classicUpperBounds(FmstreamMetrics.LATENCY_BUCKETS)
                            .labelNames("topic")
                            .register(registry);
            undecodable =
                    Counter.builder()
                            .name("fmstream_probe_undecodable")
                            .help("Records on the predictions topic the probe could not decode")
                            .labelNames("topic")
                            .register(registry);
            producerEpoch =
                    Gauge.builder()
                            .name("fmstream_transaction_producer_epoch")
                            .help(
                                    "Highest producer epoch among a sink's transactional ids."
                                            + " Kafka rolls it over after 32767; under"
                                            + " transactions V2 every commit bumps it, and a"
                                            + " recovery just after the rollover can fail"
                                            + " (FLINK-40689)")
                            .labelNames("sink")
                            .register(registry);
            oldestOpen =
                    Gauge.builder()
                            .name("fmstream_transaction_oldest_open_seconds")
                            .help(
                                    "Age of a sink's oldest open transaction (0: none open);"
                                            + " an open transaction holds back read_committed"
                                            + " readers of its partitions, seconds")
                            .labelNames("sink")
                            .register(registry);
            openTransactions =
                    Gauge.builder()
                            .name("fmstream_transactions_open")
                            .help("A sink's transactional ids with a transaction in progress")
                            .labelNames("sink")
                            .register(registry);
            scanFailures =
                    Counter.builder()
                            .name("fmstream_probe_transaction_scan_failures")
                            .help(
                                    "Scans of the transaction coordinators that failed (not"
                                            + " reachable, or DESCRIBE on the transactional ids"
                                            + " not granted)")
                            .register(registry);
            groupLag =
                    Gauge.builder()
                            .name(GROUP_LAG)
                            .help(
                                    "Records in a topic past the consumer group's committed"
                                            + " offsets (last stable offset minus committed,"
                                            + " summed over partitions). The job commits on"
                                            + " checkpoints: up to one interval of records is"
                                            + " normal; growth means it falls behind or cannot"
                                            + " checkpoint")
                            .labelNames("group", "topic")
                            .register(registry);
            lagScanFailures =
                    Counter.builder()
                            .name("fmstream_probe_lag_scan_failures")
                            .help(
                                    "Reads of the consumer group's lag that failed (not"
                                            + " reachable, or DESCRIBE on the group or its topics"
                                            + " not granted)")
                            .register(registry);
            this.registry = registry;
        }

        private final PrometheusRegistry registry;

        /**
         * Registered at the first scan that succeeds, not before: an unlabelled gauge is exported
         * as 0 from registration, and FmstreamProbeSeesNothing would fire for a probe whose scan is
         * off (an at-least-once job has no transactional ids to watch).
         */
        private Gauge seenGauge(Gauge existing, String name, String help) {
            return existing != null
                    ? existing
                    : Gauge.builder().name(name).help(help).register(registry);
        }

        /**
         * A scan of the transactions failed: counted, and the sinks' series removed rather than
         * left at their last values (a frozen open-transaction age would page for ever, a frozen
         * epoch would hide its growth); FmstreamProbeScansFailing says the probe is blind.
         */
        public void transactionScanFailed() {
            scanFailures.inc();
            publishSinks(List.of(), System.currentTimeMillis());
        }

        /** A read of the group's lag failed: counted, its series removed (as above). */
        public void lagScanFailed(String group) {
            lagScanFailures.inc();
            publishLag(group, java.util.Map.of());
        }

        /** Publishes one read of {@code group}'s lag by topic; topics gone lose their series. */
        public void groupLag(String group, java.util.Map<String, Long> byTopic) {
            publishLag(group, byTopic);
            lagTopicsSeen =
                    seenGauge(
                            lagTopicsSeen,
                            "fmstream_probe_lag_topics",
                            "Topics with committed offsets of the consumer group the last read of"
                                    + " its lag saw. 0 with a job running: a wrong group, or a job"
                                    + " that has not committed yet");
            lagTopicsSeen.set(byTopic.size());
        }

        private void publishLag(String group, java.util.Map<String, Long> byTopic) {
            java.util.Set<java.util.List<String>> now = new java.util.HashSet<>();
            byTopic.forEach(
                    (topic, lag) -> {
                        now.add(List.of(group, topic));
                        groupLag.labelValues(group, topic).set(lag);
                    });
            for (java.util.List<String> gone : lagSeen) {
                if (!now.contains(gone)) {
                    groupLag.remove(gone.get(0), gone.get(1));
                }
            }
            lagSeen.clear();
            lagSeen.addAll(now);
        }

        /**
         * Publishes one scan of the transactions at wall-clock time {@code nowMillis}; sinks no
         * longer seen (their ids expired) lose their series.
         */
        public void transactions(List<Transactions.Txn> txns, long nowMillis) {
            publishSinks(txns, nowMillis);
            transactionalIdsSeen =
                    seenGauge(
                            transactionalIdsSeen,
                            "fmstream_probe_transactional_ids",
                            "Transactional ids under the prefix the last scan saw. 0 with a job"
                                    + " running: a wrong prefix, or no DESCRIBE on the ids (Kafka"
                                    + " leaves out, without an error, the ids a principal may not"
                                    + " describe)");
            transactionalIdsSeen.set(txns.size());
        }

        private void publishSinks(List<Transactions.Txn> txns, long nowMillis) {
            java.util.Set<String> now = new java.util.HashSet<>();
            for (Transactions.SinkSummary s : Transactions.bySink(txns, nowMillis)) {
                now.add(s.sink());
                producerEpoch.labelValues(s.sink()).set(s.maxProducerEpoch());
                oldestOpen.labelValues(s.sink()).set(s.oldestOpenMillis() / 1000.0);
                openTransactions.labelValues(s.sink()).set(s.open());
            }
            for (String gone : sinksSeen) {
                if (!now.contains(gone)) {
                    producerEpoch.remove(gone);
                    oldestOpen.remove(gone);
                    openTransactions.remove(gone);
                }
            }
            sinksSeen.clear();
            sinksSeen.addAll(now);
        }

        /** Observes one record read at {@code nowMillis}. */
        public void observe(ConsumerRecord<byte[], byte[]> r, long nowMillis) {
            Prediction p;
            try {
                p = codec.decode(r.value());
            } catch (DecodeException e) {
                undecodable.labelValues(r.topic()).inc();
                return;
            }
            if (p.getScope() == PredictionScope.WINDOW) {
                committed
                        .labelValues(r.topic())
                        .observe((nowMillis - p.getNewestChunkAppendTimeMillis()) / 1000.0);
            }
        }
    }

    @Override
    public Integer call() throws Exception {
        java.util.Map<String, String> props = kafka.properties();
        KafkaPublisher.requireReachable(bootstrapServers, props);
        PrometheusRegistry registry = new PrometheusRegistry();
        Probe probe = new Probe(registry);
        Properties p = io.fmstream.kafka.KafkaClientProperties.into(new Properties(), props);
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        long end = duration == null ? Long.MAX_VALUE : System.nanoTime() + duration.toNanos();
        Properties adminProps =
                io.fmstream.kafka.KafkaClientProperties.forAdmin(bootstrapServers, props);
        ScheduledExecutorService scanner =
                Executors.newSingleThreadScheduledExecutor(
                        r -> {
                            Thread t = new Thread(r, "probe-scan");
                            t.setDaemon(true);
                            return t;
                        });
        try (Admin admin = Admin.create(adminProps);
                HTTPServer server =
                        HTTPServer.builder()
                                .inetAddress(InetAddress.getByName(metricsHost))
                                .port(metricsPort)
                                .registry(registry)
                                .buildAndStart();
                KafkaConsumer<byte[], byte[]> consumer =
                        new KafkaConsumer<>(
                                p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> assigned = Topics.assignAll(consumer, topic, bootstrapServers);
            // Live latency: what is committed from now on, not the backlog.
            consumer.seekToEnd(assigned);
            // The series exist from zero before the first record, so the first predictions show
            // as an increase (a counter born at its first value hides it from rate()).
            probe.committed.labelValues(topic);
            probe.undecodable.labelValues(topic);
            System.out.printf(
                    "probe: committed latency of %s at http://%s:%d/metrics%n",
                    topic, metricsHost, server.getPort());
            if (!transactionScanInterval.isZero()) {
                // On its own thread: a slow or refused scan must not delay the reads whose
                // visibility time is the measurement.
                scanner.scheduleWithFixedDelay(
                        () -> scan(admin, probe),
                        0,
                        transactionScanInterval.toMillis(),
                        TimeUnit.MILLISECONDS);
            }
            if (!lagScanInterval.isZero()) {
                scanner.scheduleWithFixedDelay(
                        () -> scanLag(admin, probe),
                        0,
                        lagScanInterval.toMillis(),
                        TimeUnit.MILLISECONDS);
            }
            while (System.nanoTime() < end) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    probe.observe(r, System.currentTimeMillis());
                }
            }
        } finally {
            scanner.shutdownNow();
        }
        return 0;
    }

    private boolean scanFailedBefore;
    private boolean lagScanFailedBefore;

    private void scanLag(Admin admin, Probe probe) {
        try {
            probe.groupLag(
                    consumerGroup,
                    io.fmstream.kafka.GroupLag.byTopic(
                            admin, consumerGroup, Duration.ofSeconds(10)));
            lagScanFailedBefore = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            probe.lagScanFailed(consumerGroup);
            if (!lagScanFailedBefore) {
                System.err.printf(
                        "probe: cannot read the lag of consumer group '%s' (%s); the probe's"
                                + " principal needs DESCRIBE on the group and its topics%n",
                        consumerGroup, e.getCause() == null ? e : e.getCause());
                lagScanFailedBefore = true;
            }
        }
    }

    private void scan(Admin admin, Probe probe) {
        try {
            probe.transactions(
                    Transactions.under(admin, transactionalIdPrefix, Duration.ofSeconds(10)),
                    System.currentTimeMillis());
            scanFailedBefore = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            probe.transactionScanFailed();
            if (!scanFailedBefore) {
                // Once per run of failures: a missing ACL would otherwise repeat every scan.
                System.err.printf(
                        "probe: cannot describe the transactions under '%s' (%s); the probe's"
                                + " principal needs DESCRIBE on those transactional ids%n",
                        transactionalIdPrefix, e.getCause() == null ? e : e.getCause());
                scanFailedBefore = true;
            }
        }
    }
}
