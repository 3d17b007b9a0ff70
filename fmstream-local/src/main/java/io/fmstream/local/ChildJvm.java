package io.fmstream.local;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One named child JVM of a local cluster: its output goes to {@code <dir>/log/<name>.out} and its
 * PID to {@code <dir>/pids/<name>.pid}, so that it can be stopped (or killed, for fault tests) by
 * its own PID later, by this process or by another one ({@code bin/fmstream cluster down}). A child
 * outlives the JVM that started it: nothing is stopped implicitly.
 */
public final class ChildJvm {

    private final String name;
    private final Path dir;
    private final ProcessHandle handle;

    private ChildJvm(String name, Path dir, ProcessHandle handle) {
        this.name = name;
        this.dir = dir;
        this.handle = handle;
    }

    /**
     * Starts {@code mainClass} with {@code jvmArgs} and {@code args} on {@code classpath}, with
     * {@code env} added to the environment.
     */
    public static ChildJvm launch(
            Path dir,
            String name,
            String classpath,
            List<String> jvmArgs,
            String mainClass,
            List<String> args,
            Map<String, String> env)
            throws IOException {
        Files.createDirectories(dir.resolve("log"));
        Files.createDirectories(dir.resolve("pids"));
        List<String> command = new ArrayList<>();
        command.add(javaBin());
        // Names the child on its command line, so a PID file can be matched to it even where
        // the start time reads differently (a wall-clock step between start and `cluster down`).
        command.add(marker(dir, name));
        command.addAll(jvmArgs);
        command.add("-cp");
        command.add(classpath);
        command.add(mainClass);
        command.addAll(args);
        ProcessBuilder pb =
                new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(
                                ProcessBuilder.Redirect.appendTo(logFile(dir, name).toFile()));
        pb.environment().putAll(env);
        Process p = pb.start();
        // The pid with the process's start time: a pid alone, once stale (a child that exited by
        // itself, a reboot), can name any process later, and `cluster down` would kill it.
        Files.writeString(
                pidFile(dir, name),
                p.pid()
                        + " "
                        + p.toHandle()
                                .info()
                                .startInstant()
                                .map(i -> i.toEpochMilli())
                                .orElse(-1L));
        return new ChildJvm(name, dir, p.toHandle());
    }

    /** The child of that name started earlier (by any process), if it is still running. */
    public static Optional<ChildJvm> find(Path dir, String name) {
        Path pid = pidFile(dir, name);
        if (!Files.isRegularFile(pid)) {
            return Optional.empty();
        }
        try {
            String[] fields = Files.readString(pid).trim().split("\\s+");
            long id = Long.parseLong(fields[0]);
            long started = fields.length > 1 ? Long.parseLong(fields[1]) : -1;
            return ProcessHandle.of(id)
                    .filter(ProcessHandle::isAlive)
                    .filter(h -> isOurs(h, started, marker(dir, name)))
                    .map(h -> new ChildJvm(name, dir, h));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * Whether the live process {@code h} is the child its PID file recorded: the same start time
     * (to the millisecond). A PID file outliving its process may name an unrelated one now (an
     * IDE's JVM, another checkout's broker); one whose start time cannot be read (another user's)
     * is not ours either. A PID file without a start time (written before it was recorded) falls
     * back to the old rule: a java command.
     */
    static boolean isOurs(ProcessHandle h, long startedMillis, String marker) {
        if (h.info().commandLine().map(c -> c.contains(marker)).orElse(false)) {
            return true;
        }
        if (startedMillis >= 0) {
            // Within a second or two: Linux derives a start instant from the boot time, which a
            // wall-clock step moves.
            return h.info()
                    .startInstant()
                    .map(i -> Math.abs(i.toEpochMilli() - startedMillis) <= 2_000)
                    .orElse(false);
        }
        return h.info().command().map(c -> c.endsWith("java")).orElse(false);
    }

    /** The system property that names child {@code name} of {@code dir} on its command line. */
    static String marker(Path dir, String name) {
        return "-Dfmstream.child=" + dir.toAbsolutePath().normalize().resolve(name);
    }

    public String name() {
        return name;
    }

    public long pid() {
        return handle.pid();
    }

    public boolean isAlive() {
        return handle.isAlive();
    }

    public Path log() {
        return logFile(dir, name);
    }

    /** SIGKILL, as {@code kill -9}: no shutdown hook runs. Waits until the process is gone. */
    public void kill() throws InterruptedException {
        handle.destroyForcibly();
        waitGone(30);
        deletePidFile();
    }

    /** SIGTERM, then SIGKILL if it has not exited within {@code graceSeconds}. */
    public void stop(int graceSeconds) throws InterruptedException {
        handle.destroy();
        if (!waitGone(graceSeconds)) {
            handle.destroyForcibly();
            waitGone(30);
        }
        deletePidFile();
    }

    /**
     * {@link #stop} of every process in {@code processes} at once: each gets SIGTERM first, then
     * each has {@code graceSeconds} from that moment to exit before SIGKILL. For processes that do
     * not depend on each other during shutdown (a Flink cluster's JobManager and TaskManagers):
     * stopped one after another, a cluster took the sum of their shutdowns.
     */
    public static void stopAll(java.util.Collection<ChildJvm> processes, int graceSeconds)
            throws InterruptedException {
        List<ChildJvm> alive = new ArrayList<>();
        for (ChildJvm p : processes) {
            if (p != null && p.isAlive()) {
                p.handle.destroy();
                alive.add(p);
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(graceSeconds);
        for (ChildJvm p : alive) {
            long left = Math.max(0, deadline - System.nanoTime());
            if (!p.waitGoneNanos(left)) {
                p.handle.destroyForcibly();
                p.waitGone(30);
            }
            p.deletePidFile();
        }
    }

    private boolean waitGoneNanos(long nanos) throws InterruptedException {
        try {
            handle.onExit().get(nanos, TimeUnit.NANOSECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            return !handle.isAlive();
        } catch (java.util.concurrent.ExecutionException e) {
            return !handle.isAlive();
        }
    }

    private boolean waitGone(int seconds) throws InterruptedException {
        try {
            handle.onExit().get(seconds, TimeUnit.SECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            return !handle.isAlive();
        }
    }

    private void deletePidFile() {
        try {
            Files.deleteIfExists(pidFile(dir, name));
        } catch (IOException e) {
            // A stale PID file is harmless: find() checks the process.
        }
    }

    /** Fails with the process's name and log when it is no longer running. */
    public void checkAlive() {
        if (!handle.isAlive()) {
            throw new IllegalStateException(
                    name + " (pid " + pid() + ") exited; see its log " + log() + tail(log()));
        }
    }

    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            int from = Math.max(0, lines.size() - 15);
            return "\n  " + String.join("\n  ", lines.subList(from, lines.size()));
        } catch (IOException e) {
            return "";
        }
    }

    static Path logFile(Path dir, String name) {
        return dir.resolve("log").resolve(name + ".out");
    }

    static Path pidFile(Path dir, String name) {
        return dir.resolve("pids").resolve(name + ".pid");
    }

    static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The calling JVM's class path entries. */
    static List<String> ownClasspath() {
        return List.of(System.getProperty("java.class.path").split(File.pathSeparator));
    }
}
