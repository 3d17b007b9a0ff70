package io.fmstream.tools;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** The commands' scratch folders: created per run, removed with everything in them. */
public final class Scratch {

    private Scratch() {}

    /** Deletes its folder when closed: first in a try-with-resources, so closed last. */
    interface Deleted extends AutoCloseable {
        @Override
        void close() throws IOException;
    }

    /**
     * Deletes {@code dir} when closed, or when the JVM exits first (Ctrl-C skips the close: a
     * capacity search's broker logs and checkpoints, gigabytes, stayed in /tmp). Registered after
     * the resources that write into it, the hook may run beside theirs; what it cannot delete yet
     * is left, as before.
     */
    static Deleted deletedOnClose(Path dir) {
        Thread hook =
                new Thread(
                        () -> {
                            try {
                                deleteRecursively(dir);
                            } catch (IOException | RuntimeException e) {
                                System.err.println("removing " + dir + ": " + e);
                            }
                        },
                        "scratch-delete-on-exit");
        Runtime.getRuntime().addShutdownHook(hook);
        return () -> {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook deletes it
            }
            deleteRecursively(dir);
        };
    }

    public static void deleteRecursively(Path dir) throws IOException {
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
