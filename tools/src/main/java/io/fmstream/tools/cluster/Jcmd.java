package io.fmstream.tools.cluster;

import java.nio.file.Files;
import java.nio.file.Path;

/** Runs {@code jcmd} (this JDK's own, else the one on the path) against another JVM. */
final class Jcmd {

    private Jcmd() {}

    /** What {@code jcmd <pid> <command...>} printed, and whether it exited with 0. */
    record Result(boolean ok, String output) {}

    static Result run(long pid, String... command) {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        java.util.List<String> line = new java.util.ArrayList<>();
        line.add(Files.isExecutable(jcmd) ? jcmd.toString() : "jcmd");
        line.add(Long.toString(pid));
        line.addAll(java.util.List.of(command));
        try {
            Process p = new ProcessBuilder(line).redirectErrorStream(true).start();
            // Read to the end first (jcmd exits once its command is done, a full collection
            // included), so a timed wait after it would never apply.
            String output = new String(p.getInputStream().readAllBytes());
            return new Result(p.waitFor() == 0, output);
        } catch (Exception e) {
            return new Result(false, e.toString());
        }
    }
}
