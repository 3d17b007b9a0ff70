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
    /** The shipped bundle the demo, the benchmark and the quality tests use by default. */
    public static final String DEFAULT_BUNDLE = "model-artifacts/ecg-fm-v1";

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

    /** System property, and environment variable, naming the shared PhysioNet data folder. */
    public static final String SHARED_DATA_PROPERTY = "fmstream.shared.data";
    public static final String SHARED_DATA_ENV = "FMSTREAM_SHARED_DATA";

    /**
     * The shared PhysioNet recordings (see shared/data/README.md): {@value #SHARED_DATA_PROPERTY}
     * or {@value #SHARED_DATA_ENV} if set, else {@code <root>/../shared/data}, {@code
     * <root>/shared/data} or {@code /work/shared/data}, whichever exists first. Fails, naming every
     * place it looked, when none does: a test on real data must not silently pass without it.
     */
    public static Path sharedData() {
        java.util.List<Path> candidates = new java.util.ArrayList<>();
        String property = System.getProperty(SHARED_DATA_PROPERTY);
        if (property != null && !property.isBlank()) {
            candidates.add(Path.of(property));
        }
        String env = System.getenv(SHARED_DATA_ENV);
        if (env != null && !env.isBlank()) {
            candidates.add(Path.of(env));
        }
        try {
            Path root = root();
            candidates.add(root.resolve("../shared/data").normalize());
            candidates.add(root.resolve("shared/data"));
        } catch (IllegalStateException e) {
            // Outside a checkout: only the explicit and the conventional locations remain.
            candidates.add(Path.of("").toAbsolutePath().resolve("../shared/data").normalize());
        }
        candidates.add(Path.of("/work/shared/data"));
        for (Path c : candidates) {
            if (Files.isDirectory(c.resolve("mitdb"))) {
                return c;
            }
        }
        throw new IllegalStateException("Shared PhysioNet data not found; looked in " + candidates + ". Set -D"
                + SHARED_DATA_PROPERTY + " or " + SHARED_DATA_ENV + " to its folder.");
    }

    /** The shipped default bundle ({@link #DEFAULT_BUNDLE}). */
    public static Path defaultBundle() {
        return root().resolve(DEFAULT_BUNDLE);
    }

    /** The test fixture bundle (random weights: for tests and the demo only). */
    public static Path fixtureBundle() {
        return root().resolve(FIXTURE_BUNDLE);
    }
}
