package io.fmstream.tools.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class HeapResidencyTest {

    @Test
    void readsTheReservedRangeFromJcmdsHeapInfo() {
        // jcmd <pid> GC.heap_info on JDK 17 with G1.
        String info =
                "12408:\n"
                        + " garbage-first heap   total 262144K, used 104085K [0x00000000f0000000,"
                        + " 0x0000000100000000)\n"
                        + "  region size 1024K, 1 young (1024K), 0 survivors (0K)\n"
                        + " Metaspace       used 74K, committed 320K, reserved 1114112K\n";
        assertThat(HeapResidency.heapRange(info))
                .hasValueSatisfying(r -> assertThat(r).containsExactly(0xf0000000L, 0x100000000L));
        assertThat(HeapResidency.heapRange("12408:\nCommand not found\n")).isEmpty();
        assertThat(HeapResidency.heapRange("com.sun.tools.attach.AttachNotSupportedException"))
                .isEmpty();
    }

    @Test
    void sumsTheResidentPagesOfTheMappingsInsideTheRange() {
        List<String> smaps =
                List.of(
                        "00400000-00500000 r-xp 00000000 08:01 123 /usr/bin/java",
                        "Size:               1024 kB",
                        "Rss:                 700 kB",
                        // The heap, split by G1's commits: two mappings inside the range.
                        "f0000000-f8000000 rw-p 00000000 00:00 0",
                        "Size:             131072 kB",
                        "Rss:               51712 kB",
                        "Pss:               51712 kB",
                        "f8000000-100000000 ---p 00000000 00:00 0",
                        "Size:             131072 kB",
                        "Rss:                   0 kB",
                        // Half inside the range: half of it counts.
                        "ffc00000-100400000 rw-p 00000000 00:00 0",
                        "Size:               8192 kB",
                        "Rss:                8000 kB",
                        "7f0000000000-7f0000100000 rw-p 00000000 00:00 0",
                        "Size:               1024 kB",
                        "Rss:                1024 kB");
        assertThat(HeapResidency.residentKbWithin(smaps, 0xf0000000L, 0x100000000L))
                .isEqualTo(51712 + 4000);
        assertThat(HeapResidency.residentKbWithin(smaps, 0x7f0000000000L, 0x7f0000100000L))
                .isEqualTo(1024);
        assertThat(HeapResidency.residentKbWithin(smaps, 0x1000L, 0x2000L)).isZero();
        // The whole process: every mapping's Rss once.
        assertThat(HeapResidency.residentKb(smaps)).isEqualTo(700 + 51712 + 8000 + 1024);
    }

    @Test
    void findsALiveArrayInThisJvmsHeapAndNotOutsideIt() throws Exception {
        // 64 MB written, so resident, and held live while measured.
        byte[] held = new byte[64 << 20];
        Arrays.fill(held, (byte) 1);
        long pid = ProcessHandle.current().pid();
        HeapResidency.Split split = new HeapResidency().split(pid).orElseThrow();
        assertThat(split.heapKnown()).isTrue();
        assertThat(split.heapResidentKb())
                .isGreaterThanOrEqualTo(64 << 10)
                .isLessThanOrEqualTo(split.residentKb());
        // The total from smaps is the kernel's resident figure (status's VmRSS, read a moment
        // later; this test's thread allocates little in between).
        assertThat(split.residentKb()).isCloseTo(Soak.rssKb(pid), within(8L << 10));
        // The range is the heap's maximum (G1 reserves -Xmx, a whole number of regions).
        assertThat(split.heapReservedKb() << 10)
                .isGreaterThanOrEqualTo(Runtime.getRuntime().maxMemory())
                .isLessThan(Runtime.getRuntime().maxMemory() + (64L << 20));
        assertThat(held[held.length - 1]).isEqualTo((byte) 1);
        assertThat(Files.exists(Path.of("/proc/" + pid + "/smaps"))).isTrue();
    }
}
