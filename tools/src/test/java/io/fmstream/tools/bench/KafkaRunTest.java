package io.fmstream.tools.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The broker's CPU split, read from {@code /proc} as for the broker's child JVM. */
class KafkaRunTest {

    @Test
    void findsTheJitCompilerThreadsCpuAmongAProcesssThreads() throws Exception {
        // This JVM (a test fork that loaded JUnit, AssertJ and the tools' classes) has compiled
        // for well over the 10 ms of one tick; a parser that missed the compiler threads reads 0.
        long pid = ProcessHandle.current().pid();
        long jit = KafkaRun.jitCpuTicks(pid);
        assertThat(jit)
                .as("the compiler threads' CPU ticks")
                .isPositive()
                .isLessThan(KafkaRun.processCpuTicks(pid));
    }
}
