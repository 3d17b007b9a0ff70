package io.fmstream.core.model;

/**
 * ONNX Runtime failed while running a model that loaded and passed the bundle checks (or returned a
 * tensor of unexpected shape). Unchecked so that callers on the streaming hot path do not have to
 * handle ONNX Runtime's checked exception type; the cause carries ONNX Runtime's error.
 */
public class InferenceException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public InferenceException(String message) {
        super(message);
    }

    public InferenceException(String message, Throwable cause) {
        super(message, cause);
    }
}
