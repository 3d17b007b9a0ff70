package io.fmstream.job.io;

import io.fmstream.core.records.SourceRef;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Keeps each Kafka record as it is (coordinates, key, value, timestamp); it cannot throw, so a
 * poison record can never fail the source. Decoding happens in the next operator, where a failure
 * becomes a dead letter with the original bytes.
 */
public final class SourceRecordDeserializer implements KafkaRecordDeserializationSchema<SourceRef> {
    private static final long serialVersionUID = 1L;

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<SourceRef> out) {
        out.collect(
                new SourceRef(
                        record.topic(),
                        record.partition(),
                        record.offset(),
                        record.timestamp(),
                        record.key(),
                        record.value()));
    }

    @Override
    public TypeInformation<SourceRef> getProducedType() {
        return TypeInformation.of(SourceRef.class);
    }
}
