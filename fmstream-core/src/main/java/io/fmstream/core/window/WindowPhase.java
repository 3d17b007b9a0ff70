package io.fmstream.core.window;

/**
 * Where a device's windows sit on the time axis ({@code fmstream.window.phase}).
 *
 * <p>{@link #EPOCH}: every device's windows are {@code [k * hop, k * hop + length)}, so the whole
 * fleet's windows end at the same instants and reach the encoder as one burst per hop. {@link
 * #DEVICE}: each device's grid is shifted by its own phase, {@code [k * hop + phase, k * hop +
 * phase + length)}, a whole number of model-rate samples in {@code [0, hop)} that depends on the
 * device id alone (see {@link WindowSpec#phaseSamples}), so the fleet's windows close spread evenly
 * over the hop and the encoder sees a steady stream instead of a burst. The windows themselves
 * (length, hop, samples, completeness rules) are the same; only their start times differ.
 *
 * <p>A device records the phase of its grid in its state for each segment ({@link
 * DeviceStreamState#gridPhase}), so a job restored with another phase configured finishes the open
 * windows where they began and moves each device at its next segment.
 */
public enum WindowPhase {
    /** All devices on the epoch grid (the contract of 0.1, and its default). */
    EPOCH,
    /** Each device on the epoch grid shifted by a phase derived from its id (the job's default). */
    DEVICE
}
