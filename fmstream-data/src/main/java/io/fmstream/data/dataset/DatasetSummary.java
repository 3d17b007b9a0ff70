package io.fmstream.data.dataset;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a {@link WindowDatasetBuilder} produced, per source: devices, windows, dropped windows,
 * label counts; and what it did not use: chunks the validator rejected, chunks the assembler
 * refused, signals skipped. Printed by {@code fmstream dataset}.
 *
 * @param sources one entry per source that has at least one device, in {@code source_names} order
 * @param rejectedChunks chunks the {@link io.fmstream.core.ingest.ChunkValidator} dead-lettered, by
 *     reason
 * @param assemblerDeadLetters chunks the window assembler did not accept (duplicate, overlap, late,
 *     inconsistent), by outcome; none are expected from in-order offline feeding
 * @param skipped one line per signal or file left out, with the reason
 */
public record DatasetSummary(
        List<Source> sources,
        Map<String, Long> rejectedChunks,
        Map<String, Long> assemblerDeadLetters,
        List<String> skipped) {

    /** Rhythm class names by code + 1 (code -1 = unknown first). */
    public static final List<String> RHYTHM_NAMES =
            List.of("unknown", "normal", "af", "other", "noisy");

    /** Quality class names by code + 1. */
    public static final List<String> QUALITY_NAMES = List.of("unknown", "good", "poor");

    public DatasetSummary {
        sources = List.copyOf(sources);
        rejectedChunks = Map.copyOf(rejectedChunks);
        assemblerDeadLetters = Map.copyOf(assemblerDeadLetters);
        skipped = List.copyOf(skipped);
    }

    /**
     * One source's figures.
     *
     * @param rhythmCounts windows per rhythm code + 1 (unknown, normal, af, other, noisy)
     * @param qualityCounts windows per quality code + 1 (unknown, good, poor)
     * @param hrKnown windows with a heart rate
     * @param meanMissingFraction mean missing fraction of the emitted windows (NaN without windows)
     */
    public record Source(
            String name,
            int devices,
            long chunks,
            long windows,
            long dropped,
            long[] rhythmCounts,
            long[] qualityCounts,
            long hrKnown,
            double meanMissingFraction) {}

    public long windows() {
        return sources.stream().mapToLong(Source::windows).sum();
    }

    public long dropped() {
        return sources.stream().mapToLong(Source::dropped).sum();
    }

    public int devices() {
        return sources.stream().mapToInt(Source::devices).sum();
    }

    /** The source named {@code name}. */
    public Source source(String name) {
        return sources.stream()
                .filter(s -> s.name().equals(name))
                .findFirst()
                .orElseThrow(
                        () ->
                                new IllegalArgumentException(
                                        "no source " + name + " in the dataset"));
    }

    /** A table for people: one line per source, then totals and what was left out. */
    public String format() {
        StringBuilder b = new StringBuilder();
        b.append(
                String.format(
                        Locale.ROOT,
                        "%-16s %7s %8s %8s %8s %8s  %-44s %-26s %8s%n",
                        "source",
                        "devices",
                        "chunks",
                        "windows",
                        "dropped",
                        "hr known",
                        "rhythm unknown/normal/af/other/noisy",
                        "quality unknown/good/poor",
                        "missing"));
        for (Source s : sources) {
            b.append(
                    String.format(
                            Locale.ROOT,
                            "%-16s %7d %8d %8d %8d %8d  %-44s %-26s %8.4f%n",
                            s.name(),
                            s.devices(),
                            s.chunks(),
                            s.windows(),
                            s.dropped(),
                            s.hrKnown(),
                            join(s.rhythmCounts()),
                            join(s.qualityCounts()),
                            s.meanMissingFraction()));
        }
        b.append(
                String.format(
                        Locale.ROOT,
                        "%-16s %7d %8d %8d %8d%n",
                        "total",
                        devices(),
                        sources.stream().mapToLong(Source::chunks).sum(),
                        windows(),
                        dropped()));
        b.append("rejected chunks (validator): ")
                .append(rejectedChunks.isEmpty() ? "none" : rejectedChunks)
                .append('\n');
        b.append("assembler dead letters: ")
                .append(assemblerDeadLetters.isEmpty() ? "none" : assemblerDeadLetters)
                .append('\n');
        b.append("skipped: ")
                .append(skipped.isEmpty() ? "none" : skipped.size() + " signal(s)")
                .append('\n');
        for (String s : skipped) {
            b.append("  ").append(s).append('\n');
        }
        return b.toString();
    }

    private static String join(long[] counts) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < counts.length; i++) {
            if (i > 0) {
                b.append('/');
            }
            b.append(counts[i]);
        }
        return b.toString();
    }
}
