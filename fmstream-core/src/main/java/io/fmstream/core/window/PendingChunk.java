package io.fmstream.core.window;

/**
 * A chunk held behind a gap of its device's stream until the gap fills or expires. A Flink POJO
 * (kept in keyed state inside {@link DeviceStreamState}).
 */
public class PendingChunk {
    /** Stream index of the first sample. */
    public long index;

    /** Raw int16 little-endian samples, as received. */
    public byte[] samples;

    public double gain;
    public int baseline;

    /** Kafka append time of the chunk, ms. */
    public long appendMillis;

    /** Content hash for resend detection. */
    public long hash;

    public PendingChunk() {}

    PendingChunk(
            long index, byte[] samples, double gain, int baseline, long appendMillis, long hash) {
        this.index = index;
        this.samples = samples;
        this.gain = gain;
        this.baseline = baseline;
        this.appendMillis = appendMillis;
        this.hash = hash;
    }

    int count() {
        return samples.length / 2;
    }

    /** Stream index after the last sample. */
    long end() {
        return index + count();
    }
}
