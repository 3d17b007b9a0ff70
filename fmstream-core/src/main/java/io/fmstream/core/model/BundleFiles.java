package io.fmstream.core.model;

import java.io.IOException;

/**
 * Read access to the files of one model bundle, addressed by the relative paths that {@code
 * manifest.json} uses (forward slashes, e.g. {@code heads/rhythm.onnx}).
 *
 * <p>Kept minimal so that a bundle can live anywhere: {@link LocalBundleFiles} reads a local
 * directory, and the Flink job supplies one over Flink's FileSystem (S3, HDFS, ...).
 */
public interface BundleFiles {

    /**
     * Reads one whole file.
     *
     * @param relativePath path inside the bundle, as written in the manifest
     * @throws IOException when the file is missing or unreadable
     */
    byte[] read(String relativePath) throws IOException;

    /** Where the bundle lives, for log and error messages (e.g. a directory or URI). */
    String describe();
}
