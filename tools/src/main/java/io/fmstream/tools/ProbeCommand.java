package io.fmstream.tools;

import io.fmstream.metrics.FmstreamMetrics;
import io.fmstream.schemas.Prediction;
import io.fmstream.schemas.PredictionScope;
import io.fmstream.schemas.codec.DecodeException;
import io.fmstream.schemas.codec.RecordCodec;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The committed-latency probe: a {@code read_committed} consumer of the predictions topic that
 * measures, for each window prediction, when it became visible to consumers minus the Kafka append
 * time of the newest chunk in its window (the job's written latency plus the wait for the
 * checkpoint that commits it), and exports it to Prometheus as {@code
 * fmstream_committed_latency_seconds}, with the same buckets as the job's written latency, so both
 * aggregate and compare in PromQL.
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

    @Option(
            names = "--metrics-port",
            defaultValue = "9251",
            description = "Port of the Prometheus endpoint (default: ${DEFAULT-VALUE}).")
    int metricsPort;

    @Option(names = "--duration", description = "Stop after this long, ISO-8601 (default: never).")
    Duration duration;

    /** The probe's metrics; public for tests and embedding. */
    public static final class Probe {
        final Histogram committed;
        final Counter undecodable;
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
        try (HTTPServer server =
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
            while (System.nanoTime() < end) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    probe.observe(r, System.currentTimeMillis());
                }
            }
        }
        return 0;
    }
}
