package io.fmstream.core.util;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds files of a source checkout (model bundles, README) for tests and the command-line tools
 * run from it. Production jobs never use it: they get the bundle as a URI.
 */
public final class RepositoryLayout {

    /** System property set by the build and the launcher: the repository root. */
    public static final String ROOT_PROPERTY = "fmstream.root";
    public static final String FIXTURE_BUNDLE = "model-artifacts/fixture-ecg-tiny";

    private RepositoryLayout() {}

    /** The repository root: {@value #ROOT_PROPERTY} if set, else the nearest parent of the working directory holding model-artifacts/. */
    public static Path root() {
        String configured = System.getProperty(ROOT_PROPERTY);
        Path start = configured != null ? Path.of(configured) : Path.of("").toAbsolutePath();
        for (Path dir = start.toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("model-artifacts"))) {
                return dir;
            }
        }
        throw new IllegalStateException("Cannot find the fmstream repository root (a folder with model-artifacts/) from "
                + start + "; set -D" + ROOT_PROPERTY + "=<path>");
    }

    /** The test fixture bundle (random weights: for tests and the demo only). */
    public static Path fixtureBundle() {
        return root().resolve(FIXTURE_BUNDLE);
    }
}
