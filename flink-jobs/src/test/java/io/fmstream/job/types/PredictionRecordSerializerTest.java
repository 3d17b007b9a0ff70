package io.fmstream.job.types;

import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.core.records.PredictionRecord;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/**
 * The serializer contract ({@link RecordSerializerTestBase}) over a classification and a regression
 * window prediction, a recording-level one and one with every reference null; and the same record
 * out as the POJO serializer the job used before, in fewer bytes.
 */
class PredictionRecordSerializerTest extends RecordSerializerTestBase<PredictionRecord> {

    PredictionRecordSerializerTest() {
        super(PredictionRecord.class);
    }

    @Override
    protected TypeSerializer<PredictionRecord> createSerializer() {
        return PredictionRecordSerializer.INSTANCE;
    }

    @Override
    protected Class<PredictionRecord> getTypeClass() {
        return PredictionRecord.class;
    }

    @Override
    protected PredictionRecord[] getTestData() {
        PredictionRecord rhythm = new PredictionRecord();
        rhythm.deviceId = "dévice-ü-1";
        rhythm.windowStartMicros = 1_764_000_000_000_000L;
        rhythm.windowEndMicros = 1_764_000_010_000_000L;
        rhythm.task = "rhythm";
        rhythm.headName = "rhythm-linear";
        rhythm.headVersion = "2.0.0";
        rhythm.label = "AF";
        rhythm.scores = awkwardFloats(4, 3);
        rhythm.value = Double.NaN;
        rhythm.classification = true;
        rhythm.missingFraction = 0.08f;
        rhythm.newestAppendTimeMillis = 1_764_000_010_250L;
        rhythm.recordingStartMicros = 1_763_999_000_000_000L;

        PredictionRecord heartRate = new PredictionRecord();
        heartRate.deviceId = "dev-2";
        heartRate.windowStartMicros = -5;
        heartRate.windowEndMicros = 5;
        heartRate.task = "heart_rate";
        heartRate.headName = "";
        heartRate.headVersion = "1";
        heartRate.scores = new float[0];
        heartRate.value = 71.25;
        heartRate.missingFraction = Float.NaN;
        heartRate.newestAppendTimeMillis = Long.MAX_VALUE;
        heartRate.recordingStartMicros = Long.MIN_VALUE;

        PredictionRecord recording = new PredictionRecord();
        recording.deviceId = "dev-3";
        recording.task = "rhythm";
        recording.label = "NSR";
        recording.scores = new float[] {0.9f, 0.1f};
        recording.value = -0.0;
        recording.classification = true;
        recording.recording = true;
        recording.windows = 37;

        PredictionRecord empty = new PredictionRecord();
        empty.windows = Integer.MIN_VALUE;
        return new PredictionRecord[] {rhythm, heartRate, recording, empty};
    }

    @Test
    void isTheJobsPredictionTypeAndTakesFewerBytesThanThePojoSerializer() throws Exception {
        TypeSerializer<PredictionRecord> pojo =
                TypeInformation.of(PredictionRecord.class)
                        .createSerializer(new SerializerConfigImpl());
        TypeSerializer<PredictionRecord> ours =
                RecordTypeInfo.PREDICTION.createSerializer(new SerializerConfigImpl());
        assertThat(ours).isSameAs(PredictionRecordSerializer.INSTANCE);
        int pojoBytes = 0;
        int ourBytes = 0;
        for (PredictionRecord p : getTestData()) {
            DataOutputSerializer a = new DataOutputSerializer(256);
            pojo.serialize(p, a);
            DataOutputSerializer b = new DataOutputSerializer(256);
            ours.serialize(p, b);
            pojoBytes += a.length();
            ourBytes += b.length();
            // The same record back; the POJO serializer's came back with a NaN's payload
            // canonicalised (it writes floats with floatToIntBits), which this one keeps.
            PredictionRecord back =
                    ours.deserialize(new DataInputDeserializer(b.getCopyOfBuffer()));
            assertThat(differingField(p, back)).isNull();
        }
        // No null mask: a null scores array is a 4-byte count where the POJO serializer wrote a
        // flag byte, but every field present costs a byte less.
        assertThat(ourBytes).isLessThan(pojoBytes);
    }
}
