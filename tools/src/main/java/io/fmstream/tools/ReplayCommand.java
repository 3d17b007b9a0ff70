package io.fmstream.tools;

import io.fmstream.core.ingest.ValidationRules;
import io.fmstream.core.window.WindowPhase;
import io.fmstream.data.wfdb.WfdbException;
import io.fmstream.data.wfdb.WfdbHeader;
import io.fmstream.data.wfdb.WfdbRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Streams real recordings (WFDB header + signal file, e.g. from ../shared/data) into the sensor
 * topic, each as its own device, at their original pace, accelerated, or as fast as possible, with
 * each record's annotations as ground truth when it has them. Many records share one process and
 * one producer, so evaluating a thousand recordings does not cost a thousand JVM start-ups.
 *
 * <p>Everything that can be checked without the broker (the selection, every header, the chosen
 * lead, the signal files' presence and length) is checked before anything is sent, so a typo fails
 * in a second with one line rather than halfway through a long run.
 */
@Command(
        name = "replay",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Replay WFDB / MAT v4 records into the sensor topic, each record as its own device.",
            "Records are sent concurrently from one producer, each paced on its own clock and all"
                + " starting together; --concurrency bounds how many are in flight (the next starts"
                + " when one finishes).",
            "Timestamps are rebased per record by default so the record ends no later than it is"
                    + " sent (nothing lies in the future of its Kafka append time) and starts on a"
                    + " whole 5 s, so windows line up with it.",
            "Exits with 1 if any record failed; the others still finish.",
            ""
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  fmstream replay --bootstrap-servers localhost:9092 \\",
            "      --record ../shared/data/mitdb/100 --speed 10",
            "  fmstream replay --bootstrap-servers localhost:9092 \\",
            "      --records-from ../shared/data/cinc2017 --as-fast-as-possible",
            "  fmstream replay --bootstrap-servers localhost:9092 \\",
            "      --records-from my-records.txt --limit 100 --speed 10"
        })
public final class ReplayCommand implements Callable<Integer> {

    @Mixin ProducerOptions producer;

    /** Device ids are {@code <folder>-<record>}, lower case, e.g. mitdb-100, cinc2017-a00001. */
    static String defaultDeviceId(Path header, WfdbHeader h) {
        return (header.toAbsolutePath().getParent().getFileName() + "-" + h.recordName())
                .toLowerCase(Locale.ROOT);
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    /** The two ways to name the records; picocli enforces exactly one. */
    static final class Input {
        @Option(
                names = "--record",
                arity = "1..*",
                paramLabel = "RECORD",
                description =
                        "Record path(s) with or without .hea, e.g. ../shared/data/mitdb/100;"
                                + " repeatable.")
        List<Path> records;

        @Option(
                names = "--records-from",
                paramLabel = "DIR_OR_FILE",
                description =
                        "A folder (every .hea record in it, sorted by name) or a text file listing"
                            + " record paths, one per line ('#' comments and blank lines ignored;"
                            + " relative paths are relative to the file's folder).")
        Path recordsFrom;
    }

    @Option(
            names = "--recursive",
            description = "With --records-from FOLDER: include records in its subfolders too.")
    boolean recursive;

    @Option(
            names = "--limit",
            paramLabel = "N",
            description = "Replay only the first N selected records.")
    Integer limit;

    @Option(
            names = "--concurrency",
            paramLabel = "N",
            defaultValue = "256",
            description =
                    "Records in flight at once; a record starts when another finishes "
                            + "(default: ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(
            names = "--lead",
            description = "Signal to send (default: each record's first ECG lead).")
    String lead;

    @Option(
            names = "--device-id",
            description =
                    "Device id of a single record (default: <folder>-<record>, e.g. mitdb-100,"
                            + " cinc2017-a00001).")
    String deviceId;

    @Option(
            names = "--speed",
            defaultValue = "1.0",
            description = "Record seconds per wall-clock second (default: ${DEFAULT-VALUE}).")
    double speed;

    @Option(names = "--as-fast-as-possible", description = "Send without pacing.")
    boolean asFastAsPossible;

    @Option(
            names = "--start",
            description =
                    "Device time of every record's first sample, ISO-8601 "
                            + "(default: rebased per record, see above).")
    Instant start;

    @Option(
            names = "--window-phase",
            defaultValue = "DEVICE",
            description =
                    "The job's fmstream.window.phase: a rebased record starts on its device's"
                        + " window grid, so that the job's windows and the ground-truth spans line"
                        + " up with its first sample (default: ${DEFAULT-VALUE}, the job's).")
    WindowPhase windowPhase;

    @Option(
            names = "--chunk-seconds",
            defaultValue = "1.0",
            description = "Seconds per chunk (default: ${DEFAULT-VALUE}).")
    double chunkSeconds;

    @Option(
            names = "--max-device-id-length",
            defaultValue = "" + ValidationRules.DEFAULT_MAX_DEVICE_ID_LENGTH,
            description =
                    "The job's fmstream.validation.max-device-id-length: a longer device id is"
                            + " refused here, since the job would dead-letter every chunk of it"
                            + " (default: ${DEFAULT-VALUE}, the job's).")
    int maxDeviceIdLength;

    @Option(
            names = "--max-samples-per-chunk",
            defaultValue = "" + ValidationRules.DEFAULT_MAX_SAMPLES_PER_CHUNK,
            description =
                    "The job's fmstream.validation.max-samples-per-chunk: longer chunks are"
                            + " refused here, as above (default: ${DEFAULT-VALUE}, the job's).")
    int maxSamplesPerChunk;

    @Option(
            names = "--progress-every",
            defaultValue = "5",
            description = "Seconds between progress lines (default: ${DEFAULT-VALUE}).")
    double progressEvery;

    @Override
    public Integer call() throws Exception {
        double pace = asFastAsPossible ? Double.POSITIVE_INFINITY : speed;
        if (!(pace > 0)) {
            throw new IllegalArgumentException("--speed must be > 0");
        }
        if (concurrency < 1) {
            throw new IllegalArgumentException("--concurrency must be >= 1, got " + concurrency);
        }
        if (limit != null && limit < 1) {
            throw new IllegalArgumentException("--limit must be >= 1, got " + limit);
        }
        if (!(chunkSeconds > 0)) {
            throw new IllegalArgumentException("--chunk-seconds must be > 0");
        }
        if (!(progressEvery > 0)) {
            throw new IllegalArgumentException("--progress-every must be > 0");
        }
        List<ConcurrentReplay.Source> sources = plan(selectHeaders());

        boolean truth = producer.truthTopicOrNull() != null;

        ConcurrentReplay.Settings settings =
                new ConcurrentReplay.Settings(
                        pace,
                        start == null
                                ? null
                                : start.getEpochSecond() * 1_000_000L + start.getNano() / 1000,
                        chunkSeconds,
                        concurrency,
                        truth,
                        progressEvery,
                        windowPhase);
        try (KafkaPublisher publisher = producer.openPublisher()) {
            ConcurrentReplay.Summary summary =
                    new ConcurrentReplay(publisher, sources, settings).run();
            return summary.failed() == 0 ? 0 : 1;
        }
    }

    /** The header files selected by --record or --records-from (and --limit), in replay order. */
    List<Path> selectHeaders() {
        if (recursive && (input.recordsFrom == null || !Files.isDirectory(input.recordsFrom))) {
            throw new IllegalArgumentException("--recursive applies to --records-from FOLDER only");
        }
        List<Path> headers = new ArrayList<>();
        if (input.records != null) {
            for (Path r : input.records) {
                headers.add(headerPath(r));
            }
        } else if (Files.isDirectory(input.recordsFrom)) {
            headers.addAll(headersIn(input.recordsFrom, recursive));
        } else if (input.recordsFrom.getFileName().toString().endsWith(".hea")) {
            throw new IllegalArgumentException(
                    "--records-from "
                            + input.recordsFrom
                            + " is a record header, not a folder or list: use --record");
        } else if (Files.isRegularFile(input.recordsFrom)) {
            headers.addAll(headersListedIn(input.recordsFrom));
        } else {
            throw new IllegalArgumentException(
                    "--records-from " + input.recordsFrom + ": no such folder or list file");
        }
        return limit == null || headers.size() <= limit
                ? headers
                : new ArrayList<>(headers.subList(0, limit));
    }

    /**
     * Every .hea file in {@code dir} (and its subfolders if recursive), sorted by path relative to
     * it.
     */
    static List<Path> headersIn(Path dir, boolean recursive) {
        List<Path> headers;
        boolean hasSubfolders;
        try (Stream<Path> all = recursive ? Files.walk(dir) : Files.list(dir)) {
            List<Path> entries = all.toList();
            headers =
                    entries.stream()
                            .filter(
                                    p ->
                                            p.getFileName().toString().endsWith(".hea")
                                                    && Files.isRegularFile(p))
                            .sorted(Comparator.comparing(p -> dir.relativize(p).toString()))
                            .toList();
            hasSubfolders = !recursive && entries.stream().anyMatch(Files::isDirectory);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list " + dir + ": " + e.getMessage(), e);
        }
        if (headers.isEmpty()) {
            throw new IllegalArgumentException(
                    "No WFDB records (.hea files) in "
                            + dir
                            + (hasSubfolders ? " (it has subfolders: add --recursive)" : ""));
        }
        return headers;
    }

    /** The records a list file names, one per line, relative paths against the file's folder. */
    static List<Path> headersListedIn(Path listFile) {
        List<String> lines;
        try {
            lines = Files.readAllLines(listFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "Cannot read record list " + listFile + ": " + e.getMessage(), e);
        }
        Path base = listFile.toAbsolutePath().getParent();
        List<Path> headers = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            try {
                headers.add(headerPath(base.resolve(line)));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(
                        listFile + ":" + (i + 1) + ": " + e.getMessage());
            }
        }
        if (headers.isEmpty()) {
            throw new IllegalArgumentException("No records listed in " + listFile);
        }
        return headers;
    }

    /**
     * Refuses a record whose every chunk the job would dead-letter at its validation limits (its
     * defaults unless --max-device-id-length / --max-samples-per-chunk say otherwise): a device id
     * over {@code fmstream.validation.max-device-id-length}, or chunks over {@code
     * fmstream.validation.max-samples-per-chunk}.
     */
    private void refuseWhatTheJobRejects(Path header, String device, double sampleRateHz) {
        if (device.length() > maxDeviceIdLength) {
            throw new IllegalArgumentException(
                    header
                            + ": device id "
                            + device.substring(0, 40)
                            + "... has "
                            + device.length()
                            + " characters; the job dead-letters every chunk of a device id over"
                            + " its fmstream.validation.max-device-id-length ("
                            + maxDeviceIdLength
                            + ", --max-device-id-length): name it with --device-id");
        }
        long chunkSamples = Math.max(1, Math.round(chunkSeconds * sampleRateHz));
        if (chunkSamples > maxSamplesPerChunk) {
            throw new IllegalArgumentException(
                    String.format(
                            Locale.ROOT,
                            "%s: --chunk-seconds %s at %s Hz makes chunks of %d samples; the job"
                                    + " dead-letters chunks over its"
                                    + " fmstream.validation.max-samples-per-chunk (%d,"
                                    + " --max-samples-per-chunk)",
                            header,
                            chunkSeconds,
                            sampleRateHz,
                            chunkSamples,
                            maxSamplesPerChunk));
        }
    }

    /**
     * Parses every header and picks each record's signal and device id, refusing the first bad one
     * (with the header's file:line where the header is at fault, else the file concerned).
     */
    List<ConcurrentReplay.Source> plan(List<Path> headers) {
        if (deviceId != null && headers.size() > 1) {
            throw new IllegalArgumentException(
                    "--device-id names one device, but "
                            + headers.size()
                            + " records are selected (each record's device id is"
                            + " <folder>-<record>)");
        }
        List<ConcurrentReplay.Source> sources = new ArrayList<>(headers.size());
        Map<String, Path> devices = new HashMap<>();
        for (Path header : headers) {
            try {
                WfdbHeader h = WfdbHeader.read(header);
                WfdbHeader.SignalSpec signal =
                        lead == null
                                ? h.firstEcgSignal()
                                        .orElseThrow(
                                                () ->
                                                        new IllegalArgumentException(
                                                                header
                                                                        + ": no ECG lead; pass"
                                                                        + " --lead"))
                                : h.signal(lead)
                                        .orElseThrow(
                                                () ->
                                                        new IllegalArgumentException(
                                                                header
                                                                        + ": no signal named '"
                                                                        + lead
                                                                        + "'; it has "
                                                                        + h.signals().stream()
                                                                                .map(
                                                                                        WfdbHeader
                                                                                                        .SignalSpec
                                                                                                ::description)
                                                                                .toList()));
                WfdbRecord.check(h, s -> s.index() == signal.index());
                String device = deviceId != null ? deviceId : defaultDeviceId(header, h);
                refuseWhatTheJobRejects(header, device, signal.sampleRate(h.samplingFrequency()));
                Path other = devices.putIfAbsent(device, header);
                if (other != null) {
                    throw new IllegalArgumentException(
                            other
                                    + " and "
                                    + header
                                    + " would both be device "
                                    + device
                                    + " (each record must be a distinct device)");
                }
                sources.add(new ConcurrentReplay.Source(header, h, signal, device));
            } catch (WfdbException e) {
                // Its message already names the file (and line); the cause would only add a second
                // line.
                IllegalArgumentException oneLine = new IllegalArgumentException(e.getMessage());
                oneLine.addSuppressed(e);
                throw oneLine;
            }
        }
        return sources;
    }

    static Path headerPath(Path record) {
        String name = record.getFileName().toString();
        Path header = name.endsWith(".hea") ? record : record.resolveSibling(name + ".hea");
        if (!Files.isRegularFile(header)) {
            throw new IllegalArgumentException(
                    "No WFDB header " + header + " (give the record path with or without .hea)");
        }
        return header;
    }
}
