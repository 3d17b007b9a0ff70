package io.fmstream.job.types;

import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.core.records.EmbeddingRecord;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/**
 * The serializer contract ({@link RecordSerializerTestBase}) over a full embedding with awkward
 * floats, an empty and a null one; and a copy that shares no array with its original, since every
 * chained head gets its own copy.
 */
class EmbeddingRecordSerializerTest extends RecordSerializerTestBase<EmbeddingRecord> {

    EmbeddingRecordSerializerTest() {
        super(EmbeddingRecord.class);
    }

    @Override
    protected TypeSerializer<EmbeddingRecord> createSerializer() {
        return EmbeddingRecordSerializer.INSTANCE;
    }

    @Override
    protected Class<EmbeddingRecord> getTypeClass() {
        return EmbeddingRecord.class;
    }

    @Override
    protected EmbeddingRecord[] getTestData() {
        EmbeddingRecord full = embedding("dev-1", awkwardFloats(256, 11));
        full.windowStartMicros = 1_764_000_000_000_000L;
        full.windowEndMicros = 1_764_000_010_000_000L;
        full.missingFraction = 0.02f;
        full.newestAppendTimeMillis = 1_764_000_010_250L;
        full.recordingStartMicros = 1_763_999_000_000_000L;
        EmbeddingRecord empty = embedding("dévice-ü", new float[0]);
        empty.missingFraction = Float.NaN;
        empty.recordingStartMicros = Long.MIN_VALUE;
        return new EmbeddingRecord[] {full, empty, embedding(null, null)};
    }

    private static EmbeddingRecord embedding(String device, float[] vector) {
        EmbeddingRecord e = new EmbeddingRecord();
        e.deviceId = device;
        e.embedding = vector;
        return e;
    }

    @Test
    void aCopySharesNoVectorAndTheVectorIsOneBlockOfFourBytesPerValue() throws Exception {
        EmbeddingRecord e = getTestData()[0];
        EmbeddingRecord copy = EmbeddingRecordSerializer.INSTANCE.copy(e);
        assertThat(copy.embedding).isNotSameAs(e.embedding);
        assertThat(differingField(e, copy)).isNull();

        DataOutputSerializer out = new DataOutputSerializer(2048);
        RecordTypeInfo.EMBEDDING.createSerializer(new SerializerConfigImpl()).serialize(e, out);
        assertThat(out.length()).isBetween(256 * 4, 256 * 4 + 64);
        EmbeddingRecord back =
                EmbeddingRecordSerializer.INSTANCE.deserialize(
                        new DataInputDeserializer(out.getCopyOfBuffer()));
        assertThat(differingField(e, back)).isNull();
    }
}
