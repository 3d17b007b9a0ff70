package io.fmstream.data.wfdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MitAnnotationsTest {

    @Test
    void mitdb100ReferenceAnnotations() {
        MitAnnotations ann = MitAnnotations.read(SharedData.file("mitdb/100.atr"));

        assertThat(ann.count(MitAnnotations.NORMAL)).isEqualTo(2239);
        assertThat(ann.count(MitAnnotations.APC)).isEqualTo(33);
        assertThat(ann.count(MitAnnotations.PVC)).isEqualTo(1);
        assertThat(ann.beats()).hasSize(2239 + 33 + 1);
        assertThat(ann.countByMnemonic())
                .containsEntry("N", 2239)
                .containsEntry("A", 33)
                .containsEntry("V", 1)
                .containsEntry("+", 1)
                .hasSize(4);

        List<MitAnnotations.Annotation> rhythm = ann.rhythmChanges();
        assertThat(rhythm).hasSize(1);
        assertThat(rhythm.get(0).aux()).isEqualTo("(N"); // the stored "(N\0" without its NUL
        assertThat(rhythm.get(0).sample()).isEqualTo(18);
        assertThat(rhythm.get(0).mnemonic()).isEqualTo("+");
        assertThat(rhythm.get(0).isBeat()).isFalse();

        // first beat and time order
        assertThat(ann.beats().get(0).sample()).isEqualTo(77);
        long previous = -1;
        for (MitAnnotations.Annotation a : ann.annotations()) {
            assertThat(a.sample()).isGreaterThanOrEqualTo(previous).isLessThan(650000);
            previous = a.sample();
        }
        // the file has one SUB pseudo-annotation: exactly one annotation with a subtype
        assertThat(ann.annotations()).filteredOn(a -> a.subtype() != 0).hasSize(1);
    }

    @Test
    void mnemonicsAndBeatCodes() {
        assertThat(MitAnnotations.mnemonic(1)).isEqualTo("N");
        assertThat(MitAnnotations.mnemonic(5)).isEqualTo("V");
        assertThat(MitAnnotations.mnemonic(8)).isEqualTo("A");
        assertThat(MitAnnotations.mnemonic(28)).isEqualTo("+");
        assertThat(MitAnnotations.mnemonic(14)).isEqualTo("~");
        assertThat(MitAnnotations.mnemonic(55)).isEqualTo("[55]");
        for (int code :
                new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 25, 30, 31, 34, 35, 38, 41}) {
            assertThat(MitAnnotations.isBeat(code)).as("code %d", code).isTrue();
        }
        for (int code :
                new int[] {0, 14, 16, 22, 27, 28, 32, 33, 36, 37, 39, 40, 42, 49, 59, 63, -1}) {
            assertThat(MitAnnotations.isBeat(code)).as("code %d", code).isFalse();
        }
    }

    @Test
    void pseudoAnnotations(@TempDir Path dir) throws IOException {
        Bytes b = new Bytes();
        b.word(MitAnnotations.SKIP, 0).int32(100_000); // initial skip
        b.word(MitAnnotations.NORMAL, 5); // N at 100005
        b.word(MitAnnotations.CHN, 1); //   chan 1 (from here on)
        b.word(MitAnnotations.NUM, 1023); //   num -1 (8-bit signed)
        b.word(MitAnnotations.RHYTHM, 10); // + at 100015
        b.word(MitAnnotations.AUX, 5).bytes("(AFIB".getBytes(StandardCharsets.US_ASCII)).pad();
        b.word(MitAnnotations.SKIP, 0).int32(2000); // moves the next one
        b.word(MitAnnotations.PVC, 3); // V at 102018
        b.word(MitAnnotations.SUB, 1023); //   subtype -1
        b.word(MitAnnotations.SKIP, 0).int32(-8); // negative skip
        b.word(MitAnnotations.NOISE, 0); // ~ at 102010
        b.word(MitAnnotations.CHN, 0);
        b.word(0, 0); // end
        b.word(MitAnnotations.NORMAL, 1); // after the end marker: ignored
        Path f = dir.resolve("x.atr");
        Files.write(f, b.toByteArray());

        List<MitAnnotations.Annotation> a = MitAnnotations.read(f).annotations();
        assertThat(a)
                .containsExactly(
                        new MitAnnotations.Annotation(
                                100_005, MitAnnotations.NORMAL, 0, 1, -1, null),
                        new MitAnnotations.Annotation(
                                100_015, MitAnnotations.RHYTHM, 0, 1, -1, "(AFIB"),
                        new MitAnnotations.Annotation(102_018, MitAnnotations.PVC, -1, 1, -1, null),
                        new MitAnnotations.Annotation(
                                102_010, MitAnnotations.NOISE, 0, 0, -1, null));
    }

    @Test
    void missingEndMarkerKeepsAnnotations(@TempDir Path dir) throws IOException {
        Bytes b = new Bytes().word(MitAnnotations.NORMAL, 7).word(MitAnnotations.NORMAL, 7);
        Path f = dir.resolve("y.atr");
        Files.write(f, b.toByteArray());
        assertThat(MitAnnotations.read(f).annotations())
                .extracting(MitAnnotations.Annotation::sample)
                .containsExactly(7L, 14L);
    }

    @Test
    void malformedFilesAreNamed(@TempDir Path dir) throws IOException {
        Path missing = dir.resolve("none.atr");
        assertThatThrownBy(() -> MitAnnotations.read(missing))
                .isInstanceOf(WfdbException.class)
                .hasMessageContaining(missing.toString())
                .hasMessageContaining("not found");

        Path skip = dir.resolve("skip.atr");
        Files.write(
                skip, new Bytes().word(MitAnnotations.SKIP, 0).bytes(new byte[] {1}).toByteArray());
        assertThatThrownBy(() -> MitAnnotations.read(skip))
                .isInstanceOf(WfdbException.class)
                .hasMessageContaining(skip.toString())
                .hasMessageContaining("truncated SKIP");

        Path aux = dir.resolve("aux.atr");
        Files.write(
                aux,
                new Bytes()
                        .word(1, 1)
                        .word(MitAnnotations.AUX, 9)
                        .bytes(new byte[] {'(', 'N'})
                        .toByteArray());
        assertThatThrownBy(() -> MitAnnotations.read(aux))
                .isInstanceOf(WfdbException.class)
                .hasMessageContaining("truncated AUX");

        Path early = dir.resolve("early.atr");
        Files.write(
                early,
                new Bytes().word(MitAnnotations.AUX, 2).bytes(new byte[] {'(', 'N'}).toByteArray());
        assertThatThrownBy(() -> MitAnnotations.read(early))
                .isInstanceOf(WfdbException.class)
                .hasMessageContaining("before any annotation");
    }

    /** Writes MIT-format words. */
    static final class Bytes {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Bytes word(int code, int data) {
            int w = (code << 10) | (data & 0x3ff);
            out.write(w & 0xff);
            out.write(w >>> 8);
            return this;
        }

        Bytes int32(int v) {
            int hi = v >>> 16;
            int lo = v & 0xffff;
            out.write(hi & 0xff);
            out.write(hi >>> 8);
            out.write(lo & 0xff);
            out.write(lo >>> 8);
            return this;
        }

        Bytes bytes(byte[] b) {
            out.writeBytes(b);
            return this;
        }

        Bytes pad() {
            if (out.size() % 2 == 1) {
                out.write(0);
            }
            return this;
        }

        byte[] toByteArray() {
            return out.toByteArray();
        }
    }
}
