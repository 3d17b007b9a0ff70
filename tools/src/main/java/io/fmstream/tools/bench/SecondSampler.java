package io.fmstream.tools.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * What the machine did in each second of a capacity run ({@link LatencyTail.Second}): CPU of this
 * JVM and of its JIT compiler threads, of the broker, of the whole machine and stolen from it, and
 * this JVM's threads' wait for a core, read from {@code /proc} just after every whole second of
 * wall time. A run's averages hide a second in which the hypervisor took a core or the broker
 * compacted a log; set beside the seconds in which the slow predictions were written, these name
 * what the bursts of a latency tail have in common.
 *
 * <p>Linux only: where {@code /proc} cannot be read the sampler records nothing and the burst
 * figures are NaN. The readings cost a few milliseconds of CPU per second (two small files per
 * thread of this JVM in one pass, one for the broker and one for the machine), counted in this
 * JVM's CPU.
 */
final class SecondSampler implements AutoCloseable {

    private final long ownPid = ProcessHandle.current().pid();
    private final long brokerPid;
    private final Thread thread;
    private final List<LatencyTail.Second> seconds = new ArrayList<>();
    private volatile boolean stopped;

    private SecondSampler(long brokerPid) {
        this.brokerPid = brokerPid;
        this.thread = new Thread(this::run, "capacity-second-sampler");
        thread.setDaemon(true);
    }

    /** Starts sampling now, with the broker running as process {@code brokerPid}. */
    static SecondSampler start(long brokerPid) {
        SecondSampler s = new SecondSampler(brokerPid);
        s.thread.start();
        return s;
    }

    /** One reading of the counters, at {@code wallMillis}. */
    private record Reading(
            long wallMillis,
            long jvmCpuNanos,
            long jitTicks,
            long brokerTicks,
            long busyTicks,
            long stealTicks,
            RunQueueWait.Snapshot runQueueWait) {}

    private Reading read() throws IOException {
        long[] machine = KafkaRun.machineTicks();
        // One pass over this JVM's threads gives both the JIT's CPU and the run-queue wait.
        RunQueueWait.Snapshot threads = RunQueueWait.take(ownPid);
        return new Reading(
                System.currentTimeMillis(),
                KafkaRun.ownCpuNanos(),
                threads.jitTicks(),
                KafkaRun.processCpuTicks(brokerPid),
                machine[0],
                machine[1],
                threads);
    }

    private void run() {
        try {
            // The first reading at a whole second, so that every span recorded is one second.
            Thread.sleep(1000 - Math.floorMod(System.currentTimeMillis(), 1000L));
            Reading last = read();
            long next = (last.wallMillis() / 1000 + 1) * 1000;
            while (!stopped) {
                long sleep = next - System.currentTimeMillis();
                if (sleep > 0) {
                    Thread.sleep(sleep);
                }
                Reading now = read();
                double s = Math.max(1, now.wallMillis() - last.wallMillis()) / 1e3;
                LatencyTail.Second second =
                        new LatencyTail.Second(
                                last.wallMillis(),
                                now.wallMillis(),
                                (now.jvmCpuNanos() - last.jvmCpuNanos()) / 1e9 / s,
                                (now.jitTicks() - last.jitTicks()) / KafkaRun.TICKS / s,
                                (now.brokerTicks() - last.brokerTicks()) / KafkaRun.TICKS / s,
                                (now.busyTicks() - last.busyTicks()) / KafkaRun.TICKS / s,
                                (now.stealTicks() - last.stealTicks()) / KafkaRun.TICKS / s,
                                // Thread by thread: one that ended in between takes only its last
                                // second's wait with it, not its whole life's.
                                RunQueueWait.perSecond(
                                                last.runQueueWait(), now.runQueueWait(), s, 0)
                                        .all());
                synchronized (seconds) {
                    seconds.add(second);
                }
                last = now;
                // A late wake-up (a busy machine) skips to the next whole second, not a burst of
                // catch-up readings.
                next = Math.max(next + 1000, (now.wallMillis() / 1000 + 1) * 1000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException notLinux) {
            // No /proc (or a broker gone): nothing more to sample; the figures say NaN.
        }
    }

    /** The seconds sampled so far that began in {@code [fromMillis, toMillis]}. */
    List<LatencyTail.Second> between(long fromMillis, long toMillis) {
        synchronized (seconds) {
            return seconds.stream()
                    .filter(s -> s.fromMillis() >= fromMillis && s.fromMillis() <= toMillis)
                    .toList();
        }
    }

    @Override
    public void close() throws InterruptedException {
        stopped = true;
        thread.interrupt();
        thread.join(5_000);
    }
}
