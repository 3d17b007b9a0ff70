package io.fmstream.data.dataset;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes NumPy {@code .npy} files, format version 1.0 (numpy/lib/format.py, "NEP 1"): the magic
 * {@code \x93NUMPY}, version bytes {@code 1 0}, a little-endian uint16 header length, then an ASCII
 * header {@code {'descr': '<f4', 'fortran_order': False, 'shape': (N, 1000), }} padded with spaces
 * and ended by a newline so that the data starts at a multiple of 64 bytes (NumPy's alignment,
 * which lets readers map the data directly), then the raw C-order data. Only what {@link NpyArray}
 * describes is written; nothing here depends on NumPy being installed.
 */
public final class NpyWriter {

    /** {@code \x93NUMPY}. */
    static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    /** Data starts at a multiple of this many bytes, as NumPy writes it. */
    static final int ALIGNMENT = 64;

    /** Magic, two version bytes and the uint16 header length. */
    private static final int PREAMBLE_BYTES = MAGIC.length + 2 + 2;

    private NpyWriter() {}

    /**
     * The complete header (magic, version, length, dictionary, padding, newline) of an array of
     * dtype {@code descr} and C-order {@code shape}. Its length is a multiple of {@value
     * #ALIGNMENT}.
     *
     * @throws IllegalArgumentException if the dictionary does not fit version 1.0's 65535 bytes
     */
    public static byte[] header(String descr, long[] shape) {
        StringBuilder dict =
                new StringBuilder("{'descr': '")
                        .append(descr)
                        .append("', 'fortran_order': False, 'shape': ")
                        .append(shapeTuple(shape))
                        .append(", }");
        // NumPy pads with spaces to the alignment, counting the final newline; like NumPy, a header
        // that lands exactly on the boundary still gets a full block of padding.
        int unpadded = PREAMBLE_BYTES + dict.length() + 1;
        int pad = ALIGNMENT - unpadded % ALIGNMENT;
        dict.append(" ".repeat(pad)).append('\n');
        byte[] text = dict.toString().getBytes(StandardCharsets.US_ASCII);
        if (text.length > 0xFFFF) {
            throw new IllegalArgumentException(
                    "npy v1.0 header of " + text.length + " bytes exceeds 65535");
        }
        byte[] out = new byte[PREAMBLE_BYTES + text.length];
        System.arraycopy(MAGIC, 0, out, 0, MAGIC.length);
        out[6] = 1;
        out[7] = 0;
        out[8] = (byte) (text.length & 0xFF);
        out[9] = (byte) (text.length >>> 8);
        System.arraycopy(text, 0, out, PREAMBLE_BYTES, text.length);
        return out;
    }

    /** Python's repr of a shape tuple: {@code ()}, {@code (3,)}, {@code (3, 1000)}. */
    static String shapeTuple(long[] shape) {
        if (shape.length == 1) {
            return "(" + shape[0] + ",)";
        }
        StringBuilder s = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) {
                s.append(", ");
            }
            s.append(shape[i]);
        }
        return s.append(')').toString();
    }

    /** Size of the whole {@code .npy} file of {@code array}, bytes. */
    public static long fileBytes(NpyArray array) {
        return header(array.descr(), array.shape()).length + array.dataBytes();
    }

    /** Writes header and data of {@code array} to {@code out} (which is not closed). */
    public static void write(OutputStream out, NpyArray array) throws IOException {
        out.write(header(array.descr(), array.shape()));
        array.writeData(out);
    }

    /** Writes {@code array} as the file {@code file}, replacing it. */
    public static void write(Path file, NpyArray array) throws IOException {
        try (OutputStream out =
                new BufferedOutputStream(Files.newOutputStream(file), NpyArray.BUFFER_BYTES)) {
            write(out, array);
        }
    }
}
