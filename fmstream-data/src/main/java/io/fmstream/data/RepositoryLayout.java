package io.fmstream.data;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds files of a source checkout (model bundles, README) for tests and the command-line tools run
 * from it. Production jobs never use it: they get the bundle as a URI.
 */
public final class RepositoryLayout {

    /** System property set by the build and the launcher: the repository root. */
    public static final String ROOT_PROPERTY = "fmstream.root";

    public static final String FIXTURE_BUNDLE = "model-artifacts/fixture-ecg-tiny";

    /** The shipped bundle the demo, the benchmark and the quality tests use by default. */
    public static final String DEFAULT_BUNDLE = "model-artifacts/ecg-fm-v2";

    private RepositoryLayout() {}

    /**
     * The repository root: {@value #ROOT_PROPERTY} if set, else the nearest parent of the working
     * directory holding model-artifacts/.
     */
    public static Path root() {
        String configured = System.getProperty(ROOT_PROPERTY);
        Path start = configured != null ? Path.of(configured) : Path.of("").toAbsolutePath();
        for (Path dir = start.toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("model-artifacts"))) {
                return dir;
            }
        }
        throw new IllegalStateException(
                "Cannot find the fmstream repository root (a folder with model-artifacts/) from "
                        + start
                        + "; set -D"
                        + ROOT_PROPERTY
                        + "=<path>");
    }

    /** The small real recordings committed with the checkout (see data/physionet/README.md). */
    public static final String TEST_DATA = "data/physionet";

    /**
     * The small PhysioNet records committed under {@value #TEST_DATA}: what the tests read, so a
     * fresh clone tests itself with nothing beside it.
     */
    public static Path testData() {
        return root().resolve(TEST_DATA);
    }

    /** System property, and environment variable, naming the shared PhysioNet data folder. */
    public static final String SHARED_DATA_PROPERTY = "fmstream.shared.data";

    public static final String SHARED_DATA_ENV = "FMSTREAM_SHARED_DATA";

    /**
     * Where the command-line tools look for records named relative to "the data" ({@code --records
     * cinc2017}): {@value #SHARED_DATA_PROPERTY} or {@value #SHARED_DATA_ENV} if set, else the
     * shared PhysioNet folder beside the checkout ({@code <root>/../shared/data}, which holds the
     * large CinC 2017 set the recipe and the evaluation use), else the records committed under
     * {@value #TEST_DATA}. Fails, naming every place it looked, when none exists.
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
            candidates.add(root.resolve(TEST_DATA));
        } catch (IllegalStateException e) {
            // Outside a checkout: only the explicit and the conventional locations remain.
            candidates.add(Path.of("").toAbsolutePath().resolve("../shared/data").normalize());
        }
        for (Path c : candidates) {
            if (Files.isDirectory(c.resolve("mitdb"))) {
                return c;
            }
        }
        throw new IllegalStateException(
                "PhysioNet data not found; looked in "
                        + candidates
                        + ". Set -D"
                        + SHARED_DATA_PROPERTY
                        + " or "
                        + SHARED_DATA_ENV
                        + " to its folder.");
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
