package io.fmstream.core.records;

/** A decoded, validated sensor chunk: the unit of input to the window assembler. */
public class ChunkRecord {
    public String deviceId;
    public double sampleRateHz;
    public long firstSampleTimeMicros;
    public long firstSampleIndex;

    /**
     * int16 little-endian, exactly as on the wire; or null when the samples are read in place from
     * {@code source.payload} ({@link #samplesOffset}, {@link #samplesLength}). Read them through
     * {@link #sampleArray()}, {@link #sampleOffset()} and {@link #sampleByteCount()}, which cover
     * both.
     */
    public byte[] samples;

    /**
     * Where the samples start in {@code source.payload} when {@link #samples} is null. Why: the job
     * keeps each chunk's original payload for dead letters, and the samples are most of it; read in
     * place, they cross the network to the assembler once instead of twice (as a copy and inside
     * the payload).
     */
    public int samplesOffset;

    /** Bytes of samples in {@code source.payload} when {@link #samples} is null. */
    public int samplesLength;

    public double gain;
    public int baseline;
    public SourceRef source;

    /** The last chunk of a recording: the device's windows close once it is consumed. */
    public boolean endOfRecording;

    public ChunkRecord() {}

    public int sampleCount() {
        return sampleByteCount() / 2;
    }

    /** The array holding the samples: {@link #samples}, or the payload they are read from. */
    public byte[] sampleArray() {
        return samples != null ? samples : source.payload;
    }

    /** Where the samples start in {@link #sampleArray()}. */
    public int sampleOffset() {
        return samples != null ? 0 : samplesOffset;
    }

    /** Bytes of samples (two per sample). */
    public int sampleByteCount() {
        return samples != null ? samples.length : samplesLength;
    }

    /** Device time just after the last sample, microseconds. */
    public long endTimeMicros() {
        return firstSampleTimeMicros + Math.round(sampleCount() * 1e6 / sampleRateHz);
    }
}
