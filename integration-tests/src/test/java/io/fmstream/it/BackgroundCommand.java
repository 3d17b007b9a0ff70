package io.fmstream.it;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine;

/**
 * A command of the CLI (the simulator, the probe) run on a thread of its own beside a test, and
 * stopped when the test ends, however it ends. A {@code CompletableFuture.supplyAsync} of the
 * command could not be stopped ({@code cancel(true)} does not interrupt), so a simulator or probe
 * outlived its test by minutes in the reused surefire JVM, sending to a stopped broker and taking
 * CPU from the tests after it. The commands end on an interrupt: the simulator's pacing sleep and
 * the probe's poll throw.
 */
final class BackgroundCommand {

    /** Commands started and not yet stopped, in this JVM (surefire runs one test at a time). */
    private static final List<BackgroundCommand> RUNNING = new ArrayList<>();

    private final String name;
    private final Thread thread;
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();

    private BackgroundCommand(String name, Object command, String[] args) {
        this.name = name;
        this.thread =
                new Thread(
                        () -> {
                            try {
                                exit.complete(new CommandLine(command).execute(args));
                            } catch (Throwable t) {
                                exit.completeExceptionally(t);
                            }
                        },
                        "test-" + name);
        thread.setDaemon(true);
    }

    /**
     * Starts {@code command} with {@code args}; {@link #stopAll} stops it if it is still running.
     */
    static BackgroundCommand start(String name, Object command, String... args) {
        BackgroundCommand c = new BackgroundCommand(name, command, args);
        synchronized (RUNNING) {
            RUNNING.add(c);
        }
        c.thread.start();
        return c;
    }

    /**
     * {@code fmstream simulate}: {@code devices} devices for {@code duration} (ISO-8601) into
     * {@code topic} (created if missing), no metrics port, and {@code extra} arguments.
     */
    static BackgroundCommand simulate(
            String bootstrap, String topic, int devices, String duration, String... extra) {
        List<String> args = new ArrayList<>();
        args.addAll(
                List.of(
                        "--bootstrap-servers",
                        bootstrap,
                        "--topic",
                        topic,
                        "--create-topics",
                        "--devices",
                        String.valueOf(devices),
                        "--duration",
                        duration,
                        "--metrics-port",
                        "0"));
        args.addAll(List.of(extra));
        return start(
                "simulator", new io.fmstream.tools.SimulateCommand(), args.toArray(String[]::new));
    }

    /** The command's exit code, once it ended. */
    CompletableFuture<Integer> exit() {
        return exit;
    }

    /** Interrupts the command if it still runs and waits (30 s at most) for it to end. */
    void stop() throws InterruptedException {
        synchronized (RUNNING) {
            RUNNING.remove(this);
        }
        if (thread.isAlive()) {
            thread.interrupt();
            thread.join(30_000);
            if (thread.isAlive()) {
                System.err.printf("%s still running 30 s after an interrupt%n", name);
            }
        }
    }

    /** Stops every command started and not stopped yet: call it after each test. */
    static void stopAll() throws InterruptedException {
        List<BackgroundCommand> left;
        synchronized (RUNNING) {
            left = new ArrayList<>(RUNNING);
        }
        for (BackgroundCommand c : left) {
            c.stop();
        }
    }
}
