package io.fmstream.job.types;

import io.fmstream.core.records.WindowRecord;
import java.io.IOException;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.types.StringValue;

/**
 * Serialises a {@link WindowRecord} with its samples as one block of bytes. Windows cross the
 * network once, from the assembler to the encoder (dealt round-robin); Flink's POJO serializer
 * writes and reads a float array one element at a time through bounds-checked 4-byte calls, which
 * the profile of the assembler and the encoder put at 5-8 microseconds of every window's CPU for
 * 1,000 samples. Here the samples are copied as one block of little-endian bytes: the order of the
 * machines Flink runs on (x86-64, AArch64), so the copy is a plain memory copy, where big-endian
 * (Java's default) made it a byte swap per sample (4.5 % of the assembler thread's Java samples and
 * 15 % of the encoder thread's in a profile of the fixture benchmark).
 *
 * <p>Format: device id (Flink's string encoding, null allowed), window start and end (µs), sample
 * count (-1 for null) then the samples as little-endian IEEE 754 floats with their raw bits (NaN,
 * the missing sample, kept as it is), missing fraction, newest append time (ms), recording start
 * (µs). Windows live in no keyed or operator state (the encoder flushes its batch before each
 * barrier), so the format only has to agree within one job version; the snapshot names it all the
 * same.
 */
public final class WindowRecordSerializer extends RecordSerializer<WindowRecord> {

    private static final long serialVersionUID = 1L;

    public static final WindowRecordSerializer INSTANCE = new WindowRecordSerializer();

    private WindowRecordSerializer() {}

    @Override
    public WindowRecord createInstance() {
        return new WindowRecord();
    }

    @Override
    public WindowRecord copy(WindowRecord from) {
        return new WindowRecord(
                from.deviceId,
                from.windowStartMicros,
                from.windowEndMicros,
                FloatBlocks.clone(from.samples),
                from.missingFraction,
                from.newestAppendTimeMillis,
                from.recordingStartMicros);
    }

    @Override
    public void serialize(WindowRecord record, DataOutputView target) throws IOException {
        StringValue.writeString(record.deviceId, target);
        target.writeLong(record.windowStartMicros);
        target.writeLong(record.windowEndMicros);
        FloatBlocks.write(record.samples, target);
        target.writeFloat(record.missingFraction);
        target.writeLong(record.newestAppendTimeMillis);
        target.writeLong(record.recordingStartMicros);
    }

    @Override
    public WindowRecord deserialize(DataInputView source) throws IOException {
        WindowRecord r = new WindowRecord();
        r.deviceId = StringValue.readString(source);
        r.windowStartMicros = source.readLong();
        r.windowEndMicros = source.readLong();
        r.samples = FloatBlocks.read(source, "window record");
        r.missingFraction = source.readFloat();
        r.newestAppendTimeMillis = source.readLong();
        r.recordingStartMicros = source.readLong();
        return r;
    }

    @Override
    public void copy(DataInputView source, DataOutputView target) throws IOException {
        StringValue.copyString(source, target);
        target.write(source, 2 * Long.BYTES);
        FloatBlocks.copy(source, target);
        target.write(source, Float.BYTES + 2 * Long.BYTES);
    }

    @Override
    public TypeSerializerSnapshot<WindowRecord> snapshotConfiguration() {
        return new Snapshot();
    }

    /** The format has no parameters: restoring gives the singleton back. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<WindowRecord> {
        public Snapshot() {
            super(() -> INSTANCE);
        }
    }
}
