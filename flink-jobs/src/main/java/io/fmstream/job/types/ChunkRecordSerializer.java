package io.fmstream.job.types;

import io.fmstream.core.records.ChunkRecord;
import io.fmstream.core.records.SourceRef;
import java.io.IOException;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.types.StringValue;

/**
 * Serialises a {@link ChunkRecord} and its {@link SourceRef} field by field. Every valid chunk
 * crosses the network once, from decoding to its device's assembler (keyed by device), where the
 * POJO serializer wrote its eleven fields and the nested source's six through reflection, each
 * behind a null mask, and looked up the nested serializer by the source's class.
 *
 * <p>Format: device id, sample rate, first sample time (µs), first sample index, samples (a byte
 * count, -1 for null, then the bytes), samples offset and length, gain, baseline, end of recording;
 * then whether a source follows and, if so, its topic, partition, offset, append time (ms), key and
 * payload (byte arrays as the samples). A validated chunk's samples travel once, inside the payload
 * it keeps for dead letters ({@link ChunkRecord#samplesOffset}).
 */
public final class ChunkRecordSerializer extends RecordSerializer<ChunkRecord> {

    private static final long serialVersionUID = 1L;

    public static final ChunkRecordSerializer INSTANCE = new ChunkRecordSerializer();

    private ChunkRecordSerializer() {}

    @Override
    public ChunkRecord createInstance() {
        return new ChunkRecord();
    }

    @Override
    public ChunkRecord copy(ChunkRecord from) {
        ChunkRecord r = new ChunkRecord();
        r.deviceId = from.deviceId;
        r.sampleRateHz = from.sampleRateHz;
        r.firstSampleTimeMicros = from.firstSampleTimeMicros;
        r.firstSampleIndex = from.firstSampleIndex;
        r.samples = clone(from.samples);
        r.samplesOffset = from.samplesOffset;
        r.samplesLength = from.samplesLength;
        r.gain = from.gain;
        r.baseline = from.baseline;
        r.endOfRecording = from.endOfRecording;
        SourceRef s = from.source;
        r.source =
                s == null
                        ? null
                        : new SourceRef(
                                s.topic,
                                s.partition,
                                s.offset,
                                s.appendTimeMillis,
                                clone(s.key),
                                clone(s.payload));
        return r;
    }

    @Override
    public void serialize(ChunkRecord record, DataOutputView target) throws IOException {
        StringValue.writeString(record.deviceId, target);
        target.writeDouble(record.sampleRateHz);
        target.writeLong(record.firstSampleTimeMicros);
        target.writeLong(record.firstSampleIndex);
        writeBytes(record.samples, target);
        target.writeInt(record.samplesOffset);
        target.writeInt(record.samplesLength);
        target.writeDouble(record.gain);
        target.writeInt(record.baseline);
        target.writeBoolean(record.endOfRecording);
        SourceRef s = record.source;
        target.writeBoolean(s != null);
        if (s != null) {
            StringValue.writeString(s.topic, target);
            target.writeInt(s.partition);
            target.writeLong(s.offset);
            target.writeLong(s.appendTimeMillis);
            writeBytes(s.key, target);
            writeBytes(s.payload, target);
        }
    }

    @Override
    public ChunkRecord deserialize(DataInputView source) throws IOException {
        ChunkRecord r = new ChunkRecord();
        r.deviceId = StringValue.readString(source);
        r.sampleRateHz = source.readDouble();
        r.firstSampleTimeMicros = source.readLong();
        r.firstSampleIndex = source.readLong();
        r.samples = readBytes(source, "samples");
        r.samplesOffset = source.readInt();
        r.samplesLength = source.readInt();
        r.gain = source.readDouble();
        r.baseline = source.readInt();
        r.endOfRecording = source.readBoolean();
        if (source.readBoolean()) {
            SourceRef s = new SourceRef();
            s.topic = StringValue.readString(source);
            s.partition = source.readInt();
            s.offset = source.readLong();
            s.appendTimeMillis = source.readLong();
            s.key = readBytes(source, "key");
            s.payload = readBytes(source, "payload");
            r.source = s;
        }
        return r;
    }

    @Override
    public void copy(DataInputView source, DataOutputView target) throws IOException {
        StringValue.copyString(source, target);
        target.write(source, Double.BYTES + 2 * Long.BYTES);
        copyBytes(source, target);
        target.write(source, 2 * Integer.BYTES + Double.BYTES + Integer.BYTES + 1);
        boolean hasSource = source.readBoolean();
        target.writeBoolean(hasSource);
        if (hasSource) {
            StringValue.copyString(source, target);
            target.write(source, Integer.BYTES + 2 * Long.BYTES);
            copyBytes(source, target);
            copyBytes(source, target);
        }
    }

    private static byte[] clone(byte[] bytes) {
        return bytes == null ? null : bytes.clone();
    }

    private static void writeBytes(byte[] bytes, DataOutputView target) throws IOException {
        if (bytes == null) {
            target.writeInt(-1);
            return;
        }
        target.writeInt(bytes.length);
        target.write(bytes);
    }

    private static byte[] readBytes(DataInputView source, String what) throws IOException {
        int n = source.readInt();
        if (n == -1) {
            return null;
        }
        if (n < 0) {
            throw new IOException("corrupt chunk record: " + what + " byte count " + n);
        }
        byte[] bytes = new byte[n];
        source.readFully(bytes);
        return bytes;
    }

    private static void copyBytes(DataInputView source, DataOutputView target) throws IOException {
        int n = source.readInt();
        target.writeInt(n);
        if (n > 0) {
            target.write(source, n);
        }
    }

    @Override
    public TypeSerializerSnapshot<ChunkRecord> snapshotConfiguration() {
        return new Snapshot();
    }

    /** The format has no parameters: restoring gives the singleton back. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<ChunkRecord> {
        public Snapshot() {
            super(() -> INSTANCE);
        }
    }
}
