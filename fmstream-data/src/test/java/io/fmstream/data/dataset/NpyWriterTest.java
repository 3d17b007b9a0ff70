package io.fmstream.data.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The .npy/.npz writers: exact header bytes (as NumPy 1.24 writes them for the same arrays), data
 * layout per dtype, and archives that a zip reader and {@link NpyReader} read back.
 */
class NpyWriterTest {

    /** The header numpy.save writes for {@code dict}: 128 bytes, dictionary, spaces, newline. */
    private static byte[] numpyHeader128(String dict) {
        String text = dict + " ".repeat(128 - 10 - dict.length() - 1) + "\n";
        byte[] out = new byte[128];
        byte[] magic = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0x76, 0};
        System.arraycopy(magic, 0, out, 0, 10);
        System.arraycopy(text.getBytes(StandardCharsets.US_ASCII), 0, out, 10, 118);
        return out;
    }

    @Test
    void headersAreByteForByteWhatNumpyWrites() {
        // Captured from numpy 1.24.2: np.save of zeros((3,1000),'<f4'), zeros(5,'<i4'),
        // zeros(0,'|i1'),
        // array(['ab','ü'], '<U64'): every one a 128-byte header, 0x76 = 118 bytes of text.
        assertThat(NpyWriter.header("<f4", new long[] {3, 1000}))
                .isEqualTo(
                        numpyHeader128(
                                "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 1000), }"));
        assertThat(NpyWriter.header("<i4", new long[] {5}))
                .isEqualTo(
                        numpyHeader128(
                                "{'descr': '<i4', 'fortran_order': False, 'shape': (5,), }"));
        assertThat(NpyWriter.header("|i1", new long[] {0}))
                .isEqualTo(
                        numpyHeader128(
                                "{'descr': '|i1', 'fortran_order': False, 'shape': (0,), }"));
        assertThat(NpyWriter.header("<U64", new long[] {2}))
                .isEqualTo(
                        numpyHeader128(
                                "{'descr': '<U64', 'fortran_order': False, 'shape': (2,), }"));
    }

    @Test
    void dataAlwaysStartsOnA64ByteBoundaryAfterANewline() {
        for (int dims = 0; dims <= 6; dims++) {
            for (long size : new long[] {0, 7, 123456789012L}) {
                long[] shape = new long[dims];
                java.util.Arrays.fill(shape, size);
                byte[] h = NpyWriter.header("<f4", shape);
                assertThat(h.length % 64).isZero();
                assertThat(h[h.length - 1]).isEqualTo((byte) '\n');
                int len = (h[8] & 0xFF) | (h[9] & 0xFF) << 8;
                assertThat(len).isEqualTo(h.length - 10);
            }
        }
        assertThat(NpyWriter.shapeTuple(new long[0])).isEqualTo("()");
        assertThat(NpyWriter.shapeTuple(new long[] {4})).isEqualTo("(4,)");
        assertThat(NpyWriter.shapeTuple(new long[] {4, 5, 6})).isEqualTo("(4, 5, 6)");
    }

    @Test
    void everyDtypeIsLittleEndianAfterTheHeader() throws IOException {
        assertThat(data(NpyArray.float32(new float[] {1.0f, -2.5f})))
                .containsExactly(0, 0, 0x80, 0x3F, 0, 0, 0x20, 0xC0);
        assertThat(data(NpyArray.float64(new double[] {1.0})))
                .containsExactly(0, 0, 0, 0, 0, 0, 0xF0, 0x3F);
        assertThat(data(NpyArray.int8(new byte[] {-1, 3}))).containsExactly(0xFF, 3);
        assertThat(data(NpyArray.int16(new short[] {0x1234, -2})))
                .containsExactly(0x34, 0x12, 0xFE, 0xFF);
        assertThat(data(NpyArray.int32(new int[] {0x01020304}))).containsExactly(4, 3, 2, 1);
        // 'a', then U+1F600 (outside the BMP: one UTF-32 code unit, two Java chars), zero padded to
        // 3.
        assertThat(data(NpyArray.unicode(List.of("a\uD83D\uDE00"), 3)))
                .containsExactly('a', 0, 0, 0, 0x00, 0xF6, 0x01, 0, 0, 0, 0, 0);
    }

    @Test
    void roundTripsThroughTheReader() throws IOException {
        float[] matrix = new float[2 * 3];
        for (int i = 0; i < matrix.length; i++) {
            matrix[i] = i * 0.5f - 1;
        }
        NpyReader.Array m = roundTrip(NpyArray.float32(matrix, 2, 3));
        assertThat(m.descr()).isEqualTo("<f4");
        assertThat(m.shape()).containsExactly(2, 3);
        assertThat(m.asFloats()).containsExactly(matrix);

        List<float[]> rows =
                List.of(new float[] {1, 2}, new float[] {3, Float.NaN}, new float[] {5, 6});
        NpyReader.Array r = roundTrip(NpyArray.float32Rows(rows, 2));
        assertThat(r.shape()).containsExactly(3, 2);
        assertThat(r.asFloats()).containsExactly(1, 2, 3, Float.NaN, 5, 6);

        assertThat(roundTrip(NpyArray.int8(new byte[] {-128, 0, 127})).asInts())
                .containsExactly(-128, 0, 127);
        assertThat(roundTrip(NpyArray.int16(new short[] {-32768, 32767})).asInts())
                .containsExactly(-32768, 32767);
        assertThat(roundTrip(NpyArray.int32(new int[] {Integer.MIN_VALUE, 42})).asInts())
                .containsExactly(Integer.MIN_VALUE, 42);
        assertThat(roundTrip(NpyArray.float64(new double[] {Math.PI})).asDoubles())
                .containsExactly(Math.PI);
        NpyReader.Array s =
                roundTrip(NpyArray.unicode(List.of("mitdb/100/MLII", "", "Zürich ü"), 16));
        assertThat(s.descr()).isEqualTo("<U16");
        assertThat(s.asStrings()).containsExactly("mitdb/100/MLII", "", "Zürich ü");
    }

    @Test
    void aStringLongerThanTheDtypeIsRefused() {
        assertThatThrownBy(() -> NpyArray.unicode(List.of("abcde"), 4))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("<U4");
        assertThat(NpyArray.unicodeWidth(List.of("ab", "abcdef"), 4)).isEqualTo(6);
        assertThat(NpyArray.unicodeWidth(List.of("ab"), 16)).isEqualTo(16);
    }

    @Test
    void rowsOfTheWrongLengthAreRefused() {
        assertThatThrownBy(() -> NpyArray.float32Rows(List.of(new float[3], new float[2]), 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("row 1");
        assertThatThrownBy(() -> NpyArray.float32(new float[5], 2, 3))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void largeRowListsStreamAcrossBufferBoundaries() throws IOException {
        // 300 rows of 1000 floats: 1.2 MB, many times the 64 KiB serialisation buffer.
        List<float[]> rows = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            float[] row = new float[1000];
            for (int j = 0; j < row.length; j++) {
                row[j] = i * 1000 + j;
            }
            rows.add(row);
        }
        NpyArray a = NpyArray.float32Rows(rows, 1000);
        assertThat(a.dataBytes()).isEqualTo(1_200_000L);
        float[] back = roundTrip(a).asFloats();
        for (int k = 0; k < back.length; k++) {
            assertThat(back[k]).isEqualTo((float) k);
        }
    }

    @Test
    void npzArchivesHoldOneNpyEntryPerArrayStoredOrDeflated(@TempDir Path dir) throws IOException {
        for (boolean compressed : new boolean[] {false, true}) {
            Path file = dir.resolve("a" + compressed + ".npz");
            try (NpzWriter w = new NpzWriter(file, compressed)) {
                w.add("x", NpyArray.float32(new float[] {1, 2, 3}));
                w.add("names", NpyArray.unicode(List.of("a", "bb"), 16));
                w.finish();
            }
            assertThat(dir.resolve("a" + compressed + ".npz.partial")).doesNotExist();
            try (ZipFile zip = new ZipFile(file.toFile())) {
                List<String> names = new ArrayList<>();
                for (ZipEntry e : Collections.list(zip.entries())) {
                    names.add(e.getName());
                    assertThat(e.getMethod())
                            .isEqualTo(compressed ? ZipEntry.DEFLATED : ZipEntry.STORED);
                }
                assertThat(names).containsExactly("x.npy", "names.npy");
                byte[] x = zip.getInputStream(zip.getEntry("x.npy")).readAllBytes();
                assertThat(x).hasSize(128 + 12);
            }
            Map<String, NpyReader.Array> back = NpyReader.readNpz(file);
            assertThat(back.keySet()).containsExactly("x", "names");
            assertThat(back.get("x").asFloats()).containsExactly(1, 2, 3);
            assertThat(back.get("names").asStrings()).containsExactly("a", "bb");
        }
    }

    @Test
    void anUnfinishedArchiveLeavesNoFileBehind(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("broken.npz");
        try (NpzWriter w = new NpzWriter(file, false)) {
            w.add("x", NpyArray.int32(new int[] {1}));
            assertThatThrownBy(() -> w.add("x", NpyArray.int32(new int[] {2})))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("twice");
        }
        try (var files = Files.list(dir)) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void theReaderRefusesWhatItCannotReadCorrectly() {
        byte[] header = NpyWriter.header(">f4", new long[] {1});
        assertThatThrownBy(
                        () ->
                                NpyReader.read(
                                        new ByteArrayInputStream(concat(header, new byte[4])),
                                        "x.npy"))
                .hasMessageContaining(">f4");
        assertThatThrownBy(() -> NpyReader.read(new ByteArrayInputStream(new byte[20]), "y.npy"))
                .hasMessageContaining("y.npy")
                .hasMessageContaining("magic");
    }

    private static int[] data(NpyArray a) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        NpyWriter.write(out, a);
        byte[] all = out.toByteArray();
        assertThat(all.length).isEqualTo(NpyWriter.fileBytes(a));
        int start = NpyWriter.header(a.descr(), a.shape()).length;
        int[] data = new int[all.length - start];
        for (int i = 0; i < data.length; i++) {
            data[i] = all[start + i] & 0xFF;
        }
        return data;
    }

    private static NpyReader.Array roundTrip(NpyArray a) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        NpyWriter.write(out, a);
        return NpyReader.read(new ByteArrayInputStream(out.toByteArray()), "test");
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
