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
                        Map.of("1", "encoder", "2", "encoder", "3", "source"));
        // Thread 3 ended; thread 4 started in between and counts from zero.
        RunQueueWait.Snapshot to =
                new RunQueueWait.Snapshot(
                        Map.of("1", 3_000_000_000L, "2", 1_000_000_000L, "4", 400_000_000L),
                        Map.of("1", "encoder", "2", "encoder", "4", "sink"));

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
    void readsThisJvmsThreadsOnLinux() {
        RunQueueWait.Snapshot now = RunQueueWait.take();
        if (java.nio.file.Files.isDirectory(java.nio.file.Path.of("/proc/self/task"))) {
            assertThat(now.waitNanos()).isNotEmpty();
            assertThat(now.names()).containsKeys(now.waitNanos().keySet().toArray(String[]::new));
        }
    }
}
