package io.fmstream.core.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/** {@link BundleFiles} over a directory of the local file system. */
public final class LocalBundleFiles implements BundleFiles {

    private final Path root;

    public LocalBundleFiles(Path directory) {
        this.root = Objects.requireNonNull(directory, "directory").toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    @Override
    public byte[] read(String relativePath) throws IOException {
        Objects.requireNonNull(relativePath, "relativePath");
        Path resolved = root.resolve(relativePath).normalize();
        // The manifest names the files; a crafted "../../x" must not read outside the bundle.
        if (!resolved.startsWith(root) || resolved.equals(root)) {
            throw new IOException(relativePath + ": path leaves the bundle directory " + root);
        }
        return Files.readAllBytes(resolved);
    }

    @Override
    public String describe() {
        return root.toString();
    }

    @Override
    public String toString() {
        return "LocalBundleFiles[" + root + "]";
    }
}
