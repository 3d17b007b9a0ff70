package io.fmstream.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.data.RepositoryLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Bad input to replay is a one-line error naming the problem, before any broker is contacted
 * ({@code localhost:1} answers nothing: reaching it would be a different error). Also which records
 * --record / --records-from / --limit select, and as which devices.
 */
class ReplayCommandTest {

    @Test
    void aMissingRecordNamesTheHeaderItLookedFor(@TempDir Path dir) {
        CliRun r =
                run(
                        "replay",
                        "--bootstrap-servers",
                        "localhost:1",
                        "--record",
                        dir.resolve("100").toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: No WFDB header " + dir.resolve("100.hea"));
    }

    @Test
    void anUnsupportedSignalFormatNamesTheFileAndLine(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("x.hea"), "x 1 250 100\nx.dat 311 200 12 0 0 0 0 ECG\n");
        CliRun r =
                run(
                        "replay",
                        "--bootstrap-servers",
                        "localhost:1",
                        "--record",
                        dir.resolve("x").toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("x.hea:2").contains("format 311");
    }

    @Test
    void anUnknownLeadListsTheRecordsSignals() {
        Path mitdb = io.fmstream.data.RepositoryLayout.testData().resolve("mitdb/100");
        CliRun r =
                run(
                        "replay",
                        "--bootstrap-servers",
                        "localhost:1",
                        "--record",
                        mitdb.toString(),
                        "--lead",
                        "V9");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("V9").contains("MLII").contains("V5");
    }

    @Test
    void aMissingRequiredOptionIsAUsageError() {
        CliRun r = run("replay", "--record", "x");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--bootstrap-servers");
    }

    @Test
    void neitherRecordNorRecordsFromIsAUsageError() {
        CliRun r = run("replay", "--bootstrap-servers", "localhost:1");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--record").contains("--records-from");
    }

    @Test
    void bothRecordAndRecordsFromIsAUsageError(@TempDir Path dir) {
        CliRun r =
                run(
                        "replay",
                        "--bootstrap-servers",
                        "localhost:1",
                        "--record",
                        "x",
                        "--records-from",
                        dir.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("mutually exclusive");
    }

    @Test
    void aMissingFolderOrListIsNamed(@TempDir Path dir) {
        CliRun r =
                run(
                        "replay",
                        "--bootstrap-servers",
                        "localhost:1",
                        "--records-from",
                        dir.resolve("nope").toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err())
                .isEqualToIgnoringNewLines(
                        "error: --records-from "
                                + dir.resolve("nope")
                                + ": no such folder or list file");

        Path hea = RepositoryLayout.testData().resolve("mitdb/100.hea");
        r = run("replay", "--bootstrap-servers", "localhost:1", "--records-from", hea.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err())
                .startsWith("error: --records-from " + hea + " is a record header")
                .contains("use --record");
    }

    @Test
    void anEmptyFolderIsAnErrorThatSuggestsRecursiveWhenItHasSubfolders(@TempDir Path dir)
            throws Exception {
        Files.writeString(dir.resolve("RECORDS"), "100\n");
        CliRun r =
                run(
                        "replay",
                        "--bootstrap-servers",
                        "localhost:1",
                        "--records-from",
                        dir.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err())
                .isEqualToIgnoringNewLines("error: No WFDB records (.hea files) in " + dir);

        Files.createDirectory(dir.resolve("sub"));
        r = run("replay", "--bootstrap-servers", "localhost:1", "--records-from", dir.toString());
        assertThat(r.err()).contains("add --recursive");
        r =
                run(
                        "replay",
                        "--bootstrap-servers",
                        "localhost:1",
                        "--records-from",
                        dir.toString(),
                        "--recursive");
        assertThat(r.err())
                .startsWith("error: No WFDB records (.hea files) in " + dir)
                .doesNotContain("--recursive");
    }

    @Test
    void aBadHeaderAmongManyNamesItsFileAndLine(@TempDir Path dir) throws Exception {
        copyCinc(dir, "A00001", "A00003");
        Files.writeString(
                dir.resolve("A00002.hea"),
                "A00002 1 300 9000\nA00002.mat 16+24 abc/mV 16 0 0 0 0 ECG\n");
        CliRun r =
                run(
                        "replay",
                        "--bootstrap-servers",
                        "localhost:1",
                        "--records-from",
                        dir.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err())
                .startsWith("error: " + dir.resolve("A00002.hea") + ":2: ")
                .contains("abc")
                .hasLineCount(1);
    }

    @Test
    void aMissingSignalFileNamesIt(@TempDir Path dir) throws Exception {
        copyCinc(dir, "A00001", "A00003");
        Files.delete(dir.resolve("A00003.mat"));
        CliRun r =
                run(
                        "replay",
                        "--bootstrap-servers",
                        "localhost:1",
                        "--records-from",
                        dir.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err())
                .startsWith("error: " + dir.resolve("A00003.mat") + ": signal file not found")
                .hasLineCount(1);
    }

    @Test
    void aListedRecordThatDoesNotExistNamesTheListsLine(@TempDir Path dir) throws Exception {
        copyCinc(dir, "A00001");
        Path list = dir.resolve("records.txt");
        Files.writeString(list, "# two records\nA00001\n\nA09999\n");
        CliRun r =
                run(
                        "replay",
                        "--bootstrap-servers",
                        "localhost:1",
                        "--records-from",
                        list.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err())
                .isEqualToIgnoringNewLines(
                        "error: "
                                + list
                                + ":4: No WFDB header "
                                + dir.resolve("A09999.hea")
                                + " (give the record path with or without .hea)");
    }

    @Test
    void aListWithOnlyCommentsIsAnError(@TempDir Path dir) throws Exception {
        Path list = dir.resolve("records.txt");
        Files.writeString(list, "# nothing yet\n\n");
        CliRun r =
                run(
                        "replay",
                        "--bootstrap-servers",
                        "localhost:1",
                        "--records-from",
                        list.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).isEqualToIgnoringNewLines("error: No records listed in " + list);
    }

    @Test
    void deviceIdNeedsASingleRecord(@TempDir Path dir) throws Exception {
        copyCinc(dir, "A00001", "A00003");
        CliRun r =
                run(
                        "replay",
                        "--bootstrap-servers",
                        "localhost:1",
                        "--records-from",
                        dir.toString(),
                        "--device-id",
                        "patient-7");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err())
                .startsWith("error: --device-id names one device, but 2 records are selected");

        // With --limit 1 there is one record again.
        ReplayCommand one =
                parse("--records-from", dir.toString(), "--limit", "1", "--device-id", "patient-7");
        assertThat(one.plan(one.selectHeaders()))
                .extracting(ConcurrentReplay.Source::device)
                .containsExactly("patient-7");
    }

    @Test
    void twoRecordsThatWouldBeOneDeviceAreRefused(@TempDir Path dir) throws Exception {
        copyCinc(dir, "A00001");
        Path hea = dir.resolve("A00001.hea");
        CliRun r =
                run(
                        "replay",
                        "--bootstrap-servers",
                        "localhost:1",
                        "--record",
                        hea.toString(),
                        "--record",
                        dir.resolve("A00001").toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err())
                .contains(
                        "would both be device "
                                + dir.getFileName().toString().toLowerCase()
                                + "-a00001");
    }

    @Test
    void whatAJobAtItsDefaultLimitsWouldDeadLetterIsRefused(@TempDir Path dir) throws Exception {
        copyCinc(dir, "A00001");
        String header = dir.resolve("A00001.hea").toString();
        assertThat(replayErr("--record", header, "--device-id", "d".repeat(129)))
                .contains("has 129 characters")
                .contains("fmstream.validation.max-device-id-length (128, --max-device-id-length)");
        assertThat(replayErr("--record", header, "--chunk-seconds", "500"))
                .contains("--chunk-seconds 500.0 at 300.0 Hz makes chunks of 150000 samples")
                .contains(
                        "fmstream.validation.max-samples-per-chunk (120000,"
                                + " --max-samples-per-chunk)");
        ReplayCommand atTheLimits =
                parse("--record", header, "--device-id", "d".repeat(128), "--chunk-seconds", "400");
        assertThat(atTheLimits.plan(atTheLimits.selectHeaders())).hasSize(1);
        // A job with raised limits: say so, and the record goes.
        ReplayCommand raised =
                parse(
                        "--record",
                        header,
                        "--device-id",
                        "d".repeat(200),
                        "--max-device-id-length",
                        "256");
        assertThat(raised.plan(raised.selectHeaders())).hasSize(1);
    }

    @Test
    void badNumbersAndMisplacedRecursiveAreErrors() {
        String mitdb = RepositoryLayout.testData().resolve("mitdb/100").toString();
        assertThat(replayErr("--record", mitdb, "--concurrency", "0"))
                .startsWith("error: --concurrency must be >= 1");
        assertThat(replayErr("--record", mitdb, "--limit", "0"))
                .startsWith("error: --limit must be >= 1");
        assertThat(replayErr("--record", mitdb, "--recursive"))
                .startsWith("error: --recursive applies to --records-from FOLDER only");
        assertThat(replayErr("--record", mitdb, "--speed", "0"))
                .startsWith("error: --speed must be > 0");
    }

    /** The error output of replay against no broker, after checking it failed with 1. */
    private static String replayErr(String... args) {
        String[] all = new String[args.length + 3];
        all[0] = "replay";
        all[1] = "--bootstrap-servers";
        all[2] = "localhost:1";
        System.arraycopy(args, 0, all, 3, args.length);
        CliRun r = run(all);
        assertThat(r.exit()).isEqualTo(1);
        return r.err();
    }

    @Test
    void aFolderSelectsItsRecordsSortedByNameAndLimitTakesTheFirst(@TempDir Path dir)
            throws Exception {
        copyCinc(dir, "A00005", "A00001", "A00003");
        Files.writeString(dir.resolve("REFERENCE.csv"), "A00001,N\n");
        Files.createDirectory(dir.resolve("sub"));
        copyCinc(dir.resolve("sub"), "A00004");

        assertThat(select("--records-from", dir.toString()))
                .containsExactly(
                        dir.resolve("A00001.hea"),
                        dir.resolve("A00003.hea"),
                        dir.resolve("A00005.hea"));
        assertThat(select("--records-from", dir.toString(), "--limit", "2"))
                .containsExactly(dir.resolve("A00001.hea"), dir.resolve("A00003.hea"));
        assertThat(select("--records-from", dir.toString(), "--recursive"))
                .containsExactly(
                        dir.resolve("A00001.hea"),
                        dir.resolve("A00003.hea"),
                        dir.resolve("A00005.hea"),
                        dir.resolve("sub/A00004.hea"));
    }

    @Test
    void aListResolvesRelativePathsAgainstItsFolderAndKeepsItsOrder(@TempDir Path dir)
            throws Exception {
        copyCinc(dir.resolve("data"), "A00001", "A00003");
        Path list = dir.resolve("lists/records.txt");
        Files.createDirectories(list.getParent());
        Path cinc = RepositoryLayout.testData().resolve("cinc2017-train/A00004");
        Files.writeString(
                list,
                "# relative, absolute, with .hea\n../data/A00003\n  "
                        + cinc
                        + "  \n\n"
                        + "../data/A00001.hea\n");
        assertThat(select("--records-from", list.toString()))
                .containsExactly(
                        dir.resolve("lists/../data/A00003.hea"),
                        cinc.resolveSibling("A00004.hea"),
                        dir.resolve("lists/../data/A00001.hea"));
    }

    @Test
    void eachRecordIsTheDefaultDeviceOfItsFolderAndName(@TempDir Path dir) throws Exception {
        Path train = RepositoryLayout.testData().resolve("cinc2017-train");
        ReplayCommand cmd = parse("--records-from", train.toString(), "--limit", "3");
        List<ConcurrentReplay.Source> sources = cmd.plan(cmd.selectHeaders());
        assertThat(sources)
                .extracting(ConcurrentReplay.Source::device)
                .containsExactly(
                        "cinc2017-train-a00001", "cinc2017-train-a00003", "cinc2017-train-a00004");
        assertThat(sources).allSatisfy(s -> assertThat(s.signal().description()).isEqualTo("ECG"));
    }

    private static void copyCinc(Path to, String... records) throws Exception {
        Path train = RepositoryLayout.testData().resolve("cinc2017-train");
        Files.createDirectories(to);
        for (String r : records) {
            Files.copy(train.resolve(r + ".hea"), to.resolve(r + ".hea"));
            Files.copy(train.resolve(r + ".mat"), to.resolve(r + ".mat"));
        }
    }

    private static ReplayCommand parse(String... args) {
        ReplayCommand cmd = new ReplayCommand();
        String[] all = new String[args.length + 2];
        all[0] = "--bootstrap-servers";
        all[1] = "localhost:1";
        System.arraycopy(args, 0, all, 2, args.length);
        new CommandLine(cmd).parseArgs(all);
        return cmd;
    }

    private static List<Path> select(String... args) {
        return parse(args).selectHeaders();
    }

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }
}
