package io.fmstream.data.wfdb;

import java.nio.file.Path;

/**
 * A WFDB file (header, signal, annotation or label file) could not be read or is malformed.
 *
 * <p>Unchecked, like the other core exceptions ({@code BundleException}): a bad recording is a data
 * error the caller reports, not something it can usually retry. The message always starts with the
 * file concerned, and the line number for text files, e.g. {@code /data/mitdb/100.hea:3: signal 0:
 * ADC gain "abc" is not a number}, so a log line alone says where to look.
 */
public class WfdbException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String file;
    private final int line;
    private final String reason;

    /** A problem with a whole file (missing, too short, unsupported format). */
    public WfdbException(Path file, String reason) {
        this(String.valueOf(file), 0, reason, null);
    }

    /**
     * A problem with a whole file, caused by {@code cause} (typically an {@link
     * java.io.IOException}).
     */
    public WfdbException(Path file, String reason, Throwable cause) {
        this(String.valueOf(file), 0, reason, cause);
    }

    /** A problem on one line (1-based) of a text file. */
    public WfdbException(String file, int line, String reason) {
        this(file, line, reason, null);
    }

    public WfdbException(String file, int line, String reason, Throwable cause) {
        super(format(file, line, reason), cause);
        this.file = file;
        this.line = line;
        this.reason = reason;
    }

    private static String format(String file, int line, String reason) {
        return file + (line > 0 ? ":" + line : "") + ": " + reason;
    }

    /** The file concerned, as given (a path, or a source name for parsed text). */
    public String file() {
        return file;
    }

    /** The 1-based line number in {@link #file()}, or 0 when the problem is not tied to a line. */
    public int line() {
        return line;
    }

    /** Why, without the file name. */
    public String reason() {
        return reason;
    }
}
