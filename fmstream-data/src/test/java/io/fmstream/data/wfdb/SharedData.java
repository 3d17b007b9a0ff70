package io.fmstream.data.wfdb;

import io.fmstream.data.RepositoryLayout;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the PhysioNet records committed under data/physionet ({@link
 * RepositoryLayout#testData()}). Tests fail, never skip, when they are missing: a reader test that
 * silently skips proves nothing.
 */
final class SharedData {

    private SharedData() {}

    static Path root() {
        return RepositoryLayout.testData();
    }

    static Path file(String relative) {
        Path p = root().resolve(relative);
        if (!Files.exists(p)) {
            throw new IllegalStateException("Shared data file missing: " + p);
        }
        return p;
    }
}
