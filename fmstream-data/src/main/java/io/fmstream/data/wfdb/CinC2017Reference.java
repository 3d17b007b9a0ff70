package io.fmstream.data.wfdb;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The PhysioNet/CinC Challenge 2017 reference labels ({@code REFERENCE.csv}: lines {@code
 * record,label}, no header row), one rhythm class per record: {@code N} normal, {@code A} atrial
 * fibrillation, {@code O} other rhythm, {@code ~} too noisy to classify.
 *
 * <p>Strict on purpose: an unknown label, a duplicate record or a malformed line is a {@link
 * WfdbException} naming the file and line, since a silently dropped or mislabelled record would
 * bias training and cross-validation without anyone noticing.
 */
public final class CinC2017Reference {

    /** The four classes, in the challenge's order. */
    public static final List<String> LABELS = List.of("N", "A", "O", "~");

    private static final Set<String> LABEL_SET = Set.copyOf(LABELS);

    private final Path path;
    private final Map<String, String> labels;

    private CinC2017Reference(Path path, Map<String, String> labels) {
        this.path = path;
        this.labels = Collections.unmodifiableMap(labels);
    }

    /** Reads a REFERENCE.csv. */
    public static CinC2017Reference read(Path csv) {
        List<String> lines;
        try {
            lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new WfdbException(csv, "reference file not found", e);
        } catch (IOException e) {
            throw new WfdbException(csv, "cannot read reference file: " + e, e);
        }
        Map<String, String> labels = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (i == 0 && line.startsWith("\uFEFF")) {
                line = line.substring(1); // a byte-order mark left by spreadsheet tools
            }
            if (line.isEmpty()) {
                continue;
            }
            String[] parts = line.split(",", -1);
            if (parts.length != 2 || parts[0].strip().isEmpty()) {
                throw new WfdbException(
                        csv.toString(), i + 1, "expected \"record,label\", got \"" + line + "\"");
            }
            String record = parts[0].strip();
            String label = parts[1].strip();
            if (!LABEL_SET.contains(label)) {
                throw new WfdbException(
                        csv.toString(),
                        i + 1,
                        "unknown label \""
                                + label
                                + "\" for record "
                                + record
                                + " (expected one of "
                                + LABELS
                                + ")");
            }
            String previous = labels.putIfAbsent(record, label);
            if (previous != null) {
                throw new WfdbException(
                        csv.toString(), i + 1, "record " + record + " is listed twice");
            }
        }
        return new CinC2017Reference(csv, labels);
    }

    public Path path() {
        return path;
    }

    /** Record name to label, in file order (unmodifiable). */
    public Map<String, String> labels() {
        return labels;
    }

    public int size() {
        return labels.size();
    }

    public Optional<String> label(String record) {
        return Optional.ofNullable(labels.get(record));
    }

    /** Number of records per label, for every label in {@link #LABELS} (0 when absent). */
    public Map<String, Integer> countsByLabel() {
        Map<String, Integer> counts = new TreeMap<>();
        for (String l : LABELS) {
            counts.put(l, 0);
        }
        for (String l : labels.values()) {
            counts.merge(l, 1, Integer::sum);
        }
        return counts;
    }

    /** The header file of {@code record}, next to the reference file. */
    public Path headerOf(String record) {
        return path.toAbsolutePath().getParent().resolve(record + ".hea");
    }
}
