package io.fmstream.core.window;

import java.util.Objects;

/**
 * What the assembler did with one offered chunk and, for a chunk it refuses, why: the detail is the
 * dead letter's explanation, returned with the outcome so that nothing has to be read back from the
 * assembler afterwards.
 */
public record Offer(ChunkOutcome outcome, String detail) {

    static final Offer ACCEPTED = new Offer(ChunkOutcome.ACCEPTED, "");
    static final Offer PENDING = new Offer(ChunkOutcome.PENDING, "");

    public Offer {
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(detail, "detail");
    }

    static Offer of(ChunkOutcome outcome, String detail) {
        return new Offer(outcome, detail);
    }

    /** True when the chunk's samples are (or will be) in the device's windows. */
    public boolean taken() {
        return outcome == ChunkOutcome.ACCEPTED || outcome == ChunkOutcome.PENDING;
    }
}
