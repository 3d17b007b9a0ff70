package io.fmstream.data.wfdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads the shared PhysioNet records. The header checksum (16-bit sum of all samples of a signal)
 * is the strongest check available: one mis-decoded bit, a wrong interleave or a wrong offset
 * anywhere in the file breaks it. Every record whose header carries real checksums is verified.
 */
class WfdbRecordTest {

    @Test
    void mitdb100Format212() {
        WfdbRecord r = WfdbRecord.read(SharedData.file("mitdb/100.hea"));

        assertThat(r.name()).isEqualTo("100");
        assertThat(r.numberOfFrames()).isEqualTo(650000);
        assertThat(r.signals()).extracting(WfdbRecord.Signal::name).containsExactly("MLII", "V5");
        WfdbRecord.Signal mlii = r.requireSignal("MLII");
        WfdbRecord.Signal v5 = r.requireSignal("V5");
        assertThat(mlii.length()).isEqualTo(650000);
        assertThat(mlii.sampleRate()).isEqualTo(360.0);
        assertThat(mlii.gain()).isEqualTo(200.0);
        assertThat(mlii.baseline()).isEqualTo(1024);
        assertThat(mlii.sample(0)).isEqualTo((short) 995);
        assertThat(v5.sample(0)).isEqualTo((short) 1011);
        assertThat(mlii.physical(0)).isCloseTo((995 - 1024) / 200.0, within(1e-12));
        assertThat(mlii.toPhysical()[0]).isCloseTo(-0.145f, within(1e-6f));

        assertThat(mlii.headerChecksum()).hasValue(-22131);
        assertThat(mlii.checksum()).isEqualTo(-22131);
        assertThat(v5.headerChecksum()).hasValue(20052);
        assertThat(v5.checksum()).isEqualTo(20052);
        assertThat(mlii.checksumMatches()).isTrue();
        r.verifyChecksums();

        // 11-bit ADC around 1024: every decoded sample lies in [0, 2047]
        for (WfdbRecord.Signal s : r.signals()) {
            short[] x = s.samples();
            for (short v : x) {
                assertThat((int) v).isBetween(0, 2047);
            }
        }
        assertThat(r.firstEcgLead()).map(WfdbRecord.Signal::name).hasValue("MLII");
    }

    @Test
    void cinc2015V102sFourSignalsFormat212() {
        WfdbRecord r = WfdbRecord.read(SharedData.file("cinc2015/v102s.hea"));
        assertThat(r.signals())
                .extracting(WfdbRecord.Signal::name)
                .containsExactly("II", "V", "PLETH", "RESP");
        assertThat(r.signals())
                .allSatisfy(
                        s -> {
                            assertThat(s.length()).isEqualTo(75000);
                            assertThat(s.sampleRate()).isEqualTo(250.0);
                            assertThat((int) s.sample(0)).isEqualTo(s.initialValue());
                            assertThat(s.headerChecksum()).isPresent();
                            assertThat(s.checksum())
                                    .as(s.name())
                                    .isEqualTo(s.headerChecksum().getAsInt());
                        });
        assertThat(r.requireSignal("II").gain()).isEqualTo(2281.0);
        assertThat(r.firstEcgLead()).map(WfdbRecord.Signal::name).hasValue("II");
        r.verifyChecksums();
    }

    @Test
    void mimicMultiRateFrames() {
        WfdbRecord r = WfdbRecord.read(SharedData.file("mimicdb/03700181.hea"));
        WfdbRecord.Signal mcl1 = r.requireSignal("MCL1");
        WfdbRecord.Signal abp = r.requireSignal("ABP");
        WfdbRecord.Signal resp = r.requireSignal("RESP");

        assertThat(r.numberOfFrames()).isEqualTo(75000);
        assertThat(mcl1.sampleRate()).isEqualTo(500.0);
        assertThat(mcl1.samplesPerFrame()).isEqualTo(4);
        assertThat(mcl1.length()).isEqualTo(4 * 75000);
        assertThat(abp.sampleRate()).isEqualTo(125.0);
        assertThat(abp.length()).isEqualTo(75000);
        assertThat(resp.sampleRate()).isEqualTo(125.0);
        assertThat(resp.length()).isEqualTo(75000);
        assertThat(mcl1.durationSeconds()).isEqualTo(600.0);
        assertThat(abp.durationSeconds()).isEqualTo(600.0);

        assertThat(abp.gain()).isEqualTo(12.84);
        assertThat(abp.baseline()).isEqualTo(-1605);
        assertThat(abp.units()).isEqualTo("mmHg");
        // Physically possible pressures, which a wrong baseline sign (about -230 mmHg) or gain
        // would not give. This trace is low for an arterial line: pulsatile, 17-64 mmHg, mean 33.
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        double mean = 0;
        for (int i = 0; i < abp.length(); i++) {
            double p = abp.physical(i);
            min = Math.min(min, p);
            max = Math.max(max, p);
            mean += p / abp.length();
        }
        assertThat(min).isGreaterThan(0.0);
        assertThat(max).isLessThan(300.0);
        assertThat(max - min).as("pulsatile").isGreaterThan(20.0);
        assertThat(mean).isBetween(20.0, 160.0);

        for (WfdbRecord.Signal s : r.signals()) {
            assertThat((int) s.sample(0)).as(s.name()).isEqualTo(s.initialValue());
            assertThat(s.checksum()).as(s.name()).isEqualTo(s.headerChecksum().getAsInt());
        }
        // RESP has skew 4, ignored: its header checksum and initial value describe the stored
        // samples
        assertThat(resp.spec().skew()).isEqualTo(4);
        assertThat(r.firstEcgLead()).map(WfdbRecord.Signal::name).hasValue("MCL1");
    }

    @Test
    void ptbdbFormat16ReadsTheDatFile() {
        Path hea = SharedData.file("ptbdb/s0010_re.hea");
        WfdbRecord r = WfdbRecord.read(hea, s -> s.fileName().equals("s0010_re.dat"));

        assertThat(r.signals()).hasSize(12);
        assertThat(r.signals())
                .extracting(WfdbRecord.Signal::name)
                .containsExactly(
                        "i", "ii", "iii", "avr", "avl", "avf", "v1", "v2", "v3", "v4", "v5", "v6");
        assertThat(r.signals())
                .allSatisfy(
                        s -> {
                            assertThat(s.length()).isEqualTo(38400);
                            assertThat(s.sampleRate()).isEqualTo(1000.0);
                            assertThat((int) s.sample(0)).as(s.name()).isEqualTo(s.initialValue());
                            assertThat(s.checksum())
                                    .as(s.name())
                                    .isEqualTo(s.headerChecksum().getAsInt());
                        });
        assertThat(r.firstEcgLead()).map(WfdbRecord.Signal::name).hasValue("i");
        r.verifyChecksums();
    }

    @Test
    void ptbdbFullReadNamesTheMissingXyzFile() {
        // The shared data carries only s0010_re.dat; vx, vy, vz live in s0010_re.xyz.
        Path hea = SharedData.file("ptbdb/s0010_re.hea");
        assertThatThrownBy(() -> WfdbRecord.read(hea))
                .isInstanceOf(WfdbException.class)
                .hasMessageContaining("s0010_re.xyz")
                .hasMessageContaining("signal file not found");
    }

    @Test
    void cinc2015A103lMatV4ThreeInterleavedSignals() throws IOException {
        Path hea = SharedData.file("cinc2015/a103l.hea");
        WfdbRecord r = WfdbRecord.read(hea);
        assertThat(r.signals())
                .extracting(WfdbRecord.Signal::name)
                .containsExactly("II", "V", "PLETH");
        for (WfdbRecord.Signal s : r.signals()) {
            assertThat(s.length()).isEqualTo(82500);
            assertThat(s.sampleRate()).isEqualTo(250.0);
            assertThat((int) s.sample(0)).as(s.name()).isEqualTo(s.initialValue());
            assertThat(s.checksum()).as(s.name()).isEqualTo(s.headerChecksum().getAsInt());
        }
        assertMatV4Layout(SharedData.file("cinc2015/a103l.mat"), 3, 82500);
        assertThat(r.firstEcgLead()).map(WfdbRecord.Signal::name).hasValue("II");
    }

    @Test
    void cinc2017A00001() throws IOException {
        WfdbRecord r = WfdbRecord.read(SharedData.file("cinc2017-train/A00001.hea"));
        WfdbRecord.Signal ecg = r.signals().get(0);
        assertThat(r.signals()).hasSize(1);
        assertThat(ecg.sampleRate()).isEqualTo(300.0);
        assertThat(ecg.length()).isEqualTo(9000);
        assertThat(ecg.gain()).isEqualTo(1000.0);
        assertThat(ecg.units()).isEqualTo("mV");
        assertThat(ecg.spec().format()).isEqualTo(16);
        assertThat(ecg.spec().byteOffset()).isEqualTo(24);
        assertThat((int) ecg.sample(0)).isEqualTo(-127);
        assertThat(r.firstEcgLead()).containsSame(ecg);
        assertMatV4Layout(SharedData.file("cinc2017-train/A00001.mat"), 1, 9000);
    }

    /**
     * cinc2017's headers carry checksum 0 for every record (the field was not filled in when the
     * challenge converted the files), so instead each record is checked against its MAT v4 header
     * (type int16, 1 row, nsamp columns, 24-byte header, nothing after the data) and against an
     * independent int16 sum. The first sample equals the header's initial value except in eight
     * records whose headers disagree with their data.
     */
    @Test
    void allCinc2017RecordsRead() throws IOException {
        Path dir = SharedData.root().resolve("cinc2017-train");
        List<Path> headers = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "A*.hea")) {
            ds.forEach(headers::add);
        }
        assertThat(headers).hasSize(150);
        Set<String> initialValueMismatches = new TreeSet<>();
        for (Path hea : headers) {
            WfdbRecord r = WfdbRecord.read(hea);
            assertThat(r.signals()).as(hea.toString()).hasSize(1);
            WfdbRecord.Signal ecg = r.signals().get(0);
            long n = r.header().numberOfSamples();
            assertThat(n).as(hea.toString()).isBetween(300L * 9, 300L * 61);
            assertThat(ecg.length()).isEqualTo((int) n);
            assertThat(ecg.sampleRate()).isEqualTo(300.0);
            assertThat(ecg.gain()).isEqualTo(1000.0);
            assertThat(ecg.spec().byteOffset()).isEqualTo(24);
            assertThat(ecg.headerChecksum()).as(hea.toString()).hasValue(0);
            assertThat(r.firstEcgLead()).as(hea.toString()).isPresent();

            Path mat = r.header().signalFile(ecg.spec());
            short[] independent = assertMatV4Layout(mat, 1, (int) n);
            assertThat(ecg.samples()).as(hea.toString()).isEqualTo(independent);
            long sum = 0;
            for (short v : independent) {
                sum += v;
            }
            assertThat(ecg.checksum()).isEqualTo((int) (short) sum);
            if (ecg.sample(0) != ecg.initialValue()) {
                initialValueMismatches.add(r.name());
            }
        }
        assertThat(initialValueMismatches)
                .containsExactly(
                        "A00013", "A00044", "A00080", "A00097", "A00159", "A00186", "A00189",
                        "A00206");
    }

    /**
     * Checks a MAT v4 file's own header against the WFDB header and returns its int16 data, decoded
     * independently.
     */
    private static short[] assertMatV4Layout(Path mat, int rows, int cols) throws IOException {
        byte[] b = Files.readAllBytes(mat);
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int type = bb.getInt(0);
        int mrows = bb.getInt(4);
        int ncols = bb.getInt(8);
        int imagf = bb.getInt(12);
        int namlen = bb.getInt(16);
        assertThat(type)
                .as(mat + " MAT type (MOPT 0030 = little-endian int16 matrix)")
                .isEqualTo(30);
        assertThat(mrows).as(mat + " rows").isEqualTo(rows);
        assertThat(ncols).as(mat + " cols").isEqualTo(cols);
        assertThat(imagf).isZero();
        assertThat(20 + namlen).as(mat + " header length = WFDB byte offset").isEqualTo(24);
        assertThat((long) b.length).as(mat + " length").isEqualTo(24L + 2L * rows * cols);
        short[] all = new short[rows * cols];
        bb.position(24).asShortBuffer().get(all);
        return all;
    }

    @Test
    void missingSignalFileIsNamed(@TempDir Path dir) throws IOException {
        Path hea = dir.resolve("100.hea");
        Files.copy(SharedData.file("mitdb/100.hea"), hea);
        assertThatThrownBy(() -> WfdbRecord.read(hea))
                .isInstanceOf(WfdbException.class)
                .hasMessageContaining(dir.resolve("100.dat").toString())
                .hasMessageContaining("signal file not found");
    }

    @Test
    void missingHeaderIsNamed(@TempDir Path dir) {
        Path hea = dir.resolve("none.hea");
        assertThatThrownBy(() -> WfdbRecord.read(hea))
                .isInstanceOf(WfdbException.class)
                .hasMessageContaining(hea.toString())
                .hasMessageContaining("header file not found");
    }

    @Test
    void unsupportedFormatIsNamedWithFileAndLine(@TempDir Path dir) throws IOException {
        Path hea = dir.resolve("r.hea");
        Files.writeString(hea, "r 1 250 10\nr.dat 311 200 10 0 0 0 0 ECG\n");
        Files.write(dir.resolve("r.dat"), new byte[64]);
        assertThatThrownBy(() -> WfdbRecord.read(hea))
                .isInstanceOf(WfdbException.class)
                .hasMessageStartingWith(hea + ":2: ")
                .hasMessageContaining("format 311 is not supported");
    }

    @Test
    void truncatedSignalFileIsNamed(@TempDir Path dir) throws IOException {
        Path hea = dir.resolve("100.hea");
        Files.copy(SharedData.file("mitdb/100.hea"), hea);
        byte[] dat = Files.readAllBytes(SharedData.file("mitdb/100.dat"));
        Path copy = dir.resolve("100.dat");
        Files.write(copy, Arrays.copyOf(dat, dat.length - 3));
        assertThatThrownBy(() -> WfdbRecord.read(hea))
                .isInstanceOf(WfdbException.class)
                .hasMessageStartingWith(copy.toString())
                .hasMessageContaining("truncated")
                .hasMessageContaining("1949997 bytes")
                .hasMessageContaining("needs 1950000");
    }

    @Test
    void truncatedMatFileIsNamed(@TempDir Path dir) throws IOException {
        Path hea = dir.resolve("a103l.hea");
        Files.copy(SharedData.file("cinc2015/a103l.hea"), hea);
        byte[] mat = Files.readAllBytes(SharedData.file("cinc2015/a103l.mat"));
        Files.write(dir.resolve("a103l.mat"), Arrays.copyOf(mat, 1000));
        assertThatThrownBy(() -> WfdbRecord.read(hea))
                .isInstanceOf(WfdbException.class)
                .hasMessageContaining("a103l.mat")
                .hasMessageContaining("truncated");
    }

    @Test
    void checkRefusesWhatReadWouldRefuseWithTheSameMessage(@TempDir Path dir) throws IOException {
        WfdbRecord.check(WfdbHeader.read(SharedData.file("mitdb/100.hea")), s -> true);
        // Only the files holding included signals are checked, as read opens only those.
        WfdbHeader ptb = WfdbHeader.read(SharedData.file("ptbdb/s0010_re.hea"));
        WfdbRecord.check(ptb, s -> s.fileName().endsWith(".dat"));
        assertThatThrownBy(() -> WfdbRecord.check(ptb, s -> true))
                .hasMessageContaining("s0010_re.xyz")
                .hasMessageContaining("signal file not found");

        Path hea = dir.resolve("100.hea");
        Files.copy(SharedData.file("mitdb/100.hea"), hea);
        byte[] dat = Files.readAllBytes(SharedData.file("mitdb/100.dat"));
        Files.write(dir.resolve("100.dat"), Arrays.copyOf(dat, dat.length - 3));
        String readMessage = catchThrowable(() -> WfdbRecord.read(hea)).getMessage();
        assertThatThrownBy(() -> WfdbRecord.check(WfdbHeader.read(hea), s -> true))
                .isInstanceOf(WfdbException.class)
                .hasMessage(readMessage);

        Path r = dir.resolve("r.hea");
        Files.writeString(r, "r 1 250 10\nr.dat 311 200 10 0 0 0 0 ECG\n");
        assertThatThrownBy(() -> WfdbRecord.check(WfdbHeader.read(r), s -> true))
                .hasMessageStartingWith(r + ":2: ")
                .hasMessageContaining("format 311 is not supported");
    }

    @Test
    void checksumMismatchIsReported(@TempDir Path dir) throws IOException {
        Path hea = dir.resolve("r.hea");
        Files.writeString(hea, "r 1 250 2\nr.dat 16 200 16 0 1 999 0 ECG\n");
        Files.write(dir.resolve("r.dat"), new byte[] {1, 0, 2, 0});
        WfdbRecord r = WfdbRecord.read(hea);
        assertThat(r.signals().get(0).checksum()).isEqualTo(3);
        assertThat(r.signals().get(0).checksumMatches()).isFalse();
        assertThatThrownBy(r::verifyChecksums)
                .isInstanceOf(WfdbException.class)
                .hasMessageContaining(hea.toString())
                .hasMessageContaining("header checksum 999, samples sum to 3");
    }

    @Test
    void format80AndOddLength212AndFrameCountFromFileLength(@TempDir Path dir) throws IOException {
        // format 80: stored byte = value + 128
        Files.writeString(dir.resolve("e.hea"), "e 2 100\ne.dat 80 100 8 0\ne.dat 80 100 8 0\n");
        Files.write(
                dir.resolve("e.dat"), new byte[] {(byte) 128, (byte) 0, (byte) 255, (byte) 129});
        WfdbRecord e = WfdbRecord.read(dir.resolve("e.hea"));
        assertThat(e.numberOfFrames()).isEqualTo(2); // no nsamp in the header: from the file length
        assertThat(e.signals().get(0).samples()).containsExactly((short) 0, (short) 127);
        assertThat(e.signals().get(1).samples()).containsExactly((short) -128, (short) 1);

        // format 212, one signal, 3 samples: 2047, -2048, -1 -> bytes FF 87 00 | FF 0F
        Files.writeString(dir.resolve("t.hea"), "t 1 100 3\nt.dat 212 200 12 0\n");
        Files.write(
                dir.resolve("t.dat"),
                new byte[] {(byte) 0xFF, (byte) 0x87, 0x00, (byte) 0xFF, 0x0F});
        WfdbRecord t = WfdbRecord.read(dir.resolve("t.hea"));
        assertThat(t.signals().get(0).samples())
                .containsExactly((short) 2047, (short) -2048, (short) -1);

        // a signal filter that keeps no signal opens no file
        WfdbRecord none = WfdbRecord.read(dir.resolve("t.hea"), s -> false);
        assertThat(none.signals()).isEmpty();
        assertThat(none.firstEcgLead()).isEmpty();
        assertThat(none.signal("x")).isEmpty();
        assertThatThrownBy(() -> none.requireSignal("x"))
                .isInstanceOf(WfdbException.class)
                .hasMessageContaining("no signal named \"x\"");
    }
}
