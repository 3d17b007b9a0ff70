package io.fmstream.core.signal;

/** Decodes the wire's int16 little-endian samples to physical units without boxing. */
public final class Int16Samples {

    private Int16Samples() {}

    public static short at(byte[] raw, int i) {
        return (short) ((raw[2 * i] & 0xff) | (raw[2 * i + 1] << 8));
    }

    /** Sample {@code i} of the samples starting at byte {@code offset} of {@code raw}. */
    public static short at(byte[] raw, int offset, int i) {
        return (short) ((raw[offset + 2 * i] & 0xff) | (raw[offset + 2 * i + 1] << 8));
    }

    /** physical = (raw - baseline) / gain, written to {@code out[0 .. raw.length/2)}. */
    public static void toPhysical(byte[] raw, double gain, int baseline, float[] out) {
        toPhysical(raw, 0, raw.length / 2, gain, baseline, out);
    }

    /**
     * physical = (raw - baseline) / gain for the {@code count} samples starting at byte {@code
     * offset} of {@code raw}, written to {@code out[0 .. count)}.
     */
    public static void toPhysical(
            byte[] raw, int offset, int count, double gain, int baseline, float[] out) {
        double inv = 1.0 / gain;
        for (int i = 0; i < count; i++) {
            // In long: an int difference wrapped for a baseline near Integer.MIN_VALUE
            out[i] = (float) (((long) at(raw, offset, i) - baseline) * inv);
        }
    }

    /** Encodes samples as int16 little-endian. */
    public static byte[] encode(short[] samples) {
        byte[] raw = new byte[samples.length * 2];
        for (int i = 0; i < samples.length; i++) {
            raw[2 * i] = (byte) samples[i];
            raw[2 * i + 1] = (byte) (samples[i] >> 8);
        }
        return raw;
    }
}
