package io.fmstream.core.window;

import io.fmstream.core.signal.StreamingResampler;

/**
 * Everything the assembler remembers about one device, stored as one value in Flink keyed state and
 * written back with {@code update()} after every change (so it behaves the same on the heap and
 * RocksDB backends).
 *
 * <p>A Flink POJO: public fields of primitive, array and POJO types only, so no Kryo is involved
 * and fields can be added later without breaking savepoints. The arrays are bounded: the window
 * buffer holds one window, the resampler history a few dozen samples, the recent-chunk ring a fixed
 * number of entries, and pending chunks only exist while a gap waits for its lateness.
 */
public class DeviceStreamState {
    public String deviceId;
    public double sampleRateHz;

    /** Device time of stream index 0, microseconds since the epoch. */
    public long anchorMicros;

    public StreamingResampler.State resampler;

    /** Index k of the next window to emit. */
    public long nextWindow;

    /** Model-rate samples of window {@code nextWindow}; NaN where missing or not yet seen. */
    public float[] windowBuffer;

    /** Highest Kafka append time among the chunks consumed so far, ms. */
    public long newestAppendTimeMillis;

    /** Chunks received ahead of a gap, sorted by first index, waiting for it to fill or expire. */
    public PendingChunk[] pending = new PendingChunk[0];

    /**
     * The 0.1 release kept pending chunks in six parallel arrays. They are read only when a state
     * written by that release is restored, and moved into {@link #pending} on first use ({@link
     * #migrateLegacyPending}); afterwards they stay empty.
     */
    public long[] pendingIndex = new long[0];

    public byte[][] pendingSamples = new byte[0][];
    public double[] pendingGain = new double[0];
    public int[] pendingBaseline = new int[0];
    public long[] pendingAppendMillis = new long[0];
    public long[] pendingHash = new long[0];

    /**
     * Ring of recently accepted chunks (first index, length, content hash) for resend detection.
     */
    public long[] recentIndex;

    public int[] recentLength;
    public long[] recentHash;
    public int recentNext;

    /**
     * Which {@link ContentHash} function made the hashes in {@link #recentHash} and the pending
     * chunks: {@link ContentHash#XXH64} in states this release starts, 0 ({@link
     * ContentHash#FNV1A}) in a state restored from a release before it, which keeps it until the
     * device's next segment so that a resend across the upgrade is still recognised.
     */
    public int hashVersion;

    /** Device time of the current segment's first sample, microseconds since the epoch. */
    public long segmentStartMicros;

    /**
     * Anchor and rate of the previous segment (rate 0 = none), so that its chunks delivered after a
     * new segment started are recognised as late rather than as yet another segment.
     */
    public long previousAnchorMicros;

    public double previousSampleRateHz;

    /**
     * End (exclusive stream index) of what the previous segment consumed, or null: none yet, or a
     * state written before it was recorded (up to f6a8107), where the previous segment's chunks are
     * told by their timestamps alone, as then. Tells whether the device's index ran on into the
     * current segment (a long silence, a clock jump) or went back (a reboot), see {@link
     * DeviceWindowAssembler}.
     */
    public Long previousEndIndex;

    /**
     * End (exclusive stream index) of the current segment's recording once its end-of-recording
     * chunk has arrived; 0 while the recording goes on. The windows close when the stream head
     * reaches it, and the state stays (for resend detection) until the idle timeout.
     */
    public long recordingEnd;

    /** True once the recording that ends at {@link #recordingEnd} has been closed. */
    public boolean recordingClosed;

    /**
     * Indices of windows already emitted ahead of a gap (sorted), which the in-order path skips
     * when it reaches them.
     */
    public long[] emittedAhead = new long[0];

    /**
     * Windows emitted for the current segment, and the span from the first's start to the last's
     * end.
     */
    public int segmentWindows;

    public long segmentFirstWindowMicros;
    public long segmentLastWindowEndMicros;

    /**
     * The chunks the current segment has consumed while it has neither emitted nor dropped a
     * window, in stream order; null once it has (or in a state restored from 0.1). A chunk that
     * precedes the segment's first one (overtaken on its way, e.g. across partitions) can then
     * still re-anchor the segment on itself, because nothing has been decided yet. Bounded by one
     * window's worth of input and by the pending-chunk limit.
     */
    public PendingChunk[] opening;

    /** Windows before this index were closed by an earlier segment (Long.MIN_VALUE: none). */
    public long segmentClosedBefore;

    /**
     * The phase of the current segment's window grid in model-rate samples ({@link
     * WindowSpec#phaseSamples}), fixed when the segment began: a device's open windows stay on the
     * grid they started on whatever phase a restored job is configured with, and a segment started
     * later takes the configured one. Null in a state written before grids were recorded (0.1 and
     * builds up to a0c3fe0): the assembler then takes the grid that job ran with (its {@code
     * unrecordedPhase}) and records it.
     */
    public Integer gridPhase;

    /**
     * The window geometry the state was built under: the model rate (Hz), and the window and hop in
     * samples at that rate. {@link #nextWindow} counts hops since the epoch and {@link
     * #windowBuffer} is one window long, so both mean something only under the geometry that wrote
     * them: a job restored with another hop (fmstream.window.hop) or a bundle of another window or
     * rate dropped every sample, closed windows one by one for hours, or overran the buffer. Null
     * in a state written before it was recorded: taken to be the restoring job's.
     */
    public Double gridModelRateHz;

    public Integer gridWindowSamples;

    public Integer gridHopSamples;

    /**
     * How far the device's timestamps run from the time its sample index implies, microseconds,
     * smoothed over its in-order chunks: a sample clock that drifts against a synchronised
     * timestamp clock (tens of ppm on real devices) shows here, and the assembler follows it by
     * slipping the anchor one input sample at a time ({@link DeviceWindowAssembler}). 0 in a state
     * written before it was kept.
     */
    public double clockOffsetMicros;

    /**
     * The sum of those slips since the current segment began, microseconds: the segment's anchor is
     * its first chunk's plus this, so its first sample's index is still found from its start time.
     * 0 in a state written before it was kept.
     */
    public long clockSlipMicros;

    public DeviceStreamState() {}

    public int pendingCount() {
        return pending.length;
    }

    /** Moves pending chunks of a state restored from the 0.1 release into {@link #pending}. */
    void migrateLegacyPending() {
        if (pendingIndex == null || pendingIndex.length == 0) {
            return;
        }
        PendingChunk[] moved = new PendingChunk[pending.length + pendingIndex.length];
        System.arraycopy(pending, 0, moved, 0, pending.length);
        for (int i = 0; i < pendingIndex.length; i++) {
            moved[pending.length + i] =
                    new PendingChunk(
                            pendingIndex[i],
                            pendingSamples[i],
                            pendingGain[i],
                            pendingBaseline[i],
                            pendingAppendMillis[i],
                            pendingHash[i]);
        }
        java.util.Arrays.sort(moved, java.util.Comparator.comparingLong(c -> c.index));
        pending = moved;
        pendingIndex = new long[0];
        pendingSamples = new byte[0][];
        pendingGain = new double[0];
        pendingBaseline = new int[0];
        pendingAppendMillis = new long[0];
        pendingHash = new long[0];
    }
}
