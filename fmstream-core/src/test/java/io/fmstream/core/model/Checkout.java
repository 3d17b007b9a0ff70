package io.fmstream.core.model;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The source checkout's model-artifacts/ for the core's own tests. The core cannot use {@code
 * io.fmstream.data.RepositoryLayout}: that module depends on this one. The build sets {@code
 * fmstream.root} for every test JVM (see the parent pom), so no search is needed here.
 */
final class Checkout {

    private Checkout() {}

    static Path modelArtifacts() {
        String root = System.getProperty("fmstream.root");
        if (root == null || root.isBlank()) {
            throw new IllegalStateException(
                    "fmstream.root is not set: run the tests through Maven (the parent pom sets"
                            + " it)");
        }
        Path dir = Path.of(root).resolve("model-artifacts");
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("no model-artifacts/ under fmstream.root=" + root);
        }
        return dir;
    }
}
