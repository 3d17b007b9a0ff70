package io.fmstream.data.sim;

import static io.fmstream.data.sim.Signals.START;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fmstream.schemas.SensorChunk;
import io.fmstream.schemas.SignalType;
import io.fmstream.schemas.codec.RecordCodec;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class ChunkTemplatesTest {

    @Test
    void emittedChunksRewriteIdentityAndShareTheTemplateSamples() throws Exception {
        ChunkTemplates templates = ChunkTemplates.generate(11, 5, 1.0, 60);
        assertThat(templates.size()).isEqualTo(5);
        for (int i = 0; i < 5; i++) {
            ChunkTemplates.Template t = templates.template(i);
            assertThat(t.sampleRateHz()).isEqualTo(SimulatedFleet.NATIVE_RATES_HZ.get(i));
            assertThat(t.chunkCount()).isEqualTo(60);
            assertThat(t.samplesPerChunk()).isEqualTo((int) t.sampleRateHz());
        }
        ChunkTemplates.Template t = templates.template(3);
        long streamStart = START + 123_456L;
        for (long seq = 0; seq < 130; seq++) {
            SensorChunk c = templates.emit(3, "load-7", seq, streamStart);
            assertThat(c.getDeviceId()).isEqualTo("load-7");
            assertThat(c.getSignalType()).isEqualTo(SignalType.ECG);
            assertThat(c.getSampleRateHz()).isEqualTo(360.0);
            assertThat(c.getFirstSampleIndex()).isEqualTo(seq * 360);
            assertThat(c.getFirstSampleTimeMicros()).isEqualTo(streamStart + seq * 1_000_000L);
            assertThat(c.getGain()).isEqualTo(SimulatedDevice.GAIN);
            ByteBuffer expected = t.samples((int) (seq % 60));
            assertThat(c.getSamples()).isEqualTo(expected);
            assertThat(c.getSamples().remaining()).isEqualTo(720);
            GroundTruthSpan truth = templates.truth(3, "load-7", seq, streamStart);
            GroundTruthSpan original = t.truth((int) (seq % 60));
            assertThat(truth.deviceId()).isEqualTo("load-7");
            assertThat(truth.startMicros()).isEqualTo(c.getFirstSampleTimeMicros());
            assertThat(truth.durationMicros()).isEqualTo(1_000_000L);
            assertThat(truth.rhythm()).isEqualTo(original.rhythm());
            assertThat(truth.meanHeartRateBpm()).isEqualTo(original.meanHeartRateBpm());
            assertThat(truth.noiseRmsMv()).isEqualTo(original.noiseRmsMv());
        }
        // Consumers reading an emitted chunk or a template view cannot disturb the template or each
        // other.
        SensorChunk c = templates.emit(0, "x", 0, 0);
        c.getSamples().get();
        templates.template(0).samples(0).get();
        assertThat(templates.emit(0, "x", 0, 0).getSamples().remaining()).isEqualTo(256);
        assertThat(c.getSamples().isReadOnly()).isTrue();
        // Emitted chunks encode like any other.
        RecordCodec<SensorChunk> codec = RecordCodec.forType(SensorChunk.class);
        assertThat(
                        codec.decode(codec.encode(templates.emit(2, "y", 5, START)))
                                .getFirstSampleIndex())
                .isEqualTo(1500);
    }

    @Test
    void templatesAreDeterministicAndMatchTheDeviceTheyRecord() {
        ChunkTemplates a = ChunkTemplates.generate(3, 2, 0.5, 20);
        ChunkTemplates b = ChunkTemplates.generate(3, 2, 0.5, 20);
        for (int i = 0; i < 2; i++) {
            for (int k = 0; k < a.template(i).chunkCount(); k++) {
                assertThat(a.template(i).samples(k)).isEqualTo(b.template(i).samples(k));
                assertThat(a.template(i).truth(k)).isEqualTo(b.template(i).truth(k));
            }
        }
        assertThat(ChunkTemplates.generate(4, 2, 0.5, 20).template(0).samples(0))
                .isNotEqualTo(a.template(0).samples(0));

        SimulatedDevice d =
                new SimulatedDevice(
                        "rec", 9, 250, START, Scenario.steady(Rhythm.AF, 100, Noise.of(0.1)));
        ChunkTemplates.Template t = ChunkTemplates.record(d, 125, 8);
        SimulatedDevice again =
                new SimulatedDevice(
                        "rec", 9, 250, START, Scenario.steady(Rhythm.AF, 100, Noise.of(0.1)));
        for (int k = 0; k < 8; k++) {
            assertThat(t.samples(k)).isEqualTo(again.nextChunk(125).getSamples());
            assertThat(t.truth(k).rhythm()).isEqualTo(Rhythm.AF);
        }
        assertThatThrownBy(() -> a.emit(0, "z", -1, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ChunkTemplates.generate(1, 0, 1, 10))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
