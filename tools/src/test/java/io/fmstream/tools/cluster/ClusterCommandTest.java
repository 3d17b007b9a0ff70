package io.fmstream.tools.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ClusterCommandTest {

    /**
     * A cluster whose first broker died but whose other processes run: {@code up} and {@code soak}
     * would wipe the folder, PID files included, and leave the survivors where {@code down} cannot
     * find them. They refuse instead, naming what runs, and the folder stays as it is.
     */
    @Test
    void upAndSoakRefuseWhileAnyProcessOfTheClusterRunsNotOnlyTheFirstBroker(@TempDir Path dir)
            throws Exception {
        // This test's own JVM stands in for a surviving broker: a live java process.
        Path pids = Files.createDirectories(dir.resolve("pids"));
        ProcessHandle self = ProcessHandle.current();
        Files.writeString(
                pids.resolve("kafka-2.pid"),
                self.pid() + " " + self.info().startInstant().orElseThrow().toEpochMilli());
        Path data = Files.createDirectories(dir.resolve("kafka-2/data"));
        try {
            refusesWithTheFolderUntouched(dir, pids, data);
        } finally {
            // Were the refusal gone, the command would have started a real cluster here: stop
            // it, but never by the PID file that names this JVM.
            Path stand = pids.resolve("kafka-2.pid");
            if (Files.exists(stand)
                    && Files.readString(stand)
                            .trim()
                            .startsWith(ProcessHandle.current().pid() + " ")) {
                Files.delete(stand);
            }
            LocalCluster.down(dir);
        }
    }

    private static void refusesWithTheFolderUntouched(Path dir, Path pids, Path data) {
        for (String command : new String[] {"up", "soak"}) {
            StringWriter err = new StringWriter();
            PrintStream old = System.err;
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
            int rc;
            try {
                CommandLine cli = new CommandLine(new ClusterCommand());
                cli.setErr(new PrintWriter(err));
                rc = cli.execute(command, "--dir", dir.toString());
            } finally {
                System.setErr(old);
            }
            assertThat(rc).as(command).isEqualTo(1);
            assertThat(buf.toString(StandardCharsets.UTF_8))
                    .contains("a cluster is running in")
                    .contains("kafka-2 (pid " + ProcessHandle.current().pid() + ")")
                    .contains("stop it with `cluster down --dir " + dir + "`");
            assertThat(pids.resolve("kafka-2.pid")).exists();
            assertThat(data).isDirectory();
        }
    }
}
