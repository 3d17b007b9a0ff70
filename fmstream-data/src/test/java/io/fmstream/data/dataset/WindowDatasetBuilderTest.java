package io.fmstream.data.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.fmstream.core.records.ChunkRecord;
import io.fmstream.core.records.WindowRecord;
import io.fmstream.core.signal.WindowNormaliser;
import io.fmstream.core.window.ChunkOutcome;
import io.fmstream.core.window.DeviceStreamState;
import io.fmstream.core.window.DeviceWindowAssembler;
import io.fmstream.core.window.WindowListener;
import io.fmstream.data.RepositoryLayout;
import io.fmstream.data.replay.RecordChunker;
import io.fmstream.data.sim.DeviceUplink;
import io.fmstream.data.sim.Noise;
import io.fmstream.data.sim.Rhythm;
import io.fmstream.data.sim.Scenario;
import io.fmstream.data.sim.SimulatedDevice;
import io.fmstream.data.sim.SimulatedFleet;
import io.fmstream.data.wfdb.CinC2017Reference;
import io.fmstream.data.wfdb.WfdbRecord;
import io.fmstream.schemas.SensorChunk;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dataset builder: windows on the job's grid from the job's path, labels from the simulator's
 * ground truth and the records' annotations, and the same normalised windows as a hand-driven
 * assembler fed in other chunk sizes.
 */
class WindowDatasetBuilderTest {

    private static final long SECOND = 1_000_000L;
    private static final long START = WindowDatasetBuilder.RECORD_START_MICROS;

    private static Path shared(String relative) {
        return RepositoryLayout.testData().resolve(relative);
    }

    private static DeviceUplink uplink(String id, long seed, double rate, Scenario scenario) {
        return new DeviceUplink(
                new SimulatedDevice(id, seed, rate, START, scenario), (int) Math.round(rate));
    }

    private static List<Float> grid(int from, int to) {
        List<Float> out = new ArrayList<>();
        for (int s = from; s <= to; s += 5) {
            out.add((float) s);
        }
        return out;
    }

    @Test
    void simulatedWindowsLieOnTheGridWithTheirGroundTruth() {
        SimulatedFleet fleet =
                new SimulatedFleet(
                        List.of(
                                uplink(
                                        "steady",
                                        1,
                                        250,
                                        Scenario.steady(Rhythm.NORMAL, 72, Noise.NONE)),
                                uplink(
                                        "af",
                                        2,
                                        360,
                                        Scenario.steady(Rhythm.AF, 110, Noise.of(0.05))),
                                uplink(
                                        "noisy",
                                        3,
                                        128,
                                        Scenario.steady(Rhythm.NORMAL, 80, Noise.of(0.3)))));
        WindowDatasetBuilder b = new WindowDatasetBuilder();
        b.addSimulatedFleet(fleet, START + 60 * SECOND, "t/");

        // 60 s of data: windows [0, 10) ... [50, 60); [55, 65) is half empty and dropped.
        for (String d : List.of("t/steady", "t/af", "t/noisy")) {
            assertThat(b.windowStartsOf(d)).as(d).isEqualTo(grid(0, 50));
            assertThat(b.missingFractionsOf(d))
                    .as(d)
                    .allSatisfy(m -> assertThat(m).isLessThan(0.02f));
        }
        for (WindowLabels l : b.labelsOf("t/steady")) {
            assertThat(l.hrBpm()).isCloseTo(72f, within(2f));
            assertThat(l.rhythm()).isEqualTo(WindowDatasetBuilder.RHYTHM_NORMAL);
            assertThat(l.quality()).isEqualTo(WindowDatasetBuilder.QUALITY_GOOD);
            assertThat(l.noiseRmsMv()).isZero();
            assertThat(l.rhythmFraction()).isEqualTo(1f);
        }
        assertThat(b.labelsOf("t/af"))
                .allSatisfy(
                        l -> {
                            assertThat(l.rhythm()).isEqualTo(WindowDatasetBuilder.RHYTHM_AF);
                            assertThat(l.hrBpm()).isBetween(80f, 140f);
                        });
        assertThat(b.labelsOf("t/noisy"))
                .allSatisfy(
                        l -> {
                            assertThat(l.rhythm()).isEqualTo(WindowDatasetBuilder.RHYTHM_NOISY);
                            assertThat(l.quality()).isEqualTo(WindowDatasetBuilder.QUALITY_POOR);
                            assertThat(l.noiseRmsMv()).isCloseTo(0.3f, within(0.01f));
                        });
        // What the encoder gets: per-window z-score.
        for (float[] w : b.windowsOf("t/steady")) {
            double mean = 0;
            double sq = 0;
            for (float v : w) {
                mean += v;
                sq += (double) v * v;
            }
            assertThat(mean / w.length).isCloseTo(0, within(0.02));
            assertThat(sq / w.length).isCloseTo(1, within(0.05));
        }
        DatasetSummary s = b.summary();
        assertThat(s.source("sim").windows()).isEqualTo(33);
        assertThat(s.source("sim").dropped()).isEqualTo(3);
        assertThat(s.rejectedChunks()).isEmpty();
        assertThat(s.assemblerDeadLetters()).isEmpty();
    }

    @Test
    void dropoutsBecomeGapsAndABacklogHeldPastTheEndIsStillUsed() {
        Scenario scenario =
                Scenario.builder()
                        .segment(120, Rhythm.NORMAL, 70, Noise.NONE)
                        .dropout(20.5, 22.2)
                        .offline(50, 80)
                        .build();
        WindowDatasetBuilder b = new WindowDatasetBuilder();
        b.addSimulatedFleet(
                new SimulatedFleet(List.of(uplink("d", 4, 250, scenario))),
                START + 60 * SECOND,
                "");

        // Chunks 20-22 are lost: [15, 25) and [20, 30) miss 30 % and are dropped. Chunks of
        // [50, 60) are held by the offline period until 80 s, after the end, and still count.
        List<Float> expected = new ArrayList<>(grid(0, 10));
        expected.addAll(grid(25, 50));
        assertThat(b.windowStartsOf("d")).isEqualTo(expected);
        assertThat(b.summary().source("sim").dropped()).isEqualTo(3);
        assertThat(b.missingFractionsOf("d").get(2))
                .isGreaterThan(0f); // [10, 20) touches the gap's filter support
        assertThat(b.summary().assemblerDeadLetters()).isEmpty();
    }

    @Test
    void generatedFleetLabelsAreTheGroundTruthOfEachWindowsSamples() {
        long end = START + 300 * SECOND;
        WindowDatasetBuilder b = new WindowDatasetBuilder();
        b.addSimulatedFleet(
                SimulatedFleet.generate(4, 11, START, 1.0, 300 * SECOND), end, "seed11/");
        // A second, untouched fleet of the same seed: its devices answer ground-truth queries
        // afresh.
        SimulatedFleet fresh = SimulatedFleet.generate(4, 11, START, 1.0, 300 * SECOND);

        assertThat(b.deviceNames())
                .containsExactly(
                        "seed11/sim-00000",
                        "seed11/sim-00001",
                        "seed11/sim-00002",
                        "seed11/sim-00003");
        int checked = 0;
        for (DeviceUplink u : fresh.uplinks()) {
            String name = "seed11/" + u.deviceId();
            List<Float> starts = b.windowStartsOf(name);
            List<WindowLabels> labels = b.labelsOf(name);
            assertThat(starts).isNotEmpty();
            for (int i = 0; i < starts.size(); i++) {
                float s = starts.get(i);
                assertThat(s % 5).isZero();
                long a = START + Math.round(s * 1e6);
                long from = u.device().firstSampleAtOrAfter(a);
                long to = u.device().firstSampleAtOrAfter(a + 10 * SECOND);
                assertThat(labels.get(i))
                        .isEqualTo(WindowDatasetBuilder.simulatedLabels(u.groundTruth(from, to)));
                checked++;
            }
            assertThat(b.missingFractionsOf(name))
                    .allSatisfy(m -> assertThat(m).isBetween(0f, 0.2f));
        }
        assertThat(checked).isEqualTo(b.windowCount());
        assertThat(b.summary().assemblerDeadLetters()).isEmpty();
    }

    @Test
    void mitdb100GivesItsAnnotatedWindows() {
        WindowDatasetBuilder b = new WindowDatasetBuilder();
        assertThat(b.addRecord(shared("mitdb/100.hea"), false)).containsExactly("mitdb/100/MLII");

        // 650000 samples at 360 Hz = 1805.6 s: windows start at 0, 5, ..., 1795.
        assertThat(b.windowStartsOf("mitdb/100/MLII")).isEqualTo(grid(0, 1795));
        List<WindowLabels> labels = b.labelsOf("mitdb/100/MLII");
        double meanHr = labels.stream().mapToDouble(WindowLabels::hrBpm).average().orElseThrow();
        assertThat(meanHr).isBetween(73.0, 78.0);
        assertThat(labels)
                .allSatisfy(
                        l -> {
                            assertThat(l.rhythm()).isEqualTo(WindowDatasetBuilder.RHYTHM_NORMAL);
                            assertThat(l.rhythmFraction())
                                    .isGreaterThan(0.99f); // "(N" is annotated at 0.05 s
                            assertThat(l.quality()).isEqualTo(WindowDatasetBuilder.UNKNOWN);
                            assertThat(l.noiseRmsMv()).isNaN();
                        });
        assertThat(b.missingFractionsOf("mitdb/100/MLII"))
                .allSatisfy(m -> assertThat(m).isLessThan(0.02f));
        DatasetSummary s = b.summary();
        assertThat(s.source("mitdb").windows()).isEqualTo(360);
        assertThat(s.source("mitdb").dropped())
                .isEqualTo(2); // [1800, 1810), [1805, 1815) hold 5.6 s, 0.6 s
        assertThat(s.skipped()).isEmpty();
    }

    @Test
    void todaysWindowPathGivesTheWindowTheShippedEncoderWasTrainedOn() throws IOException {
        // golden.json's third input is mitdb100.npz's first window, built by this class when
        // ecg-fm-v2's data was made: the job's resampler and assembler have changed since
        // (exact positions, summation order), each change checked against a reference that
        // moved with it. This pins today's path to the bytes the encoder was trained on.
        com.fasterxml.jackson.databind.JsonNode golden =
                new com.fasterxml.jackson.databind.ObjectMapper()
                        .readTree(
                                RepositoryLayout.root()
                                        .resolve("model-artifacts/ecg-fm-v2/golden.json")
                                        .toFile());
        assertThat(golden.get("note").asText()).contains("mitdb/100 first window");
        com.fasterxml.jackson.databind.JsonNode trained = golden.get("inputs").get(2);
        WindowDatasetBuilder b = new WindowDatasetBuilder();
        b.addRecord(shared("mitdb/100.hea"), false);
        float[] today = b.windowsOf("mitdb/100/MLII").get(0);
        assertThat(today).hasSize(trained.size());
        double worst = 0;
        for (int i = 0; i < today.length; i++) {
            worst = Math.max(worst, Math.abs(today[i] - trained.get(i).asDouble()));
        }
        assertThat(worst).as("largest difference, z-score units (0 when written)").isLessThan(1e-6);
    }

    @Test
    void cinc2017RecordsCarryTheirReferenceLabel() {
        String expected =
                CinC2017Reference.read(shared("cinc2017-train/REFERENCE.csv"))
                        .label("A00001")
                        .orElseThrow();
        WindowDatasetBuilder b = new WindowDatasetBuilder();
        b.addPath(shared("cinc2017-train/A00001"), false);

        List<WindowLabels> labels = b.labelsOf("cinc2017-train/A00001/ECG");
        assertThat(labels)
                .isNotEmpty()
                .allSatisfy(
                        l -> {
                            assertThat(l).isEqualTo(WindowDatasetBuilder.cinc2017Labels(expected));
                            assertThat(l.hrBpm()).isNaN();
                        });
        // 9000 samples at 300 Hz = 30 s: [0, 10) ... [20, 30).
        assertThat(b.windowStartsOf("cinc2017-train/A00001/ECG")).isEqualTo(grid(0, 20));
        assertThat(b.summary().source("cinc2017").windows()).isEqualTo(5);
        assertThat(WindowDatasetBuilder.cinc2017Labels("A").rhythm())
                .isEqualTo(WindowDatasetBuilder.RHYTHM_AF);
        assertThat(WindowDatasetBuilder.cinc2017Labels("O").rhythm())
                .isEqualTo(WindowDatasetBuilder.RHYTHM_OTHER);
        assertThat(WindowDatasetBuilder.cinc2017Labels("~").rhythm())
                .isEqualTo(WindowDatasetBuilder.RHYTHM_NOISY);
    }

    /**
     * Train/serve parity: the builder's windows (1 s chunks through encode, validate, assemble,
     * normalise) equal those of an assembler driven by hand with 37-sample chunks.
     */
    @Test
    void builderWindowsEqualAHandDrivenAssemblerFedInOtherChunks() {
        WindowDatasetBuilder b = new WindowDatasetBuilder();
        b.addRecord(shared("mitdb/100.hea"), false);
        List<float[]> built = b.windowsOf("mitdb/100/MLII");

        WfdbRecord.Signal sig =
                WfdbRecord.read(shared("mitdb/100.hea")).firstEcgLead().orElseThrow();
        short[] raw = sig.samples();
        int[] samples = IntStream.range(0, raw.length).map(i -> raw[i]).toArray();
        RecordChunker chunker =
                new RecordChunker(
                        "hand",
                        sig.name(),
                        sig.sampleRate(),
                        samples,
                        sig.gain(),
                        sig.baseline(),
                        sig.units(),
                        START,
                        37);
        DeviceWindowAssembler assembler =
                new DeviceWindowAssembler(WindowDatasetBuilder.defaultSpec());
        List<float[]> hand = new ArrayList<>();
        WindowListener listener =
                new WindowListener() {
                    @Override
                    public void emitted(WindowRecord w) {
                        float[] z = new float[w.samples.length];
                        WindowNormaliser.zscore(w.samples, z, 0);
                        hand.add(z);
                    }

                    @Override
                    public void droppedIncomplete(
                            String deviceId, long windowStartMicros, float missingFraction) {}
                };
        DeviceStreamState state = null;
        while (chunker.hasNext()) {
            ChunkRecord c = record(chunker.next());
            if (state == null) {
                state = assembler.newState(c);
            }
            assertThat(assembler.offer(state, c, Long.MIN_VALUE, listener).outcome())
                    .isEqualTo(ChunkOutcome.ACCEPTED);
        }
        assembler.flush(state, listener);

        assertThat(built).hasSize(360).hasSameSizeAs(hand);
        double worst = 0;
        for (int i = 0; i < hand.size(); i++) {
            for (int j = 0; j < 1000; j++) {
                worst = Math.max(worst, Math.abs(built.get(i)[j] - hand.get(i)[j]));
            }
        }
        assertThat(worst).isLessThanOrEqualTo(1e-6);
    }

    @Test
    void everyLeadOfPtbdbExceptTheAbsentXyzFile() {
        WindowDatasetBuilder b = new WindowDatasetBuilder();
        List<String> names = b.addRecord(shared("ptbdb/s0010_re.hea"), true);
        assertThat(names).hasSize(12).contains("ptbdb/s0010_re/i", "ptbdb/s0010_re/v6");
        assertThat(b.summary().skipped())
                .hasSize(3)
                .allSatisfy(line -> assertThat(line).contains("s0010_re.xyz").contains("absent"));
        // 38.4 s: [30, 40) misses 1.6 s (16 % plus the filter's reach) and is still used.
        assertThat(b.windowStartsOf("ptbdb/s0010_re/v6")).isEqualTo(grid(0, 30));
    }

    @Test
    void nonEcgSignalsAreSkippedAndNamed() {
        WindowDatasetBuilder b = new WindowDatasetBuilder();
        assertThat(b.addRecord(shared("cinc2015/v102s.hea"), true))
                .containsExactly("cinc2015/v102s/II", "cinc2015/v102s/V");
        assertThat(b.summary().skipped())
                .containsExactly(
                        "cinc2015/v102s/PLETH: not an ECG lead",
                        "cinc2015/v102s/RESP: not an ECG lead");
    }

    @Test
    void scipysMitdb208ExcerptIsReadFromItsNpz() {
        WindowDatasetBuilder b = new WindowDatasetBuilder();
        b.addPath(shared("scipy-mitdb208"), false);
        // 108000 samples at 360 Hz = 300 s.
        assertThat(b.windowStartsOf("scipy-mitdb208/208/MLII")).isEqualTo(grid(0, 290));
        assertThat(b.labelsOf("scipy-mitdb208/208/MLII"))
                .allSatisfy(l -> assertThat(l).isEqualTo(WindowLabels.UNKNOWN));
    }

    @Test
    void aRecordAddedTwiceIsRefused() {
        WindowDatasetBuilder b = new WindowDatasetBuilder();
        b.addPath(shared("cinc2017-train/A00001.hea"), false);
        assertThatThrownBy(() -> b.addPath(shared("cinc2017-train/A00001"), false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cinc2017-train/A00001/ECG");
    }

    @Test
    void theNpzHoldsTheDocumentedArrays(@TempDir Path dir) throws IOException {
        WindowDatasetBuilder b = new WindowDatasetBuilder();
        b.addSimulatedFleet(
                new SimulatedFleet(
                        List.of(
                                uplink(
                                        "a",
                                        1,
                                        250,
                                        Scenario.steady(Rhythm.NORMAL, 60, Noise.NONE)))),
                START + 30 * SECOND,
                "s/");
        b.addPath(shared("cinc2017-train/A00001"), false);
        Path file = dir.resolve("sub/out.npz");
        DatasetSummary summary = b.writeNpz(file, false);
        assertThat(summary.windows()).isEqualTo(10);

        Map<String, NpyReader.Array> a = NpyReader.readNpz(file);
        assertThat(a.keySet())
                .containsExactly(
                        "windows",
                        "missing_fraction",
                        "hr_bpm",
                        "rhythm",
                        "quality",
                        "noise_rms_mv",
                        "rhythm_fraction",
                        "device",
                        "window_start_s",
                        "source",
                        "device_names",
                        "source_names");
        assertThat(a.get("windows").descr()).isEqualTo("<f4");
        assertThat(a.get("windows").shape()).containsExactly(10, 1000);
        for (String k :
                List.of(
                        "missing_fraction",
                        "hr_bpm",
                        "noise_rms_mv",
                        "rhythm_fraction",
                        "window_start_s")) {
            assertThat(a.get(k).descr()).as(k).isEqualTo("<f4");
            assertThat(a.get(k).shape()).as(k).containsExactly(10);
        }
        assertThat(a.get("rhythm").descr()).isEqualTo("|i1");
        assertThat(a.get("quality").descr()).isEqualTo("|i1");
        assertThat(a.get("source").descr()).isEqualTo("|i1");
        assertThat(a.get("device").descr()).isEqualTo("<i4");
        assertThat(a.get("device_names").descr()).isEqualTo("<U64");
        assertThat(a.get("source_names").descr()).isEqualTo("<U16");
        assertThat(a.get("device_names").asStrings())
                .containsExactly("s/a", "cinc2017-train/A00001/ECG");
        assertThat(a.get("source_names").asStrings()).isEqualTo(WindowDatasetBuilder.KNOWN_SOURCES);
        assertThat(a.get("device").asInts()).containsExactly(0, 0, 0, 0, 0, 1, 1, 1, 1, 1);
        assertThat(a.get("source").asInts()).containsExactly(0, 0, 0, 0, 0, 2, 2, 2, 2, 2);
        assertThat(a.get("window_start_s").asFloats())
                .containsExactly(0, 5, 10, 15, 20, 0, 5, 10, 15, 20);
        assertThat(a.get("rhythm").asInts()).containsExactly(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        float[] windows = a.get("windows").asFloats();
        assertThat(java.util.Arrays.copyOfRange(windows, 5000, 6000))
                .containsExactly(b.windowsOf("cinc2017-train/A00001/ECG").get(0));
    }

    /**
     * A SensorChunk as a ChunkRecord, field by field (no validator: the hand path is independent).
     */
    private static ChunkRecord record(SensorChunk c) {
        ChunkRecord r = new ChunkRecord();
        r.deviceId = c.getDeviceId();
        r.sampleRateHz = c.getSampleRateHz();
        r.firstSampleTimeMicros = c.getFirstSampleTimeMicros();
        r.firstSampleIndex = c.getFirstSampleIndex();
        ByteBuffer buf = c.getSamples().duplicate();
        r.samples = new byte[buf.remaining()];
        buf.get(r.samples);
        r.gain = c.getGain();
        r.baseline = c.getBaseline();
        return r;
    }
}
