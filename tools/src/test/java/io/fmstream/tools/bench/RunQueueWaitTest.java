package io.fmstream.tools.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Thread-seconds waited for a core, from two readings of the kernel's scheduler statistics. */
class RunQueueWaitTest {

    @Test
    void sumsTheWaitBetweenTwoReadingsByThreadName() {
        RunQueueWait.Snapshot from =
                new RunQueueWait.Snapshot(
                        Map.of("1", 1_000_000_000L, "2", 0L, "3", 500_000_000L),
                        Map.of("1", "encoder", "2", "encoder", "3", "source"),
                        Map.of());
        // Thread 3 ended; thread 4 started in between and counts from zero.
        RunQueueWait.Snapshot to =
                new RunQueueWait.Snapshot(
                        Map.of("1", 3_000_000_000L, "2", 1_000_000_000L, "4", 400_000_000L),
                        Map.of("1", "encoder", "2", "encoder", "4", "sink"),
                        Map.of());

        RunQueueWait.Waits perSecond = RunQueueWait.perSecond(from, to, 10, 5);

        assertThat(perSecond.all()).isCloseTo(0.34, within(1e-9));
        assertThat(perSecond.byThread().get("encoder")).isCloseTo(0.30, within(1e-9));
        assertThat(perSecond.byThread().get("sink")).isCloseTo(0.04, within(1e-9));
        assertThat(perSecond.byThread().keySet()).containsExactly("encoder", "sink");
        // Only the names that waited most are kept; the total still counts every thread.
        RunQueueWait.Waits top = RunQueueWait.perSecond(from, to, 10, 1);
        assertThat(top.byThread().keySet()).containsExactly("encoder");
        assertThat(top.all()).isCloseTo(0.34, within(1e-9));
    }

    @Test
    void theJitsTicksAreThoseOfTheCompilerThreads() {
        RunQueueWait.Snapshot s =
                new RunQueueWait.Snapshot(
                        Map.of(),
                        Map.of(
                                "1", "C2 CompilerThre",
                                "2", "C1 CompilerThre",
                                "3", "Embed (micro-ba",
                                "4", "C2 CompilerThre"),
                        Map.of("1", 700L, "2", 40L, "3", 5_000L, "4", 60L, "5", 9L));
        assertThat(s.jitTicks()).isEqualTo(800L);
    }

    @Test
    void readsThisJvmsThreadsOnLinux() throws Exception {
        java.nio.file.Path tasks = java.nio.file.Path.of("/proc/self/task");
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch running = new java.util.concurrent.CountDownLatch(1);
        // A thread of a known name (the JVM gives its threads their names in the kernel, cut to
        // 15 characters), alive while the snapshot is taken. HotSpot names the kernel thread from
        // the new thread itself, before it calls run(): the snapshot waits for run(), since a
        // snapshot right after start() can still see the thread as "java".
        Thread probe =
                new Thread(
                        () -> {
                            running.countDown();
                            try {
                                done.await();
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        },
                        "run-queue-probe-thread");
        probe.start();
        try {
            assertThat(running.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            RunQueueWait.Snapshot now = RunQueueWait.take();
            if (!java.nio.file.Files.isDirectory(tasks)) {
                return;
            }
            assertThat(now.waitNanos()).isNotEmpty();
            String[] tids = now.waitNanos().keySet().toArray(String[]::new);
            assertThat(now.names()).containsKeys(tids);
            assertThat(now.cpuTicks()).containsKeys(tids);
            // The names read from each thread's stat line are the kernel's comm names.
            String tid =
                    now.names().entrySet().stream()
                            .filter(e -> e.getValue().equals("run-queue-probe"))
                            .map(Map.Entry::getKey)
                            .findFirst()
                            .orElseThrow();
            assertThat(java.nio.file.Files.readString(tasks.resolve(tid).resolve("comm")).trim())
                    .isEqualTo("run-queue-probe");
            // A HotSpot JVM has compiler threads, and they have compiled this test's code.
            assertThat(now.names().values()).anyMatch(n -> n.startsWith("C2 CompilerThre"));
            assertThat(now.jitTicks()).isPositive();
        } finally {
            done.countDown();
            probe.join();
        }
    }
}
