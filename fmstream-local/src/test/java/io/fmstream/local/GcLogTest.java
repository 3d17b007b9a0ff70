package io.fmstream.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GcLogTest {

    @Test
    void takesTheHeapAfterTheLastPauseInWhateverUnitG1PrintedIt() {
        String log =
                String.join(
                        "\n",
                        "[0.012s][info][gc] Using G1",
                        "[1.500s][info][gc] GC(0) Pause Young (Normal) (G1 Evacuation Pause)"
                                + " 24M->3M(128M) 2.113ms",
                        "[2.100s][info][gc] GC(1) Pause Young (Concurrent Start) (G1 Humongous"
                                + " Allocation) 1G->512M(2G) 9.001ms",
                        "[2.200s][info][gc] GC(1) Concurrent Mark Cycle 80.1ms",
                        "[2.300s][info][gc] GC(2) Pause Remark 600M->590M(2G) 1.0ms",
                        "[3.000s][info][gc] GC(3) Pause Young (Normal) (G1 Evacuation Pause)"
                                + " 900M->768K(2G) 3.2ms",
                        "[3.100s][info][gc] GC(3) Concurrent Cleanup 0.1ms");
        assertThat(GcLog.lastHeapAfterMb(log).getAsDouble()).isEqualTo(0.75);
        assertThat(GcLog.lastHeapAfterMb(log.substring(0, log.indexOf("[2.200s]"))).getAsDouble())
                .isEqualTo(512.0);
        assertThat(GcLog.lastHeapAfterMb("[0.012s][info][gc] Using G1")).isEmpty();
        // G1's Remark and Cleanup pauses collect nothing: the heap after them is mid-marking.
        assertThat(
                        GcLog.lastHeapAfterMb(
                                        log.substring(0, log.indexOf("[3.000s]"))
                                                + "[2.400s][info][gc] GC(2) Pause Cleanup"
                                                + " 590M->590M(2G) 0.1ms")
                                .getAsDouble())
                .isEqualTo(512.0);
        // What is live: after the last mixed or full pause only.
        String mixed =
                log
                        + "\n[4.000s][info][gc] GC(4) Pause Young (Mixed) (G1 Evacuation Pause)"
                        + " 300M->200M(2G) 5.0ms\n[5.000s][info][gc] GC(5) Pause Young (Normal)"
                        + " (G1 Evacuation Pause) 400M->250M(2G) 2.0ms";
        assertThat(GcLog.lastLiveHeapMb(mixed).getAsDouble()).isEqualTo(200.0);
        assertThat(GcLog.lastHeapAfterMb(mixed).getAsDouble()).isEqualTo(250.0);
        assertThat(GcLog.lastLiveHeapMb(log)).isEmpty();
    }

    @Test
    void readsWhatARealJvmLogsAfterItsCollections(@TempDir Path dir) throws Exception {
        // A child JVM with the option the local cluster gives its TaskManagers keeps about 40 MB
        // alive across a full collection and prints what it measured itself.
        Path log = dir.resolve("child-gc.log");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx256m");
        cmd.add("-XX:+UseG1GC");
        cmd.add(GcLog.option(log));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Retainer.class.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        double measured = Double.parseDouble(out.lines().reduce((a, b) -> b).orElseThrow());

        assertThat(Files.readString(log)).contains("Pause Full (System.gc())");
        assertThat(GcLog.lastHeapAfterMb(log).getAsDouble())
                .as("heap after the last collection, MB (the child measured %.1f)", measured)
                .isCloseTo(measured, within(4.0))
                .isGreaterThan(40.0);
        assertThat(GcLog.lastLiveHeapMb(log).getAsDouble())
                .as("after the System.gc() full pause")
                .isCloseTo(measured, within(4.0));
        assertThat(GcLog.lastHeapAfterMb(dir.resolve("absent.log"))).isEmpty();
    }

    /** Keeps 40 MB reachable, collects, and prints the heap in use right after, MB. */
    public static final class Retainer {
        public static void main(String[] args) {
            byte[][] kept = new byte[40][];
            for (int i = 0; i < kept.length; i++) {
                kept[i] = new byte[1024 * 1024];
                // Garbage besides, so the collections have something to free.
                byte[] garbage = new byte[4 * 1024 * 1024];
                garbage[i] = 1;
            }
            System.gc();
            Runtime rt = Runtime.getRuntime();
            double used = (rt.totalMemory() - rt.freeMemory()) / (1024.0 * 1024.0);
            System.out.println(kept.length + " MB kept");
            System.out.println(used);
        }
    }
}
