package io.fmstream.local;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the heap left after the latest garbage collection from a JVM's unified GC log ({@code
 * -Xlog:gc}), e.g. {@code GC(12) Pause Young (Normal) (G1 Evacuation Pause) 150M->60M(512M)
 * 3.456ms}: the {@code 60M}.
 *
 * <p>Why the log and not a metric: heap in use, which Flink reports, is a saw-tooth between
 * collections, so whether a process leaks shows only in what survives a collection; the JVM's
 * memory-pool beans update their after-collection figure for G1's old generation only on mixed and
 * full collections, while every pause line of the log carries it.
 */
public final class GcLog {

    /** {@code before->after(committed)} of a pause line, with the unit G1 chose for each. */
    private static final Pattern PAUSE =
            Pattern.compile(
                    "Pause"
                        + " .*?(\\d+(?:\\.\\d+)?)([BKMG])->(\\d+(?:\\.\\d+)?)([BKMG])\\((\\d+(?:\\.\\d+)?)([BKMG])\\)");

    /** Bytes read from the end of the file: many pause lines, whatever the file's size. */
    private static final int TAIL_BYTES = 64 * 1024;

    private GcLog() {}

    /**
     * The JVM option that writes {@code file}: pause lines only ({@code gc} at info), with the
     * uptime, rotated by the JVM (5 files of 20 MB).
     */
    public static String option(Path file) {
        return "-Xlog:gc:file=" + file + ":uptime,level,tags:filecount=5,filesize=20M";
    }

    /**
     * Megabytes of heap after the last collecting pause in {@code text} (young, mixed or full; not
     * G1's Remark and Cleanup pauses, which collect nothing and show the heap mid-marking); empty
     * when there is none.
     */
    public static OptionalDouble lastHeapAfterMb(CharSequence text) {
        return lastAfter(text, false);
    }

    /**
     * Megabytes of heap after the last pause in {@code text} that collected the old generation
     * (G1's mixed and full pauses); empty when there is none. After a young pause the heap still
     * holds the old generation's garbage, which piles up until the next marking cycle, so that
     * figure climbs for minutes and drops; after an old-generation collection it is close to what
     * is live, the figure a leak raises. It is only as recent as that collection.
     */
    public static OptionalDouble lastLiveHeapMb(CharSequence text) {
        return lastAfter(text, true);
    }

    private static OptionalDouble lastAfter(CharSequence text, boolean oldGenerationOnly) {
        Matcher m = PAUSE.matcher(text);
        double after = Double.NaN;
        while (m.find()) {
            String pause = m.group();
            boolean collecting = pause.startsWith("Pause Young") || pause.startsWith("Pause Full");
            if (collecting
                    && (!oldGenerationOnly
                            || pause.startsWith("Pause Young (Mixed)")
                            || pause.startsWith("Pause Full"))) {
                after = megabytes(m.group(3), m.group(4));
            }
        }
        return Double.isNaN(after) ? OptionalDouble.empty() : OptionalDouble.of(after);
    }

    /**
     * Megabytes of heap after the last pause logged in {@code file}; empty when the file is missing
     * or holds no pause yet (a JVM just started).
     */
    public static OptionalDouble lastHeapAfterMb(Path file) {
        return lastHeapAfterMb(tail(file));
    }

    /** {@link #lastLiveHeapMb(CharSequence)} of the end of {@code file}. */
    public static OptionalDouble lastLiveHeapMb(Path file) {
        return lastLiveHeapMb(tail(file));
    }

    /**
     * The end of {@code file} (its last 64 KB: many pause lines), for the text readers above when
     * both figures are wanted from one read; empty when it is missing or unreadable.
     */
    public static String tail(Path file) {
        if (!Files.isRegularFile(file)) {
            return "";
        }
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long from = Math.max(0, f.length() - TAIL_BYTES);
            byte[] tail = new byte[(int) (f.length() - from)];
            f.seek(from);
            f.readFully(tail);
            return new String(tail, StandardCharsets.UTF_8);
        } catch (IOException e) {
            // Rotated or removed between the check and the read: nothing to report this time.
            return "";
        }
    }

    private static double megabytes(String value, String unit) {
        double v = Double.parseDouble(value);
        switch (unit) {
            case "B":
                return v / (1024.0 * 1024.0);
            case "K":
                return v / 1024.0;
            case "G":
                return v * 1024.0;
            default:
                return v;
        }
    }
}
