package io.fmstream.tools;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** The commands' scratch folders: created per run, removed with everything in them. */
final class Scratch {

    private Scratch() {}

    /** Deletes its folder when closed: first in a try-with-resources, so closed last. */
    interface Deleted extends AutoCloseable {
        @Override
        void close() throws IOException;
    }

    static Deleted deletedOnClose(Path dir) {
        return () -> deleteRecursively(dir);
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
