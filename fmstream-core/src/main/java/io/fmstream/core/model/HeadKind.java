package io.fmstream.core.model;

import java.util.Locale;

/**
 * What a downstream head produces: class probabilities over named labels, or one value in a stated
 * unit. Spelled in lower case in {@code manifest.json}.
 *
 * <p>Deliberately separate from the wire enum {@code io.fmstream.schemas.HeadKind} (which has an
 * extra {@code UNKNOWN} for Avro evolution): map with {@code HeadKind.valueOf(kind.name())}.
 */
public enum HeadKind {
    CLASSIFICATION,
    REGRESSION;

    /** The spelling used in manifest.json. */
    public String manifestName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses the manifest spelling; {@code null} when the text is not a known kind. */
    static HeadKind fromManifestName(String text) {
        for (HeadKind kind : values()) {
            if (kind.manifestName().equals(text)) {
                return kind;
            }
        }
        return null;
    }
}
