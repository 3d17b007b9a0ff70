package io.fmstream.data.dataset;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * A small reader of NumPy {@code .npy} files and {@code .npz} archives (stored or deflated), for
 * the shared data's {@code scipy-mitdb208/ecg.npz} and for checking what {@link NpzWriter} wrote.
 * Reads whole arrays into memory.
 *
 * <p>Supported: format versions 1.0 and 2.0, C order, little-endian or byte-order-free dtypes
 * {@code f4 f8 i1 u1 i2 u2 i4 i8 U<n>}. Anything else (Fortran order, big-endian data, object or
 * structured dtypes) is refused with an {@link IOException} naming the dtype, never read wrongly.
 */
public final class NpyReader {

    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private NpyReader() {}

    /**
     * One array as read: dtype, shape and its raw little-endian bytes.
     *
     * @param descr NumPy dtype string as in the header, e.g. {@code <u2}
     * @param shape C-order shape
     * @param data the raw data, little-endian
     */
    public record Array(String descr, long[] shape, byte[] data) {

        /** Number of elements. */
        public long size() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }

        /** Elements of a float dtype ({@code f4}, {@code f8}) as float. */
        public float[] asFloats() {
            ByteBuffer b = le();
            float[] out = new float[(int) size()];
            switch (kind()) {
                case "f4" -> b.asFloatBuffer().get(out);
                case "f8" -> {
                    for (int i = 0; i < out.length; i++) {
                        out[i] = (float) b.getDouble();
                    }
                }
                default ->
                        throw new IllegalStateException("dtype " + descr + " is not a float dtype");
            }
            return out;
        }

        /** Elements of a float dtype as double. */
        public double[] asDoubles() {
            ByteBuffer b = le();
            double[] out = new double[(int) size()];
            switch (kind()) {
                case "f4" -> {
                    for (int i = 0; i < out.length; i++) {
                        out[i] = b.getFloat();
                    }
                }
                case "f8" -> b.asDoubleBuffer().get(out);
                default ->
                        throw new IllegalStateException("dtype " + descr + " is not a float dtype");
            }
            return out;
        }

        /** Elements of an integer dtype of at most 32 bits ({@code i1 u1 i2 u2 i4}) as int. */
        public int[] asInts() {
            ByteBuffer b = le();
            int[] out = new int[(int) size()];
            String k = kind();
            for (int i = 0; i < out.length; i++) {
                out[i] =
                        switch (k) {
                            case "i1" -> b.get();
                            case "u1" -> b.get() & 0xFF;
                            case "i2" -> b.getShort();
                            case "u2" -> b.getShort() & 0xFFFF;
                            case "i4" -> b.getInt();
                            default ->
                                    throw new IllegalStateException(
                                            "dtype "
                                                    + descr
                                                    + " is not an integer dtype of <= 32 bits");
                        };
            }
            return out;
        }

        /**
         * Elements of a unicode dtype {@code <U n}, trailing U+0000 padding removed (as NumPy
         * does).
         */
        public List<String> asStrings() {
            String k = kind();
            if (!k.startsWith("U")) {
                throw new IllegalStateException("dtype " + descr + " is not a unicode dtype");
            }
            int width = Integer.parseInt(k.substring(1));
            ByteBuffer b = le();
            List<String> out = new ArrayList<>((int) size());
            for (long i = 0; i < size(); i++) {
                int[] cps = new int[width];
                int len = 0;
                for (int j = 0; j < width; j++) {
                    cps[j] = b.getInt();
                    if (cps[j] != 0) {
                        len = j + 1;
                    }
                }
                out.add(new String(cps, 0, len));
            }
            return out;
        }

        /** The dtype without its byte-order character: {@code f4}, {@code u2}, {@code U64}. */
        public String kind() {
            return descr.substring(1);
        }

        private ByteBuffer le() {
            return ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        }

        @Override
        public String toString() {
            return "Array[" + descr + " " + Arrays.toString(shape) + "]";
        }
    }

    /** Reads one {@code .npy} file. */
    public static Array read(Path npy) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(npy))) {
            return read(in, npy.toString());
        }
    }

    /**
     * Reads every array of an {@code .npz} archive, by name without {@code .npy}, in archive order.
     */
    public static Map<String, Array> readNpz(Path npz) throws IOException {
        Map<String, Array> out = new LinkedHashMap<>();
        try (ZipInputStream zip =
                new ZipInputStream(new BufferedInputStream(Files.newInputStream(npz)))) {
            for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                String name = e.getName();
                if (e.isDirectory()) {
                    continue;
                }
                if (!name.endsWith(".npy")) {
                    throw new IOException(npz + ": entry " + name + " is not a .npy array");
                }
                out.put(name.substring(0, name.length() - 4), read(zip, npz + "!" + name));
            }
        }
        return out;
    }

    /**
     * Reads one array from {@code in}, which is left positioned after it. {@code source} names it
     * in errors.
     */
    public static Array read(InputStream in, String source) throws IOException {
        byte[] preamble = in.readNBytes(8);
        if (preamble.length < 8 || !Arrays.equals(Arrays.copyOf(preamble, 6), NpyWriter.MAGIC)) {
            throw new IOException(source + ": not a .npy file (no \\x93NUMPY magic)");
        }
        int major = preamble[6];
        int headerLength;
        if (major == 1) {
            byte[] len = in.readNBytes(2);
            headerLength = (len[0] & 0xFF) | (len[1] & 0xFF) << 8;
        } else if (major == 2 || major == 3) {
            byte[] len = in.readNBytes(4);
            headerLength = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getInt();
        } else {
            throw new IOException(
                    source + ": unsupported .npy format version " + major + "." + preamble[7]);
        }
        byte[] headerBytes = in.readNBytes(headerLength);
        if (headerBytes.length < headerLength) {
            throw new IOException(source + ": truncated header");
        }
        String header =
                new String(
                        headerBytes,
                        major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        String descr = group(DESCR, header, source, "descr");
        if ("True".equals(group(FORTRAN, header, source, "fortran_order"))) {
            throw new IOException(source + ": Fortran-order arrays are not supported");
        }
        String shapeText = group(SHAPE, header, source, "shape").trim();
        List<Long> dims = new ArrayList<>();
        for (String part : shapeText.split(",")) {
            if (!part.isBlank()) {
                dims.add(Long.parseLong(part.trim()));
            }
        }
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        if (descr.length() < 2 || descr.charAt(0) == '>') {
            throw new IOException(
                    source
                            + ": dtype "
                            + descr
                            + " is not supported (little-endian numeric or unicode only)");
        }
        String kind = descr.substring(1);
        int item =
                switch (kind) {
                    case "f4", "i4" -> 4;
                    case "f8", "i8" -> 8;
                    case "i1", "u1" -> 1;
                    case "i2", "u2" -> 2;
                    default -> {
                        if (kind.matches("U\\d+")) {
                            yield 4 * Integer.parseInt(kind.substring(1));
                        }
                        throw new IOException(source + ": dtype " + descr + " is not supported");
                    }
                };
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        long bytes = Math.multiplyExact(n, item);
        if (bytes > Integer.MAX_VALUE - 8) {
            throw new IOException(
                    source + ": array of " + bytes + " bytes is too large for this reader");
        }
        byte[] data = in.readNBytes((int) bytes);
        if (data.length < bytes) {
            throw new IOException(
                    source + ": truncated data, " + data.length + " of " + bytes + " bytes");
        }
        return new Array(descr, shape, data);
    }

    private static String group(Pattern p, String header, String source, String key)
            throws IOException {
        Matcher m = p.matcher(header);
        if (!m.find()) {
            throw new IOException(source + ": header has no '" + key + "': " + header.strip());
        }
        return m.group(1);
    }
}
