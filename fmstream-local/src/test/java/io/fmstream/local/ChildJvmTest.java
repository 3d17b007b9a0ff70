package io.fmstream.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChildJvmTest {

    /**
     * A stale PID file whose pid now names another process (here this test's own JVM: a java
     * command, which the old check took for a child) is not a running child, so `cluster down` does
     * not kill it; the process the file recorded, by pid and start time, is.
     */
    @Test
    void aStalePidFileNamingAnotherProcessIsNotARunningChild(@TempDir Path dir) throws Exception {
        ProcessHandle self = ProcessHandle.current();
        long started = self.info().startInstant().orElseThrow().toEpochMilli();
        Files.createDirectories(dir.resolve("pids"));
        Files.writeString(ChildJvm.pidFile(dir, "kafka-1"), self.pid() + " " + (started - 60_000));
        assertThat(ChildJvm.find(dir, "kafka-1")).isEmpty();
        Files.writeString(ChildJvm.pidFile(dir, "kafka-1"), self.pid() + " " + started);
        assertThat(ChildJvm.find(dir, "kafka-1")).isPresent();
    }
}
