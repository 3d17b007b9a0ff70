package io.fmstream.core.wfdb;

import io.fmstream.core.util.RepositoryLayout;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the shared PhysioNet recordings ({@code <repo>/../shared/data}, else
 * {@code /work/shared/data}). Tests fail, never skip, when they are missing: a reader test that
 * silently skips proves nothing.
 */
final class SharedData {

    private static final Path FALLBACK = Path.of("/work/shared/data");

    private SharedData() {}

    static Path root() {
        Path candidate = null;
        try {
            candidate = RepositoryLayout.root().resolve("../shared/data").normalize();
        } catch (IllegalStateException e) {
            // No repository root found (test run outside the checkout): use the fallback below,
            // whose absence is reported with both locations.
            candidate = null;
        }
        if (candidate != null && Files.isDirectory(candidate.resolve("mitdb"))) {
            return candidate;
        }
        if (Files.isDirectory(FALLBACK.resolve("mitdb"))) {
            return FALLBACK;
        }
        throw new IllegalStateException("Shared PhysioNet data not found: looked in " + candidate + " and "
                + FALLBACK + " (see shared/data/README.md)");
    }

    static Path file(String relative) {
        Path p = root().resolve(relative);
        if (!Files.exists(p)) {
            throw new IllegalStateException("Shared data file missing: " + p);
        }
        return p;
    }
}
