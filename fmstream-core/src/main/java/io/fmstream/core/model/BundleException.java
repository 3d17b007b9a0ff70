package io.fmstream.core.model;

/**
 * A model bundle was refused. The message always starts with the bundle file concerned and the
 * reason, e.g. {@code heads/rhythm.onnx: sha256 mismatch: manifest says ab12..., file is cd34...},
 * followed by the bundle's location when known.
 */
public class BundleException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String file;
    private final String reason;
    private final String location;

    public BundleException(String file, String reason) {
        this(file, reason, null, null);
    }

    public BundleException(String file, String reason, String location) {
        this(file, reason, location, null);
    }

    public BundleException(String file, String reason, String location, Throwable cause) {
        super(format(file, reason, location), cause);
        this.file = file;
        this.reason = reason;
        this.location = location;
    }

    private static String format(String file, String reason, String location) {
        return file + ": " + reason + (location == null ? "" : " [bundle " + location + "]");
    }

    /**
     * The bundle-relative file that was refused, e.g. {@code manifest.json} or {@code
     * encoder.onnx}.
     */
    public String file() {
        return file;
    }

    /** Why it was refused, without the file name. */
    public String reason() {
        return reason;
    }

    /** The bundle's location ({@link BundleFiles#describe()}), or {@code null} when unknown. */
    public String location() {
        return location;
    }
}
