package io.fmstream.core.window;

import io.fmstream.core.records.WindowRecord;

/** Receives what the assembler decides about each window. */
public interface WindowListener {

    /** A window complete enough to embed. The record is new; the listener may keep it. */
    void emitted(WindowRecord window);

    /** A window that had data but missed more than the allowed fraction: counted, not embedded. */
    void droppedIncomplete(String deviceId, long windowStartMicros, float missingFraction);

    /**
     * The device's stream started a new segment. {@code skippedWindows} windows of the new segment
     * lie at or before a window the device already closed (a backward clock jump or a reboot onto
     * an earlier clock) and are never emitted, so no two outputs share a window's idempotency key.
     */
    default void segmentStarted(String deviceId, SegmentCause cause, long skippedWindows) {}

    /**
     * More windows of the current segment are skipped, as at its start: a chunk that preceded the
     * segment's first one re-anchored it earlier, over windows the device already closed.
     */
    default void windowsSkipped(String deviceId, long skippedWindows) {}

    /**
     * The device's recording closed on its end-of-recording chunk, after its last windows were
     * emitted or dropped: {@code end.windows} windows were emitted for it in all.
     */
    default void recordingClosed(io.fmstream.core.records.RecordingEnd end) {}

    /**
     * The device's sample clock drifted against its timestamps and its stream's anchor moved by
     * {@code micros} (one input sample) to follow them: no segment, nothing dropped.
     */
    default void clockSlipped(String deviceId, long micros) {}
}
