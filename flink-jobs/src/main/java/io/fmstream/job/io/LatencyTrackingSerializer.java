package io.fmstream.job.io;

import io.fmstream.metrics.FmstreamMetrics;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.lineage.DefaultKafkaDatasetFacet;
import org.apache.flink.connector.kafka.lineage.DefaultKafkaDatasetIdentifier;
import org.apache.flink.connector.kafka.lineage.KafkaDatasetFacet;
import org.apache.flink.connector.kafka.lineage.KafkaDatasetFacetProvider;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.metrics.Histogram;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Base of the output serializers: encodes one record as Avro single-object bytes keyed by device
 * id, and records the written latency (now, when the sink hands the record to the producer, minus
 * the Kafka append time of the newest chunk in its window).
 */
abstract class LatencyTrackingSerializer<T>
        implements KafkaRecordSerializationSchema<T>, KafkaDatasetFacetProvider {
    private static final long serialVersionUID = 1L;

    private final String topic;
    private transient Histogram writtenLatency;

    LatencyTrackingSerializer(String topic) {
        this.topic = topic;
    }

    @Override
    public void open(
            SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext)
            throws Exception {
        // The exactly-once writer opens its serializer more than once; a second registration
        // would be rejected and leave this field pointing at an unreported histogram.
        if (writtenLatency == null) {
            writtenLatency =
                    context.getMetricGroup()
                            .addGroup(FmstreamMetrics.TOPIC, topic)
                            .histogram(
                                    FmstreamMetrics.WRITTEN_LATENCY_SECONDS,
                                    FmstreamMetrics.histogram(
                                            FmstreamMetrics.WRITTEN_LATENCY_SECONDS));
        }
        openCodec();
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(
            T element, KafkaSinkContext context, Long timestamp) {
        long now = System.currentTimeMillis();
        long origin = originAppendTimeMillis(element);
        if (origin > 0) {
            writtenLatency.update(now - origin);
        }
        byte[] key = key(element);
        return new ProducerRecord<>(topic, null, null, key, encode(element, now));
    }

    /** Names the one fixed topic; the sink's POOLING transaction naming requires it. */
    @Override
    public Optional<KafkaDatasetFacet> getKafkaDatasetFacet() {
        return Optional.of(
                new DefaultKafkaDatasetFacet(
                        DefaultKafkaDatasetIdentifier.ofTopics(List.of(topic))));
    }

    static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    /** Creates the (non-serialisable) Avro codec on the task. */
    abstract void openCodec();

    abstract byte[] key(T element);

    /** Kafka append time of the input this record derives from, or 0 when unknown. */
    abstract long originAppendTimeMillis(T element);

    abstract byte[] encode(T element, long nowMillis);
}
