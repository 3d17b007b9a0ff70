package io.fmstream.job.types;

import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.core.records.WindowRecord;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/**
 * The serializer contract ({@link RecordSerializerTestBase}) over windows with missing samples, an
 * empty and a null sample array; and the bytes against the POJO serializer's, which the job used
 * before.
 */
class WindowRecordSerializerTest extends RecordSerializerTestBase<WindowRecord> {

    WindowRecordSerializerTest() {
        super(WindowRecord.class);
    }

    @Override
    protected TypeSerializer<WindowRecord> createSerializer() {
        return WindowRecordSerializer.INSTANCE;
    }

    @Override
    protected Class<WindowRecord> getTypeClass() {
        return WindowRecord.class;
    }

    @Override
    protected WindowRecord[] getTestData() {
        java.util.Random random = new java.util.Random(7);
        float[] full = new float[1000];
        for (int i = 0; i < full.length; i++) {
            full[i] = (float) random.nextGaussian();
        }
        float[] gappy = full.clone();
        java.util.Arrays.fill(gappy, 100, 180, Float.NaN);
        gappy[999] = Float.intBitsToFloat(0x7fc00001); // a NaN with a payload: raw bits kept
        gappy[3] = Float.NEGATIVE_INFINITY;
        gappy[4] = -0f;
        return new WindowRecord[] {
            new WindowRecord(
                    "dev-1",
                    1_764_000_000_000_000L,
                    1_764_000_010_000_000L,
                    full,
                    0f,
                    1_764_000_010_250L,
                    1_763_999_000_000_000L),
            new WindowRecord("dévice-ü-2", -5L, 5L, gappy, 0.08f, 0L, Long.MIN_VALUE),
            new WindowRecord("", 0L, 0L, new float[0], 1f, Long.MAX_VALUE, 0L),
            new WindowRecord(null, 1L, 2L, null, Float.NaN, -1L, 3L),
        };
    }

    @Test
    void samplesAreLittleEndianIeeeFloatsWithTheirRawBits() throws Exception {
        float nan = Float.intBitsToFloat(0x7fc01234); // a NaN payload, kept as it is
        WindowRecord w = new WindowRecord("d", 0, 10, new float[] {1.0f, nan, -0.0f}, 0f, 1, 2);
        DataOutputSerializer out = new DataOutputSerializer(64);
        WindowRecordSerializer.INSTANCE.serialize(w, out);
        byte[] bytes = out.getCopyOfBuffer();
        // Device id "d" (Flink's string encoding: length + 1, then the char), two longs, the
        // count, then the samples.
        int at = 2 + 2 * Long.BYTES + Integer.BYTES;
        assertThat(java.util.Arrays.copyOfRange(bytes, at, at + 12))
                .containsExactly(
                        0x00, 0x00, 0x80, 0x3f, // 1.0f = 0x3f800000
                        0x34, 0x12, 0xc0, 0x7f, // the NaN's raw bits
                        0x00, 0x00, 0x00, 0x80); // -0.0f = 0x80000000
    }

    @Test
    void aWindowIsAboutFourBytesPerSampleAndNoLargerThanThePojoSerializerMadeIt() throws Exception {
        WindowRecord w = getTestData()[0];
        DataOutputSerializer ours = new DataOutputSerializer(8192);
        WindowRecordSerializer.INSTANCE.serialize(w, ours);
        DataOutputSerializer pojo = new DataOutputSerializer(8192);
        TypeInformation.of(WindowRecord.class)
                .createSerializer(new SerializerConfigImpl())
                .serialize(w, pojo);
        assertThat(ours.length()).isBetween(4000, 4000 + 64).isLessThanOrEqualTo(pojo.length());
        // And it reads back what the job's type information hands Flink.
        WindowRecord back =
                RecordTypeInfo.WINDOW
                        .createSerializer(new SerializerConfigImpl())
                        .deserialize(new DataInputDeserializer(ours.getCopyOfBuffer()));
        deepEquals("round trip", w, back);
    }
}
