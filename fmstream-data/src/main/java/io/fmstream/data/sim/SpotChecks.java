package io.fmstream.data.sim;

/**
 * A device that records only now and then (a spot-check recorder, a phone app measuring on demand):
 * recordings of {@code lengthChunks} chunks every {@code periodChunks} chunks, the first starting
 * at chunk {@code offsetChunks}. Each recording's stream index starts at 0 and its last chunk
 * carries {@code endOfRecording}; nothing is sent between recordings.
 */
public record SpotChecks(long periodChunks, long lengthChunks, long offsetChunks) {

    public SpotChecks {
        if (lengthChunks < 1 || periodChunks <= lengthChunks || offsetChunks < 0) {
            throw new IllegalArgumentException(
                    "need 1 <= length < period and offset >= 0, got period "
                            + periodChunks
                            + ", length "
                            + lengthChunks
                            + ", offset "
                            + offsetChunks);
        }
    }

    /**
     * Spot checks of 30-60 s every 2-5 minutes, drawn from {@code seed}, for chunks of {@code
     * chunkSeconds}.
     */
    public static SpotChecks draw(long seed, double chunkSeconds) {
        long key = CounterRng.derive(seed, 0x5B07L);
        long length = Math.max(1, Math.round(CounterRng.uniform(key, 0, 30, 60) / chunkSeconds));
        long period = Math.round(CounterRng.uniform(key, 1, 120, 300) / chunkSeconds);
        long offset = Math.round(CounterRng.uniform(key, 2, 0, 60) / chunkSeconds);
        return new SpotChecks(Math.max(period, length + 1), length, offset);
    }

    /** Position of chunk {@code k} within its period, or -1 before the first recording. */
    long phase(long k) {
        return k < offsetChunks ? -1 : (k - offsetChunks) % periodChunks;
    }

    /** Whether chunk {@code k} is recorded (and so sent). */
    public boolean recorded(long k) {
        long p = phase(k);
        return p >= 0 && p < lengthChunks;
    }

    /** Whether chunk {@code k} is the last of its recording. */
    public boolean last(long k) {
        return phase(k) == lengthChunks - 1;
    }

    /** The first chunk of the recording chunk {@code k} belongs to. */
    public long recordingStart(long k) {
        return k - phase(k);
    }
}
