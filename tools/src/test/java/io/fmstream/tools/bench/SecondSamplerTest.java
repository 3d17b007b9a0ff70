package io.fmstream.tools.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The capacity run's per-second sampler, reading this JVM (as its own "broker") on Linux. */
class SecondSamplerTest {

    @Test
    void aThreadSpinningForTwoSecondsShowsInTheSampledSeconds() throws Exception {
        Assumptions.assumeTrue(Files.isReadable(Path.of("/proc/stat")), "needs /proc");
        long pid = ProcessHandle.current().pid();
        AtomicBoolean spin = new AtomicBoolean(true);
        Thread spinner =
                new Thread(
                        () -> {
                            long x = 0;
                            while (spin.get()) {
                                x += System.nanoTime() & 1;
                            }
                            if (x == 42) {
                                System.out.print("");
                            }
                        });
        long from = System.currentTimeMillis();
        List<LatencyTail.Second> seconds;
        try (SecondSampler sampler = SecondSampler.start(pid)) {
            spinner.start();
            Thread.sleep(3_200);
            spin.set(false);
            spinner.join();
            seconds = sampler.between(from, System.currentTimeMillis());
        }
        // Sampled after every whole second: at least two whole seconds in 3.2 s.
        assertThat(seconds).hasSizeGreaterThanOrEqualTo(2);
        for (LatencyTail.Second s : seconds) {
            assertThat(s.toMillis() - s.fromMillis()).isBetween(500L, 2_500L);
            // This JVM is its own "broker" here: the same process read two ways.
            assertThat(Math.abs(s.brokerCores() - s.jvmCores())).isLessThan(0.15);
            assertThat(s.busyCores()).isGreaterThanOrEqualTo(s.jvmCores() - 0.15);
            assertThat(s.stealCores()).isGreaterThanOrEqualTo(0);
            assertThat(s.runQueueWaitCores()).isGreaterThanOrEqualTo(0);
        }
        // The spinning thread ran for most of every sampled second it spanned, however busy the
        // machine (a fully loaded 2-core runner still gives it a share).
        double spun = seconds.stream().mapToDouble(LatencyTail.Second::jvmCores).max().orElse(0);
        assertThat(spun).isGreaterThan(0.3);
    }

    @Test
    void aBrokerThatCannotBeReadEndsTheSamplingWithNothingRecorded() throws Exception {
        long from = System.currentTimeMillis();
        try (SecondSampler sampler = SecondSampler.start(Long.MAX_VALUE)) {
            Thread.sleep(1_200);
            assertThat(sampler.between(from, System.currentTimeMillis())).isEmpty();
        }
    }
}
