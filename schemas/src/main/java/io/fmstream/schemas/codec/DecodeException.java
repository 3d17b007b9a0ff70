package io.fmstream.schemas.codec;

/** A value that cannot be decoded, with the reason class a dead letter needs. */
public final class DecodeException extends Exception {

    /** Why decoding failed. */
    public enum Kind {
        /** Not single-object encoded, truncated, or a body that does not parse. */
        UNDECODABLE,
        /** Single-object header is fine, but the fingerprint names no published schema. */
        UNKNOWN_SCHEMA
    }

    private final Kind kind;

    public DecodeException(Kind kind, String detail) {
        super(detail);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
