package io.fmstream.job.io;

import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.core.ingest.ChunkValidator;
import io.fmstream.core.ingest.ValidationRules;
import io.fmstream.core.records.ChunkRecord;
import io.fmstream.core.records.SourceRef;
import io.fmstream.job.types.ChunkRecordSerializer;
import io.fmstream.job.types.RecordTypeInfo;
import io.fmstream.schemas.SensorChunk;
import io.fmstream.schemas.SignalType;
import io.fmstream.schemas.codec.RecordCodec;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/**
 * A validated chunk as it crosses the network to the window assembler (the job's {@link
 * ChunkRecordSerializer}): its samples travel once, inside the original payload it keeps for dead
 * letters, not a second time as a copy.
 */
class ChunkRecordWireTest {

    private static final long APPEND_MILLIS = 1_764_720_000_000L;

    private final TypeSerializer<ChunkRecord> serializer =
            RecordTypeInfo.CHUNK.createSerializer(new SerializerConfigImpl());

    private static ChunkRecord validated(byte[] samples) {
        SensorChunk c =
                SensorChunk.newBuilder()
                        .setDeviceId("watch-0017")
                        .setSignalType(SignalType.ECG)
                        .setChannel("I")
                        .setSampleRateHz(250)
                        .setFirstSampleTimeMicros(APPEND_MILLIS * 1000 - 2_000_000)
                        .setFirstSampleIndex(0)
                        .setSamples(ByteBuffer.wrap(samples))
                        .setGain(200)
                        .setBaseline(0)
                        .setUnit("mV")
                        .setEndOfRecording(false)
                        .build();
        byte[] payload = RecordCodec.forType(SensorChunk.class).encode(c);
        SourceRef source =
                new SourceRef("sensor", 1, 42, APPEND_MILLIS, "watch-0017".getBytes(), payload);
        return new ChunkValidator(ValidationRules.DEFAULTS, SignalType.ECG).validate(source).chunk;
    }

    private byte[] serialize(ChunkRecord c) throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(256);
        serializer.serialize(c, out);
        return out.getCopyOfBuffer();
    }

    @Test
    void isTheJobsChunkTypeAndTakesFewerBytesThanThePojoSerializer() throws Exception {
        assertThat(serializer).isSameAs(ChunkRecordSerializer.INSTANCE);
        TypeSerializer<ChunkRecord> pojo =
                TypeInformation.of(ChunkRecord.class).createSerializer(new SerializerConfigImpl());
        ChunkRecord chunk = validated(new byte[500]);
        DataOutputSerializer out = new DataOutputSerializer(256);
        pojo.serialize(chunk, out);
        assertThat(serialize(chunk).length).isLessThan(out.length());
    }

    @Test
    void aValidatedChunkSendsItsSamplesOnceAndReadsThemBackInPlace() throws Exception {
        byte[] samples = new byte[500];
        for (int i = 0; i < samples.length; i++) {
            samples[i] = (byte) (i * 13 + 1);
        }
        ChunkRecord chunk = validated(samples);
        byte[] wire = serialize(chunk);

        // The payload, the key, the topic and the device id, plus fixed-size fields: the 500
        // bytes of samples are in the payload and nowhere else.
        int payload = chunk.source.payload.length;
        assertThat(wire.length).isLessThan(payload + 150);

        ChunkRecord back = serializer.deserialize(new DataInputDeserializer(wire));
        assertThat(back.samples).isNull();
        assertThat(back.sampleArray()).isSameAs(back.source.payload);
        assertThat(back.sampleCount()).isEqualTo(250);
        assertThat(
                        Arrays.copyOfRange(
                                back.sampleArray(),
                                back.sampleOffset(),
                                back.sampleOffset() + back.sampleByteCount()))
                .containsExactly(samples);
        assertThat(back.source.payload).containsExactly(chunk.source.payload);
        assertThat(back.endTimeMicros()).isEqualTo(chunk.endTimeMicros());
    }

    @Test
    void aChunkWithItsOwnSamplesArrayKeepsIt() throws Exception {
        ChunkRecord chunk = validated(new byte[500]);
        chunk.samples = new byte[] {1, 0, 2, 0, 3, 0};
        ChunkRecord back = serializer.deserialize(new DataInputDeserializer(serialize(chunk)));
        assertThat(back.samples).containsExactly(1, 0, 2, 0, 3, 0);
        assertThat(back.sampleCount()).isEqualTo(3);
        assertThat(back.sampleOffset()).isZero();
    }
}
