package io.fmstream.data.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fmstream.data.RepositoryLayout;
import io.fmstream.data.wfdb.WfdbRecord;
import io.fmstream.schemas.SensorChunk;
import io.fmstream.schemas.SignalType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class RecordChunkerTest {

    private static final long T0 = 1_700_000_000_000_000L;

    @Test
    void cutsARecordIntoContiguousChunksWithoutDrift() {
        int[] samples = new int[360 * 100 + 7];
        for (int i = 0; i < samples.length; i++) {
            samples[i] = (i * 37) % 2000 - 1000;
        }
        RecordChunker chunker =
                new RecordChunker("mitdb-100", "MLII", 360, samples, 200, 1024, "mV", T0, 360);
        List<SensorChunk> chunks = new ArrayList<>();
        chunker.forEachRemaining(chunks::add);

        assertThat(chunks).hasSize(101).hasSize(chunker.chunkCount());
        long expectedIndex = 0;
        List<Integer> decoded = new ArrayList<>();
        for (SensorChunk c : chunks) {
            assertThat(c.getFirstSampleIndex()).isEqualTo(expectedIndex);
            assertThat(c.getFirstSampleTimeMicros())
                    .isEqualTo(T0 + Math.round(expectedIndex * 1e6 / 360));
            assertThat(c.getGain()).isEqualTo(200);
            assertThat(c.getBaseline()).isEqualTo(1024);
            ByteBuffer b = c.getSamples().duplicate().order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining()) {
                decoded.add((int) b.getShort());
            }
            expectedIndex += c.getSamples().remaining() / 2;
        }
        assertThat(chunks.get(100).getSamples().remaining()).isEqualTo(14);
        assertThat(chunks)
                .filteredOn(SensorChunk::getEndOfRecording)
                .containsExactly(chunks.get(100));
        assertThat(decoded).hasSize(samples.length);
        for (int i = 0; i < samples.length; i++) {
            assertThat(decoded.get(i)).isEqualTo(samples[i]);
        }
    }

    @Test
    void rebasesSoTheRecordEndsNoLaterThanItIsSent() {
        long now = T0 + 1_234_567;
        long fiveSeconds = 5_000_000L;
        assertThat(
                        RecordChunker.rebasedStartMicros(
                                now, 1800, Double.POSITIVE_INFINITY, fiveSeconds))
                .isLessThanOrEqualTo(now - 1_800_000_000L)
                .isGreaterThan(now - 1_800_000_000L - fiveSeconds)
                .satisfies(t -> assertThat(t % fiveSeconds).isZero());
        // Real time: the record starts now (aligned down) and its samples are sent as they
        // "happen".
        assertThat(RecordChunker.rebasedStartMicros(now, 1800, 1.0, fiveSeconds)).isEqualTo(T0);
        // 10x: 1800 s take 180 s to send, so it starts 1620 s before now.
        assertThat(RecordChunker.rebasedStartMicros(now, 1800, 10.0, 1))
                .isEqualTo(now - 1_620_000_000L);
    }

    @Test
    void rebasesOntoADevicesPhaseOfTheGridStillEndingNoLaterThanItIsSent() {
        long fiveSeconds = 5_000_000L;
        long now = T0 + 1_234_567;
        // A phase past now's offset in the hop: one hop earlier, never after now.
        assertThat(RecordChunker.rebasedStartMicros(now, 1800, 1.0, fiveSeconds, 4_070_000L))
                .isEqualTo(T0 - fiveSeconds + 4_070_000L);
        // A phase before it: in the same hop.
        assertThat(RecordChunker.rebasedStartMicros(now, 1800, 1.0, fiveSeconds, 1_000_000L))
                .isEqualTo(T0 + 1_000_000L);
        for (long phase = 0; phase < fiveSeconds; phase += 10_000L) {
            long start =
                    RecordChunker.rebasedStartMicros(
                            now, 1800, Double.POSITIVE_INFINITY, fiveSeconds, phase);
            assertThat(Math.floorMod(start - phase, fiveSeconds)).isZero();
            assertThat(start)
                    .isLessThanOrEqualTo(now - 1_800_000_000L)
                    .isGreaterThan(now - 1_800_000_000L - fiveSeconds);
        }
    }

    @Test
    void refusesSamplesThatDoNotFitTheWireFormat() {
        assertThatThrownBy(
                        () ->
                                new RecordChunker(
                                        "d", "", 100, new int[] {40_000}, 1, 0, "mV", T0, 10))
                .hasMessageContaining("int16");
    }

    /**
     * Each replayed signal's chunks say what it is: an ECG lead ECG, a photoplethysmogram PPG, the
     * rest UNKNOWN, so an ECG job dead-letters a PLETH channel (UNSUPPORTED_SIGNAL) instead of
     * embedding it as ECG.
     */
    @Test
    void chunksOfAWfdbSignalCarryItsSignalType() throws Exception {
        Path header = RepositoryLayout.sharedData().resolve("cinc2015/v102s.hea");
        WfdbRecord record = WfdbRecord.read(header);
        Map<String, SignalType> types = new TreeMap<>();
        for (WfdbRecord.Signal signal : record.signals()) {
            types.put(
                    signal.name(),
                    RecordChunker.forSignal("d", signal, 0, 250).next().getSignalType());
        }
        assertThat(types)
                .containsEntry("II", SignalType.ECG)
                .containsEntry("V", SignalType.ECG)
                .containsEntry("PLETH", SignalType.PPG)
                .containsEntry("RESP", SignalType.UNKNOWN);
    }

    /**
     * cinc2015/v102s lead II holds WFDB's invalid-sample marker (-2048 in format 212) at three
     * samples: replay sends them as the gaps they are, never as samples, and every other sample
     * exactly once at its own index.
     */
    @Test
    void invalidSamplesAreGapsNotSamples() throws Exception {
        Path header = RepositoryLayout.sharedData().resolve("cinc2015/v102s.hea");
        WfdbRecord.Signal lead = WfdbRecord.read(header).requireSignal("II");
        assertThat(lead.invalidMarker()).hasValue(-2048);
        assertThat(lead.invalidCount()).isEqualTo(3);
        List<Integer> invalid = new ArrayList<>();
        for (int i = 0; i < lead.length(); i++) {
            if (lead.sample(i) == -2048) {
                invalid.add(i);
            }
        }
        assertThat(invalid).containsExactly(5591, 11537, 36967);

        int chunkSamples = 250;
        RecordChunker chunker = RecordChunker.forSignal("d", lead, T0, chunkSamples);
        int expectedChunks = chunker.chunkCount();
        int nextIndex = 0;
        int chunks = 0;
        boolean[] sent = new boolean[lead.length()];
        while (chunker.hasNext()) {
            int at = chunker.position();
            long endMicros = chunker.chunkEndMicros(at);
            SensorChunk c = chunker.next();
            chunks++;
            int first = (int) c.getFirstSampleIndex();
            assertThat(first).isEqualTo(at).isGreaterThanOrEqualTo(nextIndex);
            ByteBuffer b = c.getSamples().order(ByteOrder.LITTLE_ENDIAN);
            int n = b.remaining() / 2;
            assertThat(n).isBetween(1, chunkSamples);
            for (int i = 0; i < n; i++) {
                short v = b.getShort();
                assertThat(v).isNotEqualTo((short) -2048).isEqualTo(lead.sample(first + i));
                sent[first + i] = true;
            }
            assertThat(endMicros).isEqualTo(T0 + Math.round((first + n) * 1e6 / 250));
            assertThat(c.getEndOfRecording()).isEqualTo(!chunker.hasNext());
            nextIndex = first + n;
        }
        assertThat(chunks).isEqualTo(expectedChunks);
        for (int i = 0; i < sent.length; i++) {
            assertThat(sent[i]).as("sample %d sent", i).isEqualTo(!invalid.contains(i));
        }
        // The chunk grid holds: each invalid sample splits its chunk in two (none sits on an edge).
        assertThat(chunks).isEqualTo((lead.length() + chunkSamples - 1) / chunkSamples + 3);
    }
}
