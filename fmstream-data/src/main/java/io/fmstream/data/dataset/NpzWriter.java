package io.fmstream.data.dataset;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashSet;
import java.util.Set;
import java.util.zip.CRC32;
import java.util.zip.CheckedOutputStream;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes a NumPy {@code .npz} archive: a zip file with one {@code name.npy} entry per array, what
 * {@code numpy.savez} (stored) and {@code numpy.savez_compressed} (deflated) write and {@code
 * numpy.load} reads. Each array is streamed into the archive from the caller's Java arrays.
 *
 * <p>The archive is written to {@code <target>.partial} and only renamed to the target by {@link
 * #finish()}, so a failed or interrupted run never leaves a truncated file under the final name (a
 * training run that picks it up would fail far from the cause, or worse, not fail). {@link
 * #close()} without {@link #finish()} deletes the partial file. Not thread-safe.
 */
public final class NpzWriter implements Closeable {

    /**
     * Entry time stamp: fixed, so the same arrays give the same bytes (the zip format cannot hold a
     * time before 1980; this is 1980-01-01 plus a day, clear of time-zone underflow).
     */
    private static final long ENTRY_TIME_MILLIS = 315_619_200_000L;

    private final Path target;
    private final Path partial;
    private final boolean compressed;
    private final ZipOutputStream zip;
    private final Set<String> names = new HashSet<>();
    private boolean finished;
    private boolean closed;

    /**
     * Starts an archive that will become {@code target}.
     *
     * @param compressed deflate the entries (smaller, slower: float ECG windows shrink little)
     *     instead of storing them
     */
    public NpzWriter(Path target, boolean compressed) throws IOException {
        this.target = target.toAbsolutePath();
        this.partial = this.target.resolveSibling(this.target.getFileName() + ".partial");
        this.compressed = compressed;
        this.zip =
                new ZipOutputStream(
                        new BufferedOutputStream(
                                Files.newOutputStream(partial), NpyArray.BUFFER_BYTES));
        if (compressed) {
            zip.setLevel(Deflater.BEST_SPEED);
        }
    }

    /** The file {@link #finish()} creates. */
    public Path target() {
        return target;
    }

    /**
     * Adds {@code array} as entry {@code name + ".npy"} ({@code numpy.load(...)[name]}).
     *
     * @throws IllegalArgumentException for an empty, duplicate or path-like name
     */
    public NpzWriter add(String name, NpyArray array) throws IOException {
        if (finished || closed) {
            throw new IllegalStateException(
                    "archive " + target + " is already " + (finished ? "finished" : "closed"));
        }
        if (name == null || name.isEmpty() || name.contains("/") || name.contains("\\")) {
            throw new IllegalArgumentException("bad array name \"" + name + "\"");
        }
        if (!names.add(name)) {
            throw new IllegalArgumentException("array \"" + name + "\" added twice to " + target);
        }
        byte[] header = NpyWriter.header(array.descr(), array.shape());
        ZipEntry entry = new ZipEntry(name + ".npy");
        entry.setTime(ENTRY_TIME_MILLIS);
        if (compressed) {
            entry.setMethod(ZipEntry.DEFLATED);
        } else {
            // A stored entry needs its size and CRC before its data: compute the CRC with a first
            // pass over the arrays into a checksum-only stream, which costs time, not memory.
            CRC32 crc = new CRC32();
            try (CheckedOutputStream sink =
                    new CheckedOutputStream(OutputStream.nullOutputStream(), crc)) {
                sink.write(header);
                array.writeData(sink);
            }
            long size = header.length + array.dataBytes();
            entry.setMethod(ZipEntry.STORED);
            entry.setSize(size);
            entry.setCompressedSize(size);
            entry.setCrc(crc.getValue());
        }
        zip.putNextEntry(entry);
        zip.write(header);
        array.writeData(zip);
        zip.closeEntry();
        return this;
    }

    /** Completes the archive and moves it to the target, replacing any file there. */
    public Path finish() throws IOException {
        if (finished || closed) {
            throw new IllegalStateException(
                    "archive " + target + " is already " + (finished ? "finished" : "closed"));
        }
        zip.close();
        finished = true;
        Files.move(
                partial,
                target,
                StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
        return target;
    }

    /**
     * Abandons an unfinished archive (deleting its partial file); after {@link #finish()} does
     * nothing.
     */
    @Override
    public void close() throws IOException {
        if (finished || closed) {
            return;
        }
        closed = true;
        IOException failure = null;
        try {
            zip.close();
        } catch (IOException e) {
            failure = e;
        }
        try {
            Files.deleteIfExists(partial);
        } catch (IOException e) {
            if (failure == null) {
                failure = e;
            } else {
                failure.addSuppressed(e);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Convenience: an archive of the given arrays, in order, finished. */
    public static Path write(
            Path target, boolean compressed, java.util.Map<String, NpyArray> arrays) {
        try (NpzWriter w = new NpzWriter(target, compressed)) {
            for (var e : arrays.entrySet()) {
                w.add(e.getKey(), e.getValue());
            }
            return w.finish();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target, e);
        }
    }
}
