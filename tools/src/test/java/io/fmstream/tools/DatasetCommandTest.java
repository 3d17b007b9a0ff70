package io.fmstream.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.data.dataset.NpyReader;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fmstream dataset}: a real record and a small simulated fleet into one .npz, with its
 * summary.
 */
class DatasetCommandTest {

    @Test
    void writesMitdb100AndTwoSimulatedDevices(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("data/test.npz");
        CliRun r =
                run(
                        "dataset",
                        "--out",
                        out.toString(),
                        "--records",
                        "mitdb/100",
                        "--simulated-devices",
                        "2",
                        "--simulated-seconds",
                        "60",
                        "--seed",
                        "7");

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(out).isRegularFile();
        assertThat(dir.resolve("data/test.npz.partial")).doesNotExist();
        // The table: one line per source with devices, chunks, windows, dropped, ...
        assertThat(r.out()).containsPattern("(?m)^mitdb\\s+1\\s+1806\\s+360\\s+2\\s+360\\s");
        assertThat(r.out()).containsPattern("(?m)^sim\\s+2\\s+\\d+\\s+\\d+\\s");
        assertThat(r.out())
                .contains("rejected chunks (validator): none")
                .contains("assembler dead letters: none");
        assertThat(r.out()).containsPattern("wrote .*test\\.npz: \\d+ windows of 3 devices");

        Map<String, NpyReader.Array> a = NpyReader.readNpz(out);
        long n = a.get("windows").shape()[0];
        assertThat(a.get("windows").shape()).containsExactly(n, 1000);
        assertThat(a.get("device_names").asStrings())
                .containsExactly("seed7/sim-00000", "seed7/sim-00001", "mitdb/100/MLII");
        int[] device = a.get("device").asInts();
        long mitdb = java.util.Arrays.stream(device).filter(d -> d == 2).count();
        assertThat(mitdb).isEqualTo(360);
        // Two devices × 60 s hold at most 11 complete windows each, fewer after drop-outs.
        assertThat(n - mitdb).isBetween(1L, 22L);
    }

    @Test
    void anUnknownRecordIsAOneLineErrorBeforeAnyWork(@TempDir Path dir) {
        CliRun r =
                run("dataset", "--out", dir.resolve("x.npz").toString(), "--records", "mitdb/999");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: no record or directory mitdb/999");
        assertThat(dir.resolve("x.npz")).doesNotExist();
    }

    @Test
    void nothingToDoIsAnError(@TempDir Path dir) {
        CliRun r = run("dataset", "--out", dir.resolve("x.npz").toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("nothing to do");
    }

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }
}
