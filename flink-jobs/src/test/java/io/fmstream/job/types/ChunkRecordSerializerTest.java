package io.fmstream.job.types;

import io.fmstream.core.records.ChunkRecord;
import io.fmstream.core.records.SourceRef;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/**
 * The serializer contract ({@link RecordSerializerTestBase}) over a validated chunk reading its
 * samples in place from the payload, one with its own samples array and no source, the last chunk
 * of a recording with an empty key and payload, and one with every reference null. The wire form of
 * a real validated chunk: {@code io.ChunkRecordWireTest}.
 */
class ChunkRecordSerializerTest extends RecordSerializerTestBase<ChunkRecord> {

    ChunkRecordSerializerTest() {
        super(ChunkRecord.class);
    }

    @Override
    protected TypeSerializer<ChunkRecord> createSerializer() {
        return ChunkRecordSerializer.INSTANCE;
    }

    @Override
    protected Class<ChunkRecord> getTypeClass() {
        return ChunkRecord.class;
    }

    @Override
    protected ChunkRecord[] getTestData() {
        byte[] payload = new byte[300];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) (i * 31 + 7);
        }
        ChunkRecord inPlace = new ChunkRecord();
        inPlace.deviceId = "dévice-ü-1";
        inPlace.sampleRateHz = 250.0;
        inPlace.firstSampleTimeMicros = 1_764_000_000_123_456L;
        inPlace.firstSampleIndex = 1_250_000L;
        inPlace.samplesOffset = 40;
        inPlace.samplesLength = 250;
        inPlace.gain = 200.5;
        inPlace.baseline = -1024;
        inPlace.source =
                new SourceRef(
                        "fmstream.sensor-chunks.v1",
                        3,
                        9_876_543_210L,
                        1_764_000_001_000L,
                        "dévice-ü-1".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                        payload);

        ChunkRecord ownSamples = new ChunkRecord();
        ownSamples.deviceId = "dev-2";
        ownSamples.sampleRateHz = Double.NaN;
        ownSamples.firstSampleTimeMicros = Long.MIN_VALUE;
        ownSamples.firstSampleIndex = -1;
        ownSamples.samples = new byte[] {1, 0, -2, -1, 127, -128};
        ownSamples.gain = -0.0;
        ownSamples.baseline = Integer.MAX_VALUE;

        ChunkRecord last = new ChunkRecord();
        last.deviceId = "";
        last.sampleRateHz = 500;
        last.samples = new byte[0];
        last.endOfRecording = true;
        last.source = new SourceRef("", 0, 0, 0, new byte[0], new byte[0]);

        ChunkRecord empty = new ChunkRecord();
        empty.source = new SourceRef();
        empty.source.partition = Integer.MIN_VALUE;
        return new ChunkRecord[] {inPlace, ownSamples, last, empty, new ChunkRecord()};
    }
}
