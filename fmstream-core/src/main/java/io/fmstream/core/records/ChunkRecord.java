package io.fmstream.core.records;

/** A decoded, validated sensor chunk: the unit of input to the window assembler. */
public class ChunkRecord {
    public String deviceId;
    public double sampleRateHz;
    public long firstSampleTimeMicros;
    public long firstSampleIndex;

    /** int16 little-endian, exactly as on the wire. */
    public byte[] samples;

    public double gain;
    public int baseline;
    public SourceRef source;

    /** The last chunk of a recording: the device's windows close once it is consumed. */
    public boolean endOfRecording;

    public ChunkRecord() {}

    public int sampleCount() {
        return samples.length / 2;
    }

    /** Device time just after the last sample, microseconds. */
    public long endTimeMicros() {
        return firstSampleTimeMicros + Math.round(sampleCount() * 1e6 / sampleRateHz);
    }
}
