package io.fmstream.job.types;

import io.fmstream.core.records.PredictionRecord;
import java.io.IOException;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.types.StringValue;

/**
 * Serialises a {@link PredictionRecord} field by field. Every window prediction crosses the network
 * twice, to the recording-level aggregation (keyed by device) and to the predictions sink (the
 * union of all heads, which cannot be chained), so with many heads predictions outnumber windows;
 * the POJO serializer wrote each of their thirteen fields through reflection behind a null mask.
 *
 * <p>Format: device id, window start and end (µs), task, head name, head version, label (strings in
 * Flink's encoding, null allowed), scores ({@link FloatBlocks}), value, classification, missing
 * fraction, newest append time (ms), recording start (µs), recording, windows.
 */
public final class PredictionRecordSerializer extends RecordSerializer<PredictionRecord> {

    private static final long serialVersionUID = 1L;

    public static final PredictionRecordSerializer INSTANCE = new PredictionRecordSerializer();

    private PredictionRecordSerializer() {}

    @Override
    public PredictionRecord createInstance() {
        return new PredictionRecord();
    }

    @Override
    public PredictionRecord copy(PredictionRecord from) {
        PredictionRecord r = new PredictionRecord();
        r.deviceId = from.deviceId;
        r.windowStartMicros = from.windowStartMicros;
        r.windowEndMicros = from.windowEndMicros;
        r.task = from.task;
        r.headName = from.headName;
        r.headVersion = from.headVersion;
        r.label = from.label;
        r.scores = FloatBlocks.clone(from.scores);
        r.value = from.value;
        r.classification = from.classification;
        r.missingFraction = from.missingFraction;
        r.newestAppendTimeMillis = from.newestAppendTimeMillis;
        r.recordingStartMicros = from.recordingStartMicros;
        r.recording = from.recording;
        r.windows = from.windows;
        return r;
    }

    @Override
    public void serialize(PredictionRecord record, DataOutputView target) throws IOException {
        StringValue.writeString(record.deviceId, target);
        target.writeLong(record.windowStartMicros);
        target.writeLong(record.windowEndMicros);
        StringValue.writeString(record.task, target);
        StringValue.writeString(record.headName, target);
        StringValue.writeString(record.headVersion, target);
        StringValue.writeString(record.label, target);
        FloatBlocks.write(record.scores, target);
        target.writeDouble(record.value);
        target.writeBoolean(record.classification);
        target.writeFloat(record.missingFraction);
        target.writeLong(record.newestAppendTimeMillis);
        target.writeLong(record.recordingStartMicros);
        target.writeBoolean(record.recording);
        target.writeInt(record.windows);
    }

    @Override
    public PredictionRecord deserialize(DataInputView source) throws IOException {
        PredictionRecord r = new PredictionRecord();
        r.deviceId = StringValue.readString(source);
        r.windowStartMicros = source.readLong();
        r.windowEndMicros = source.readLong();
        r.task = StringValue.readString(source);
        r.headName = StringValue.readString(source);
        r.headVersion = StringValue.readString(source);
        r.label = StringValue.readString(source);
        r.scores = FloatBlocks.read(source, "prediction record");
        r.value = source.readDouble();
        r.classification = source.readBoolean();
        r.missingFraction = source.readFloat();
        r.newestAppendTimeMillis = source.readLong();
        r.recordingStartMicros = source.readLong();
        r.recording = source.readBoolean();
        r.windows = source.readInt();
        return r;
    }

    @Override
    public void copy(DataInputView source, DataOutputView target) throws IOException {
        StringValue.copyString(source, target);
        target.write(source, 2 * Long.BYTES);
        for (int i = 0; i < 4; i++) {
            StringValue.copyString(source, target);
        }
        FloatBlocks.copy(source, target);
        target.write(source, Double.BYTES + 1 + Float.BYTES + 2 * Long.BYTES + 1 + Integer.BYTES);
    }

    @Override
    public TypeSerializerSnapshot<PredictionRecord> snapshotConfiguration() {
        return new Snapshot();
    }

    /** The format has no parameters: restoring gives the singleton back. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<PredictionRecord> {
        public Snapshot() {
            super(() -> INSTANCE);
        }
    }
}
