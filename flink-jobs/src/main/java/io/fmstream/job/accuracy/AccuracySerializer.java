package io.fmstream.job.accuracy;

import io.fmstream.schemas.AccuracyOutcome;
import io.fmstream.schemas.codec.RecordCodec;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.lineage.DefaultKafkaDatasetFacet;
import org.apache.flink.connector.kafka.lineage.DefaultKafkaDatasetIdentifier;
import org.apache.flink.connector.kafka.lineage.KafkaDatasetFacet;
import org.apache.flink.connector.kafka.lineage.KafkaDatasetFacetProvider;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/** A scored prediction as an {@link AccuracyOutcome} record, keyed by device id. */
final class AccuracySerializer
        implements KafkaRecordSerializationSchema<ScoredPrediction>, KafkaDatasetFacetProvider {
    private static final long serialVersionUID = 1L;

    private final String topic;
    private transient RecordCodec<AccuracyOutcome> codec;

    AccuracySerializer(String topic) {
        this.topic = topic;
    }

    @Override
    public void open(
            SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext) {
        codec = RecordCodec.forType(AccuracyOutcome.class);
    }

    /** The target topic: the POOLING transaction naming needs to know it. */
    @Override
    public Optional<KafkaDatasetFacet> getKafkaDatasetFacet() {
        return Optional.of(
                new DefaultKafkaDatasetFacet(
                        DefaultKafkaDatasetIdentifier.ofTopics(List.of(topic))));
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(
            ScoredPrediction s, KafkaSinkContext context, Long timestamp) {
        if (codec == null) {
            codec = RecordCodec.forType(AccuracyOutcome.class);
        }
        PendingPrediction p = s.prediction;
        AccuracyOutcome o =
                AccuracyOutcome.newBuilder()
                        .setDeviceId(p.deviceId)
                        .setWindowStartMicros(p.windowStartMicros)
                        .setWindowEndMicros(p.windowEndMicros)
                        .setScope(p.recording ? "RECORDING" : "WINDOW")
                        .setTask(p.task)
                        .setHeadName(p.headName)
                        .setHeadVersion(p.headVersion)
                        .setEncoderSha256(p.encoderSha256)
                        .setPredictedLabel(p.label)
                        .setTruthLabel(s.truthLabel)
                        .setPredictedValue(Double.isNaN(p.value) ? null : p.value)
                        .setTruthValue(Double.isNaN(s.truthValue) ? null : s.truthValue)
                        .setAgree(s.agree < 0 ? null : s.agree == 1)
                        .setAbsoluteError(Double.isNaN(s.absoluteError) ? null : s.absoluteError)
                        .setScoredTimeMillis(System.currentTimeMillis())
                        .build();
        return new ProducerRecord<>(
                topic, null, null, p.deviceId.getBytes(StandardCharsets.UTF_8), codec.encode(o));
    }
}
