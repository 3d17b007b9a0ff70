package io.fmstream.job.types;

import io.fmstream.core.records.EmbeddingRecord;
import java.io.IOException;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.types.StringValue;

/**
 * Serialises an {@link EmbeddingRecord} with its vector as one block of bytes ({@link
 * FloatBlocks}). The encoder's output goes to every head and to the embeddings sink, all chained to
 * it, so each embedding is copied once per reader (Flink copies a record for each chained operator
 * it feeds); the POJO serializer made each copy through reflection, field by field.
 *
 * <p>Format: {@link WindowRecordSerializer}'s, with the vector where a window has its samples:
 * device id (Flink's string encoding, null allowed), window start and end (µs), the vector ({@link
 * FloatBlocks}), missing fraction, newest append time (ms), recording start (µs).
 */
public final class EmbeddingRecordSerializer extends RecordSerializer<EmbeddingRecord> {

    private static final long serialVersionUID = 1L;

    public static final EmbeddingRecordSerializer INSTANCE = new EmbeddingRecordSerializer();

    private EmbeddingRecordSerializer() {}

    @Override
    public EmbeddingRecord createInstance() {
        return new EmbeddingRecord();
    }

    @Override
    public EmbeddingRecord copy(EmbeddingRecord from) {
        EmbeddingRecord r = new EmbeddingRecord();
        r.deviceId = from.deviceId;
        r.windowStartMicros = from.windowStartMicros;
        r.windowEndMicros = from.windowEndMicros;
        r.embedding = FloatBlocks.clone(from.embedding);
        r.missingFraction = from.missingFraction;
        r.newestAppendTimeMillis = from.newestAppendTimeMillis;
        r.recordingStartMicros = from.recordingStartMicros;
        return r;
    }

    @Override
    public void serialize(EmbeddingRecord record, DataOutputView target) throws IOException {
        StringValue.writeString(record.deviceId, target);
        target.writeLong(record.windowStartMicros);
        target.writeLong(record.windowEndMicros);
        FloatBlocks.write(record.embedding, target);
        target.writeFloat(record.missingFraction);
        target.writeLong(record.newestAppendTimeMillis);
        target.writeLong(record.recordingStartMicros);
    }

    @Override
    public EmbeddingRecord deserialize(DataInputView source) throws IOException {
        EmbeddingRecord r = new EmbeddingRecord();
        r.deviceId = StringValue.readString(source);
        r.windowStartMicros = source.readLong();
        r.windowEndMicros = source.readLong();
        r.embedding = FloatBlocks.read(source, "embedding record");
        r.missingFraction = source.readFloat();
        r.newestAppendTimeMillis = source.readLong();
        r.recordingStartMicros = source.readLong();
        return r;
    }

    @Override
    public void copy(DataInputView source, DataOutputView target) throws IOException {
        // The window's layout, with the vector where the window has its samples.
        WindowRecordSerializer.INSTANCE.copy(source, target);
    }

    @Override
    public TypeSerializerSnapshot<EmbeddingRecord> snapshotConfiguration() {
        return new Snapshot();
    }

    /** The format has no parameters: restoring gives the singleton back. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<EmbeddingRecord> {
        public Snapshot() {
            super(() -> INSTANCE);
        }
    }
}
