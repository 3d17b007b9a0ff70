package io.fmstream.core.window;

import io.fmstream.core.records.WindowRecord;

/** Receives what the assembler decides about each window. */
public interface WindowListener {

    /** A window complete enough to embed. The record is new; the listener may keep it. */
    void emitted(WindowRecord window);

    /** A window that had data but missed more than the allowed fraction: counted, not embedded. */
    void droppedIncomplete(String deviceId, long windowStartMicros, float missingFraction);
}
