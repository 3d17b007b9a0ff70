package io.fmstream.core.model;

import java.util.Locale;

/**
 * How a head's file is stored and evaluated. Spelled in lower case in {@code manifest.json} ({@code
 * "format"}); a head without the field is {@link #ONNX}, so bundles written before the field
 * existed parse unchanged.
 */
public enum HeadFormat {
    /** An ONNX model run by ONNX Runtime; the manifest names its input and output tensors. */
    ONNX,
    /**
     * A single linear layer in a small JSON file ({@link LinearHead}), evaluated in plain Java: one
     * matrix multiply per batch, no ONNX Runtime call and no tensor names.
     */
    LINEAR;

    /** The spelling used in manifest.json. */
    public String manifestName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses the manifest spelling; {@code null} when the text is not a known format. */
    static HeadFormat fromManifestName(String text) {
        for (HeadFormat format : values()) {
            if (format.manifestName().equals(text)) {
                return format;
            }
        }
        return null;
    }
}
