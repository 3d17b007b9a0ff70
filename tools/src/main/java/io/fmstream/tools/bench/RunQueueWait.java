package io.fmstream.tools.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * How long this JVM's threads were ready to run but waited for a core, from Linux's per-thread
 * scheduler statistics ({@code /proc/self/task/<tid>/schedstat}: CPU time, run-queue wait, time
 * slices). On a machine the job shares with its broker and generator, a latency tail that no queue
 * inside the job explains can still be a queue: threads waiting for a CPU. Read as thread-seconds
 * waited per second of wall time, by thread name (the kernel keeps the first 15 characters of a
 * Java thread's name).
 */
final class RunQueueWait {

    /**
     * Run-queue wait in nanoseconds, name and CPU (user + system clock ticks), by thread id, at one
     * moment.
     */
    record Snapshot(
            Map<String, Long> waitNanos, Map<String, String> names, Map<String, Long> cpuTicks) {

        /**
         * CPU ticks of the JIT compiler threads (HotSpot's "C1 CompilerThread<n>" and "C2
         * CompilerThread<n>", as the kernel keeps their first 15 characters).
         */
        long jitTicks() {
            long ticks = 0;
            for (var e : cpuTicks.entrySet()) {
                String name = names.getOrDefault(e.getKey(), "");
                if (name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre")) {
                    ticks += e.getValue();
                }
            }
            return ticks;
        }
    }

    private RunQueueWait() {}

    /** This JVM's figures now; empty where the kernel does not keep them. */
    static Snapshot take() {
        return take(ProcessHandle.current().pid());
    }

    /**
     * Process {@code pid}'s figures now, in one pass over its threads reading two files each
     * ({@code stat}: name and CPU; {@code schedstat}: run-queue wait); empty where the kernel does
     * not keep them.
     */
    static Snapshot take(long pid) {
        Map<String, Long> wait = new HashMap<>();
        Map<String, String> names = new HashMap<>();
        Map<String, Long> cpu = new HashMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                String tid = task.getFileName().toString();
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    // The name is between the first '(' and the last ')': it may hold either.
                    names.put(tid, stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')));
                    cpu.put(tid, KafkaRun.cpuTicks(stat));
                    String[] f = Files.readString(task.resolve("schedstat")).trim().split("\\s+");
                    wait.put(tid, Long.parseLong(f[1]));
                } catch (NoSuchFileException | IndexOutOfBoundsException ended) {
                    // The thread ended between the listing and the read, or no schedstat here.
                }
            }
        } catch (IOException | RuntimeException notLinux) {
            return new Snapshot(Map.of(), Map.of(), Map.of());
        }
        return new Snapshot(wait, names, cpu);
    }

    /**
     * Thread-seconds waited for a core per second: in all, and by thread name (the {@code limit}
     * names that waited most, largest first).
     */
    record Waits(double all, Map<String, Double> byThread) {}

    /**
     * The waits between two snapshots, {@code seconds} apart; threads started in between count from
     * zero.
     */
    static Waits perSecond(Snapshot from, Snapshot to, double seconds, int limit) {
        Map<String, Double> byName = new HashMap<>();
        double all = 0;
        for (var e : to.waitNanos().entrySet()) {
            long before = from.waitNanos().getOrDefault(e.getKey(), 0L);
            double waited = Math.max(0, e.getValue() - before) / 1e9 / seconds;
            all += waited;
            byName.merge(to.names().getOrDefault(e.getKey(), "?"), waited, Double::sum);
        }
        Map<String, Double> top = new LinkedHashMap<>();
        byName.entrySet().stream()
                .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .limit(limit)
                .forEach(e -> top.put(e.getKey(), e.getValue()));
        return new Waits(all, top);
    }
}
