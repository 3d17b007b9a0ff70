package io.fmstream.tools;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Bad input to replay is a one-line error naming the problem, before any broker is contacted. */
class ReplayCommandTest {

    @Test
    void aMissingRecordNamesTheHeaderItLookedFor(@TempDir Path dir) {
        Result r = run("replay", "--bootstrap-servers", "localhost:1", "--record", dir.resolve("100").toString());
        assertThat(r.exit).isEqualTo(1);
        assertThat(r.err).startsWith("error: No WFDB header " + dir.resolve("100.hea"));
    }

    @Test
    void anUnsupportedSignalFormatNamesTheFileAndLine(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("x.hea"), "x 1 250 100\nx.dat 311 200 12 0 0 0 0 ECG\n");
        Result r = run("replay", "--bootstrap-servers", "localhost:1", "--record", dir.resolve("x").toString());
        assertThat(r.exit).isEqualTo(1);
        assertThat(r.err).contains("x.hea:2").contains("format 311");
    }

    @Test
    void anUnknownLeadListsTheRecordsSignals() {
        Path mitdb = io.fmstream.core.util.RepositoryLayout.sharedData().resolve("mitdb/100");
        Result r = run("replay", "--bootstrap-servers", "localhost:1", "--record", mitdb.toString(), "--lead", "V9");
        assertThat(r.exit).isEqualTo(1);
        assertThat(r.err).contains("V9").contains("MLII").contains("V5");
    }

    @Test
    void aMissingRequiredOptionIsAUsageError() {
        Result r = run("replay", "--record", "x");
        assertThat(r.exit).isEqualTo(2);
        assertThat(r.err).contains("--bootstrap-servers");
    }

    private record Result(int exit, String err) {}

    private static Result run(String... args) {
        StringWriter err = new StringWriter();
        var cli = FmstreamCli.commandLine();
        cli.setErr(new PrintWriter(err));
        cli.setOut(new PrintWriter(new StringWriter()));
        int exit = cli.execute(args);
        return new Result(exit, err.toString());
    }
}
