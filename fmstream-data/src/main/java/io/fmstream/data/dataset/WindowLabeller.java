package io.fmstream.data.dataset;

/**
 * Gives the labels of a device's window {@code [startMicros, endMicros)} (device time, epoch
 * microseconds) when the assembler emits it: the simulator's ground truth, a record's annotations
 * or reference label, or nothing.
 */
@FunctionalInterface
public interface WindowLabeller {

    /** A labeller that knows nothing. */
    WindowLabeller NONE = (startMicros, endMicros) -> WindowLabels.UNKNOWN;

    WindowLabels label(long windowStartMicros, long windowEndMicros);
}
