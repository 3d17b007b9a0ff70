package io.fmstream.tools.cluster;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The JVM's own account of its native memory ({@code jcmd <pid> VM.native_memory summary}, where
 * the process runs with {@code -XX:NativeMemoryTracking=summary}), read at two points of a soak and
 * compared category by category: which part of the JVM (code cache, metaspace, threads, the
 * collector's tables, NIO buffers, ...) grew. What it cannot see is memory that native libraries
 * allocate themselves (ONNX Runtime's arenas, RocksDB): resident memory outside the Java heap that
 * this does not account for is theirs, or the C allocator's.
 */
final class NativeMemory {

    private static final Pattern CATEGORY =
            Pattern.compile(
                    "^-\\s+(.+?) \\(reserved=(\\d+)KB, committed=(\\d+)KB\\)", Pattern.MULTILINE);

    private static final Pattern TOTAL =
            Pattern.compile("^Total: reserved=(\\d+)KB, committed=(\\d+)KB", Pattern.MULTILINE);

    private NativeMemory() {}

    /**
     * Committed kilobytes by category, "Total" first, from a {@code VM.native_memory summary}
     * output; empty where tracking is off ({@code Native memory tracking is not enabled}).
     */
    static Optional<Map<String, Long>> parse(String summary) {
        Matcher total = TOTAL.matcher(summary);
        if (!total.find()) {
            return Optional.empty();
        }
        Map<String, Long> committed = new LinkedHashMap<>();
        committed.put("Total", Long.parseLong(total.group(2)));
        Matcher m = CATEGORY.matcher(summary);
        while (m.find()) {
            committed.merge(m.group(1).trim(), Long.parseLong(m.group(3)), Long::sum);
        }
        return Optional.of(committed);
    }

    /** {@code jcmd <pid> VM.native_memory summary}, parsed; empty where it is not available. */
    static Optional<Map<String, Long>> read(long pid) {
        Jcmd.Result r = Jcmd.run(pid, "VM.native_memory", "summary");
        return r.ok() ? parse(r.output()) : Optional.empty();
    }

    /**
     * A Markdown table of committed MB by category, summed over the processes: at the first and the
     * last reading, and the change per minute between them, largest change first.
     */
    static String table(
            List<Map<String, Long>> first,
            List<Map<String, Long>> last,
            double firstMinutes,
            double lastMinutes) {
        Map<String, double[]> rows = new LinkedHashMap<>();
        for (Map<String, Long> m : first) {
            m.forEach((k, v) -> rows.computeIfAbsent(k, x -> new double[2])[0] += v / 1024.0);
        }
        for (Map<String, Long> m : last) {
            m.forEach((k, v) -> rows.computeIfAbsent(k, x -> new double[2])[1] += v / 1024.0);
        }
        double minutes = lastMinutes - firstMinutes;
        StringBuilder md =
                new StringBuilder(
                        String.format(
                                Locale.ROOT,
                                "| committed, MB (NMT) | minute %.1f | minute %.1f | per minute |%n"
                                        + "|---|---|---|---|%n",
                                firstMinutes,
                                lastMinutes));
        // The total first, then the categories by how much they moved.
        rows.entrySet().stream()
                .sorted(
                        java.util.Comparator.comparing(
                                        (Map.Entry<String, double[]> e) ->
                                                !e.getKey().equals("Total"))
                                .thenComparing(e -> -Math.abs(e.getValue()[1] - e.getValue()[0])))
                .forEach(
                        e ->
                                md.append(
                                        String.format(
                                                Locale.ROOT,
                                                "| %s | %.1f | %.1f | %+.3f |%n",
                                                e.getKey(),
                                                e.getValue()[0],
                                                e.getValue()[1],
                                                (e.getValue()[1] - e.getValue()[0]) / minutes)));
        return md.toString();
    }
}
