package io.fmstream.core.window;

/** What the assembler did with an offered chunk. */
public enum ChunkOutcome {
    /** Consumed: its samples are in the device's windows. */
    ACCEPTED,
    /** Kept: it follows a gap and waits until the gap fills or its lateness expires. */
    PENDING,
    /** An exact resend of a chunk already accepted: dropped and counted, not a dead letter. */
    DUPLICATE,
    /** Overlaps accepted samples with different content: a dead letter. */
    OVERLAP,
    /**
     * Falls where the device's stream was already closed (gap expired or windows emitted): a dead
     * letter.
     */
    LATE,
    /**
     * Disagrees with the device's stream: another sample rate, or a timestamp that contradicts its
     * index.
     */
    INCONSISTENT
}
