package io.fmstream.tools.cluster;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits a JVM's resident memory into the pages inside its Java heap's reserved address range and
 * everything else (ONNX Runtime's arenas, RocksDB, direct buffers, metaspace, thread stacks, the
 * collector's own tables).
 *
 * <p>Why: process resident memory mixes two things a soak has to tell apart. A full collection
 * compacts the live heap into regions the process may never have written before, and G1 commits
 * heap for old garbage between marking cycles: each touches heap pages for the first time and
 * raises resident memory in a step (+42 MB at the last forced collection of a 15-minute soak, where
 * it had grown 0.9 MB a minute before), bounded by the heap's maximum and measured already by the
 * live heap. A native leak has no such bound and shows only outside the heap's range.
 *
 * <p>The range comes from {@code jcmd <pid> GC.heap_info} ({@code garbage-first heap total ...,
 * used ... [0x..., 0x...)}), once per process (it is reserved at start and never moves); the pages
 * from {@code /proc/<pid>/smaps}, summing the {@code Rss} of every mapping inside the range (G1
 * commits and uncommits regions, which splits the reservation into several mappings). The process's
 * whole resident memory comes from the same read (the sum of every mapping's {@code Rss}), so the
 * two figures of a sample describe one instant: read from {@code /proc/<pid>/status} a moment
 * apart, a collection between the reads could put more heap pages in the split than in the total.
 */
final class HeapResidency {

    private static final Pattern RANGE =
            Pattern.compile("heap\\s+total.*\\[0x([0-9a-fA-F]+),\\s*0x([0-9a-fA-F]+)\\)");

    private static final Pattern MAPPING = Pattern.compile("^([0-9a-f]+)-([0-9a-f]+)\\s");

    /** Reserved heap range by process id. */
    private final Map<Long, long[]> ranges = new HashMap<>();

    /**
     * jcmd's failures by process id: a TaskManager started a moment ago may not answer yet, so it
     * is asked again at the next samples, but not forever (each ask starts a JVM).
     */
    private final Map<Long, Integer> failures = new HashMap<>();

    private static final int MAX_ASKS = 3;

    /**
     * The Java heap's reserved range, {@code [start, end)}, from {@code jcmd GC.heap_info}'s
     * output; empty when the output has none (a collector that prints no range, jcmd's error).
     */
    static Optional<long[]> heapRange(String heapInfo) {
        Matcher m = RANGE.matcher(heapInfo);
        if (!m.find()) {
            return Optional.empty();
        }
        long start = Long.parseUnsignedLong(m.group(1), 16);
        long end = Long.parseUnsignedLong(m.group(2), 16);
        return end > start ? Optional.of(new long[] {start, end}) : Optional.empty();
    }

    /**
     * Kilobytes resident in the mappings of {@code smaps} (the lines of {@code /proc/<pid>/smaps})
     * that lie inside {@code [start, end)}; a mapping straddling an edge (none does for the heap,
     * which the JVM maps on its own) counts in proportion to its overlap.
     */
    static long residentKbWithin(List<String> smaps, long start, long end) {
        long kb = 0;
        long from = 0;
        long to = 0;
        for (String line : smaps) {
            Matcher m = MAPPING.matcher(line);
            if (m.find()) {
                from = Long.parseUnsignedLong(m.group(1), 16);
                to = Long.parseUnsignedLong(m.group(2), 16);
                continue;
            }
            if (line.startsWith("Rss:") && to > from) {
                long overlap = Math.min(to, end) - Math.max(from, start);
                if (overlap > 0) {
                    long rss = Long.parseLong(line.replaceAll("[^0-9]", ""));
                    kb += overlap == to - from ? rss : rss * overlap / (to - from);
                }
            }
        }
        return kb;
    }

    /** Kilobytes resident in all the mappings of {@code smaps}: the process's resident memory. */
    static long residentKb(List<String> smaps) {
        long kb = 0;
        for (String line : smaps) {
            if (line.startsWith("Rss:")) {
                kb += Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return kb;
    }

    /**
     * One process's resident memory from one read of its {@code smaps}, in kilobytes: in all, and
     * inside its Java heap's reserved range with the range's size (the heap's maximum), both -1
     * where the range is unknown (jcmd failed).
     */
    record Split(long residentKb, long heapResidentKb, long heapReservedKb) {
        boolean heapKnown() {
            return heapResidentKb >= 0;
        }
    }

    /** Process {@code pid}'s {@link Split}; empty when its {@code smaps} cannot be read (gone). */
    Optional<Split> split(long pid) {
        long[] r = range(pid);
        List<String> smaps;
        try {
            smaps = Files.readAllLines(Path.of("/proc/" + pid + "/smaps"));
        } catch (Exception e) {
            return Optional.empty(); // gone meanwhile
        }
        return Optional.of(
                r == null
                        ? new Split(residentKb(smaps), -1, -1)
                        : new Split(
                                residentKb(smaps),
                                residentKbWithin(smaps, r[0], r[1]),
                                (r[1] - r[0]) >> 10));
    }

    /** Process {@code pid}'s reserved heap range, asked once; null while jcmd has not told it. */
    private long[] range(long pid) {
        long[] r = ranges.get(pid);
        if (r == null) {
            if (failures.getOrDefault(pid, 0) >= MAX_ASKS) {
                return null;
            }
            Optional<long[]> asked = askJcmd(pid);
            if (asked.isEmpty()) {
                failures.merge(pid, 1, Integer::sum);
                return null;
            }
            r = asked.get();
            ranges.put(pid, r);
        }
        return r;
    }

    private static Optional<long[]> askJcmd(long pid) {
        Jcmd.Result r = Jcmd.run(pid, "GC.heap_info");
        Optional<long[]> range = r.ok() ? heapRange(r.output()) : Optional.empty();
        if (range.isEmpty()) {
            System.out.println(
                    "soak: no Java heap range from jcmd " + pid + " GC.heap_info: " + r.output());
        }
        return range;
    }
}
