package io.fmstream.job.types;

import io.fmstream.core.records.ChunkRecord;
import io.fmstream.core.records.EmbeddingRecord;
import io.fmstream.core.records.PredictionRecord;
import io.fmstream.core.records.WindowRecord;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/**
 * The type of a stream of one of the job's records, served by its own serializer instead of the
 * POJO serializer. The records stay plain-Java classes in the core (no Flink annotation on them);
 * the job names these types where it builds its streams.
 */
public final class RecordTypeInfo<T> extends TypeInformation<T> {

    private static final long serialVersionUID = 1L;

    /** Decoding's output, keyed by device to the assembler. */
    public static final RecordTypeInfo<ChunkRecord> CHUNK =
            new RecordTypeInfo<>(ChunkRecord.class, ChunkRecordSerializer.INSTANCE);

    /** The assembler's output. */
    public static final RecordTypeInfo<WindowRecord> WINDOW =
            new RecordTypeInfo<>(WindowRecord.class, WindowRecordSerializer.INSTANCE);

    /** The encoder's output. */
    public static final RecordTypeInfo<EmbeddingRecord> EMBEDDING =
            new RecordTypeInfo<>(EmbeddingRecord.class, EmbeddingRecordSerializer.INSTANCE);

    /** The heads' and the recording-level aggregation's output. */
    public static final RecordTypeInfo<PredictionRecord> PREDICTION =
            new RecordTypeInfo<>(PredictionRecord.class, PredictionRecordSerializer.INSTANCE);

    private final Class<T> type;
    private final TypeSerializer<T> serializer;

    private RecordTypeInfo(Class<T> type, TypeSerializer<T> serializer) {
        this.type = type;
        this.serializer = serializer;
    }

    @Override
    public boolean isBasicType() {
        return false;
    }

    @Override
    public boolean isTupleType() {
        return false;
    }

    @Override
    public int getArity() {
        return 1;
    }

    @Override
    public int getTotalFields() {
        return 1;
    }

    @Override
    public Class<T> getTypeClass() {
        return type;
    }

    @Override
    public boolean isKeyType() {
        return false;
    }

    @Override
    public TypeSerializer<T> createSerializer(SerializerConfig config) {
        return serializer;
    }

    @Override
    public String toString() {
        return "RecordTypeInfo<" + type.getSimpleName() + ">";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RecordTypeInfo && ((RecordTypeInfo<?>) o).type == type;
    }

    @Override
    public int hashCode() {
        return type.hashCode();
    }

    @Override
    public boolean canEqual(Object o) {
        return o instanceof RecordTypeInfo;
    }
}
