package io.fmstream.data.dataset;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * An array to be written as NumPy {@code .npy}: its dtype ({@code descr}), C-order shape and a
 * writer for its little-endian data. It holds a reference to the caller's Java arrays, never a
 * copy, and serialises them through a small buffer when written, so a dataset of hundreds of
 * megabytes is never held twice (the window matrix is written straight from the list of per-window
 * arrays). The caller must not change the arrays until the array has been written.
 *
 * <p>Supported dtypes: {@code <f4} (float32, 1-D, 2-D, or 2-D from a list of rows), {@code <f8}
 * (float64), {@code |i1} (int8), {@code <i2} (int16), {@code <i4} (int32) and {@code <U{n}}
 * (fixed-width unicode, n UTF-32LE code points per element, zero padded: NumPy's own string
 * layout).
 */
public final class NpyArray {

    /** Writes the array's data, exactly {@link #dataBytes()} bytes, to a stream. */
    @FunctionalInterface
    interface DataWriter {
        void write(OutputStream out) throws IOException;
    }

    /** Bytes serialised per write call: big enough to be cheap, small enough not to matter. */
    static final int BUFFER_BYTES = 1 << 16;

    private final String descr;
    private final long[] shape;
    private final long dataBytes;
    private final DataWriter writer;

    private NpyArray(String descr, long[] shape, long itemBytes, DataWriter writer) {
        this.descr = descr;
        this.shape = shape;
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        this.dataBytes = Math.multiplyExact(n, itemBytes);
        this.writer = writer;
    }

    /** A 1-D float32 array. */
    public static NpyArray float32(float[] values) {
        Objects.requireNonNull(values, "values");
        return new NpyArray(
                "<f4", new long[] {values.length}, 4, out -> writeFloats(out, List.of(values)));
    }

    /** A 2-D float32 array of {@code rows × cols} values stored row by row in {@code values}. */
    public static NpyArray float32(float[] values, int rows, int cols) {
        Objects.requireNonNull(values, "values");
        if (rows < 0 || cols < 0 || (long) rows * cols != values.length) {
            throw new IllegalArgumentException(
                    "shape ("
                            + rows
                            + ", "
                            + cols
                            + ") does not hold "
                            + values.length
                            + " values");
        }
        return new NpyArray(
                "<f4", new long[] {rows, cols}, 4, out -> writeFloats(out, List.of(values)));
    }

    /**
     * A 2-D float32 array whose row {@code i} is {@code rows.get(i)}; every row must have {@code
     * cols} values. The rows are written in place, one after another, with no concatenated copy.
     */
    public static NpyArray float32Rows(List<float[]> rows, int cols) {
        Objects.requireNonNull(rows, "rows");
        if (cols < 0) {
            throw new IllegalArgumentException("cols must be >= 0, got " + cols);
        }
        for (int i = 0; i < rows.size(); i++) {
            if (rows.get(i).length != cols) {
                throw new IllegalArgumentException(
                        "row " + i + " has " + rows.get(i).length + " values, expected " + cols);
            }
        }
        return new NpyArray(
                "<f4", new long[] {rows.size(), cols}, 4, out -> writeFloats(out, rows));
    }

    /** A 1-D float64 array. */
    public static NpyArray float64(double[] values) {
        Objects.requireNonNull(values, "values");
        return new NpyArray(
                "<f8",
                new long[] {values.length},
                8,
                out -> {
                    ByteBuffer buf = buffer();
                    for (double v : values) {
                        if (buf.remaining() < 8) {
                            drain(buf, out);
                        }
                        buf.putDouble(v);
                    }
                    drain(buf, out);
                });
    }

    /** A 1-D int8 array. Byte order does not apply, hence NumPy's {@code |i1}. */
    public static NpyArray int8(byte[] values) {
        Objects.requireNonNull(values, "values");
        return new NpyArray("|i1", new long[] {values.length}, 1, out -> out.write(values));
    }

    /** A 1-D int16 array. */
    public static NpyArray int16(short[] values) {
        Objects.requireNonNull(values, "values");
        return new NpyArray(
                "<i2",
                new long[] {values.length},
                2,
                out -> {
                    ByteBuffer buf = buffer();
                    for (short v : values) {
                        if (buf.remaining() < 2) {
                            drain(buf, out);
                        }
                        buf.putShort(v);
                    }
                    drain(buf, out);
                });
    }

    /** A 1-D int32 array. */
    public static NpyArray int32(int[] values) {
        Objects.requireNonNull(values, "values");
        return new NpyArray(
                "<i4",
                new long[] {values.length},
                4,
                out -> {
                    ByteBuffer buf = buffer();
                    for (int v : values) {
                        if (buf.remaining() < 4) {
                            drain(buf, out);
                        }
                        buf.putInt(v);
                    }
                    drain(buf, out);
                });
    }

    /**
     * A 1-D array of fixed-width unicode strings, dtype {@code <U{width}}: each element is {@code
     * width} code points in UTF-32LE, zero padded (NumPy strips the padding when reading, so a
     * string must not end in U+0000 itself).
     *
     * @throws IllegalArgumentException if a string has more than {@code width} code points
     */
    public static NpyArray unicode(List<String> values, int width) {
        Objects.requireNonNull(values, "values");
        if (width < 1) {
            throw new IllegalArgumentException("width must be >= 1, got " + width);
        }
        List<String> copy = List.copyOf(values);
        for (String s : copy) {
            int n = s.codePointCount(0, s.length());
            if (n > width) {
                throw new IllegalArgumentException(
                        "\""
                                + s
                                + "\" has "
                                + n
                                + " code points, more than the dtype's "
                                + width
                                + " (<U"
                                + width
                                + ")");
            }
        }
        return new NpyArray(
                "<U" + width,
                new long[] {copy.size()},
                4L * width,
                out -> {
                    ByteBuffer buf = buffer();
                    for (String s : copy) {
                        int[] cps = s.codePoints().toArray();
                        for (int i = 0; i < width; i++) {
                            if (buf.remaining() < 4) {
                                drain(buf, out);
                            }
                            buf.putInt(i < cps.length ? cps[i] : 0);
                        }
                    }
                    drain(buf, out);
                });
    }

    /** The smallest {@code <U} width, at least {@code minWidth}, that holds every string. */
    public static int unicodeWidth(List<String> values, int minWidth) {
        int w = minWidth;
        for (String s : values) {
            w = Math.max(w, s.codePointCount(0, s.length()));
        }
        return w;
    }

    /** NumPy's dtype string, e.g. {@code <f4}. */
    public String descr() {
        return descr;
    }

    /** The C-order shape (a copy). */
    public long[] shape() {
        return shape.clone();
    }

    /** Size of the data after the header, bytes. */
    public long dataBytes() {
        return dataBytes;
    }

    /** Writes the data (not the header), little-endian, in C order. */
    public void writeData(OutputStream out) throws IOException {
        writer.write(out);
    }

    @Override
    public String toString() {
        return "NpyArray[" + descr + " " + Arrays.toString(shape) + "]";
    }

    private static void writeFloats(OutputStream out, List<float[]> rows) throws IOException {
        ByteBuffer buf = buffer();
        for (float[] row : rows) {
            for (float v : row) {
                if (buf.remaining() < 4) {
                    drain(buf, out);
                }
                buf.putFloat(v);
            }
        }
        drain(buf, out);
    }

    private static ByteBuffer buffer() {
        return ByteBuffer.allocate(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static void drain(ByteBuffer buf, OutputStream out) throws IOException {
        out.write(buf.array(), 0, buf.position());
        buf.clear();
    }
}
