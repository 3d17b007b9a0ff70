package io.fmstream.core.wfdb;

import io.fmstream.core.util.RepositoryLayout;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the shared PhysioNet recordings through {@link RepositoryLayout#sharedData()}. Tests
 * fail, never skip, when they are missing: a reader test that silently skips proves nothing.
 */
final class SharedData {

    private SharedData() {}

    static Path root() {
        return RepositoryLayout.sharedData();
    }

    static Path file(String relative) {
        Path p = root().resolve(relative);
        if (!Files.exists(p)) {
            throw new IllegalStateException("Shared data file missing: " + p);
        }
        return p;
    }
}
