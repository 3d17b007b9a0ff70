package io.fmstream.tools.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NativeMemoryTest {

    /** The head of a JDK 17 {@code VM.native_memory summary}. */
    private static String summary(long total, long code, long threads) {
        return "12345:\n\n"
                + "Native Memory Tracking:\n\n"
                + "(Omitting categories weighting less than 1KB)\n\n"
                + "Total: reserved=2014385KB, committed="
                + total
                + "KB\n"
                + "       malloc: 20000KB #100000\n\n"
                + "-                 Java Heap (reserved=655360KB, committed=655360KB)\n"
                + "                            (mmap: reserved=655360KB, committed=655360KB) \n\n"
                + "-                     Class (reserved=1048642KB, committed=2258KB)\n"
                + "                            (classes #3000)\n\n"
                + "-                    Thread (reserved=120000KB, committed="
                + threads
                + "KB)\n"
                + "                            (thread #110)\n\n"
                + "-                      Code (reserved=251000KB, committed="
                + code
                + "KB)\n";
    }

    @Test
    void readsTheCommittedMemoryByCategoryAndTracksItsChange() {
        Map<String, Long> first = NativeMemory.parse(summary(700000, 20480, 10240)).orElseThrow();
        assertThat(first)
                .containsEntry("Total", 700000L)
                .containsEntry("Java Heap", 655360L)
                .containsEntry("Class", 2258L)
                .containsEntry("Thread", 10240L)
                .containsEntry("Code", 20480L);
        assertThat(NativeMemory.parse("12345:\nNative memory tracking is not enabled\n")).isEmpty();

        // Two TaskManagers; the code cache grew 10 MB in all over 10 minutes, threads 1 MB.
        Map<String, Long> later = NativeMemory.parse(summary(711264, 25600, 10752)).orElseThrow();
        String table = NativeMemory.table(List.of(first, first), List.of(later, later), 5.0, 15.0);
        assertThat(table.lines().toList())
                .startsWith(
                        "| committed, MB (NMT) | minute 5.0 | minute 15.0 | per minute |",
                        "|---|---|---|---|",
                        "| Total | 1367.2 | 1389.2 | +2.200 |",
                        "| Code | 40.0 | 50.0 | +1.000 |",
                        "| Thread | 20.0 | 21.0 | +0.100 |")
                .contains("| Java Heap | 1280.0 | 1280.0 | +0.000 |");
    }
}
