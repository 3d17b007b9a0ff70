package io.fmstream.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.schemas.SensorChunk;
import io.fmstream.schemas.SignalType;
import io.fmstream.schemas.codec.RecordCodec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

class TailDecodeTest {

    /**
     * A body written with one schema under another schema's fingerprint (a v2 SensorChunk with the
     * v1 fingerprint): the job dead-letters it (RecordCodec checks the body is read to its end);
     * tail printed the v1 prefix of it without an error.
     */
    @Test
    void aBodyLongerThanItsFingerprintsSchemaIsAnErrorNotAValue() throws Exception {
        Schema v1 =
                new Schema.Parser()
                        .parse(
                                TailDecodeTest.class.getResourceAsStream(
                                        "/io/fmstream/schemas/history/SensorChunk.v1.avsc"));
        Schema v2 = SensorChunk.getClassSchema();
        long fp1 = SchemaNormalization.parsingFingerprint64(v1);
        long fp2 = SchemaNormalization.parsingFingerprint64(v2);
        Map<Long, Schema> byFingerprint = Map.of(fp1, v1, fp2, v2);
        SensorChunk chunk =
                SensorChunk.newBuilder()
                        .setDeviceId("d")
                        .setSignalType(SignalType.ECG)
                        .setChannel("II")
                        .setSampleRateHz(250)
                        .setFirstSampleIndex(0)
                        .setFirstSampleTimeMicros(1_700_000_000_000_000L)
                        .setSamples(ByteBuffer.wrap(new byte[] {1, 0, 2, 0}))
                        .setGain(1000)
                        .setBaseline(0)
                        .setUnit("mV")
                        .setEndOfRecording(true)
                        .build();
        byte[] v = RecordCodec.forType(SensorChunk.class).encode(chunk);
        assertThat(ByteBuffer.wrap(v, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong())
                .isEqualTo(fp2);
        assertThat(TailCommand.toJson(record(v), byFingerprint).has("value")).isTrue();

        ByteBuffer.wrap(v, 2, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(fp1);
        var line = TailCommand.toJson(record(v), byFingerprint);
        assertThat(line.has("value")).isFalse();
        assertThat(line.get("error").asText()).contains("bytes left after");
    }

    private static ConsumerRecord<byte[], byte[]> record(byte[] value) {
        return new ConsumerRecord<>("t", 0, 0L, "d".getBytes(), value);
    }
}
