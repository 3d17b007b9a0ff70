package io.fmstream.core.window;

/**
 * Why a device's stream started a new segment. The previous segment's open windows are closed under
 * the usual rules (gap-filled or dropped) and the new segment is anchored afresh on the chunk that
 * started it; see {@link DeviceWindowAssembler}.
 */
public enum SegmentCause {
    /** The sample index went back while the timestamp did not agree: the device restarted. */
    REBOOT,
    /** The sample rate changed. */
    RATE_CHANGE,
    /**
     * The index continues but the timestamp disagrees with it by more than the clock tolerance
     * (forward or backward): the device corrected its clock.
     */
    CLOCK_JUMP,
    /**
     * The chunk starts more than the maximum gap after the device's newest data: a new recording,
     * not a hole to fill sample by sample.
     */
    LONG_GAP,
    /**
     * The device's previous recording ended (a chunk flagged end-of-recording was consumed) and a
     * chunk that is not a resend of it arrived: the next recording.
     */
    NEW_RECORDING,
    /**
     * The job was restored under another window geometry (hop, window length or model rate) than
     * the device's state was built under: its open windows cannot complete on the new grid, so they
     * are dropped with any chunks waiting behind a gap, and the device starts afresh at its next
     * chunk, after the last window the old geometry closed.
     */
    GEOMETRY_CHANGE
}
