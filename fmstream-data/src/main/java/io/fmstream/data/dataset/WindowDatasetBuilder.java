package io.fmstream.data.dataset;

import io.fmstream.core.ingest.ChunkValidator;
import io.fmstream.core.ingest.ValidationRules;
import io.fmstream.core.model.BundleManifest;
import io.fmstream.core.records.ChunkRecord;
import io.fmstream.core.records.SourceRef;
import io.fmstream.core.records.WindowRecord;
import io.fmstream.core.signal.WindowNormaliser;
import io.fmstream.core.window.ChunkOutcome;
import io.fmstream.core.window.DeviceStreamState;
import io.fmstream.core.window.DeviceWindowAssembler;
import io.fmstream.core.window.WindowListener;
import io.fmstream.core.window.WindowSpec;
import io.fmstream.data.replay.AnnotationTruth;
import io.fmstream.data.replay.RecordChunker;
import io.fmstream.data.sim.DeviceUplink;
import io.fmstream.data.sim.GroundTruthSpan;
import io.fmstream.data.sim.SimulatedChunk;
import io.fmstream.data.sim.SimulatedDevice;
import io.fmstream.data.sim.SimulatedFleet;
import io.fmstream.data.wfdb.CinC2017Reference;
import io.fmstream.data.wfdb.MitAnnotations;
import io.fmstream.data.wfdb.RecordLabels;
import io.fmstream.data.wfdb.WfdbHeader;
import io.fmstream.data.wfdb.WfdbRecord;
import io.fmstream.schemas.DeadLetterReason;
import io.fmstream.schemas.Rhythm;
import io.fmstream.schemas.SensorChunk;
import io.fmstream.schemas.SignalType;
import io.fmstream.schemas.codec.RecordCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Builds the encoder's training windows through the job's own streaming code path, so that what the
 * PyTorch recipe trains on is exactly what the job feeds the encoder (train/serve parity).
 *
 * <p>Path of every window, the same as in the Flink job: {@link SensorChunk} (from {@link
 * RecordChunker} for recordings, from the simulator's uplinks for simulated devices) → Avro
 * single-object encoding → {@link ChunkValidator} (the job's decode-and-validate step, with the
 * job's default {@link #VALIDATION} rules) → {@link ChunkRecord} → {@link DeviceWindowAssembler}
 * (streaming windowed-sinc resampling to the model rate, windows on the epoch grid, gap handling,
 * missing fraction, incomplete windows dropped) → {@link WindowNormaliser#zscore} (what {@link
 * io.fmstream.core.batch.EmbeddingBatch} hands the encoder). Each device has its own assembler and
 * state; offline there is no watermark ({@code Long.MIN_VALUE}), so a gap is declared missing once
 * the device's own data is the allowed lateness past it, or when the device is flushed at its end,
 * which gives the same windows as the job (a chunk lost in a drop-out never arrives, so waiting
 * longer changes nothing).
 *
 * <h2>The .npz contract with the PyTorch recipe</h2>
 *
 * {@link #writeNpz} writes these arrays ({@code N} windows, {@code D} devices, {@code S} sources),
 * rows ordered by device, then window start:
 *
 * <table>
 *   <caption>dataset arrays</caption>
 *   <tr><th>key</th><th>dtype, shape</th><th>meaning</th></tr>
 *   <tr><td>{@code windows}</td><td>float32 [N, 1000]</td><td>the window at 100 Hz, per-window
 *       z-scored exactly as the encoder receives it (missing samples are 0)</td></tr>
 *   <tr><td>{@code missing_fraction}</td><td>float32 [N]</td><td>share of the window's samples
 *       missing (gaps, stream start), at most {@code WindowSpec.DEFAULT_MAX_MISSING_FRACTION}</td></tr>
 *   <tr><td>{@code hr_bpm}</td><td>float32 [N]</td><td>mean heart rate over the window, bpm; NaN
 *       unknown</td></tr>
 *   <tr><td>{@code rhythm}</td><td>int8 [N]</td><td>0 normal, 1 AF, 2 other rhythm, 3 too noisy
 *       to classify (simulated noise RMS ≥ {@value #NOISY_RMS_MV} mV, or CinC 2017 "~"); -1
 *       unknown</td></tr>
 *   <tr><td>{@code quality}</td><td>int8 [N]</td><td>0 good, 1 poor (simulated noise RMS ≥
 *       {@value #NOISY_RMS_MV} mV, or CinC 2017 "~"); -1 unknown</td></tr>
 *   <tr><td>{@code noise_rms_mv}</td><td>float32 [N]</td><td>nominal RMS of the simulated noise,
 *       mV; NaN unknown (all real records)</td></tr>
 *   <tr><td>{@code rhythm_fraction}</td><td>float32 [N]</td><td>share of the window in the
 *       majority rhythm (before the noisy override); 1 for a per-record label; NaN unknown</td></tr>
 *   <tr><td>{@code device}</td><td>int32 [N]</td><td>index into {@code device_names}</td></tr>
 *   <tr><td>{@code window_start_s}</td><td>float32 [N]</td><td>window start in seconds from the
 *       device's stream start (multiples of the 5 s hop: streams start on the grid)</td></tr>
 *   <tr><td>{@code source}</td><td>int8 [N]</td><td>index into {@code source_names}</td></tr>
 *   <tr><td>{@code device_names}</td><td>unicode {@code <U64} [D] (wider only if a name is
 *       longer)</td><td>{@code seed<seed>/sim-<i>} for simulated devices, {@code
 *       <folder>/<record>/<lead>} for recordings, e.g. {@code mitdb/100/MLII}</td></tr>
 *   <tr><td>{@code source_names}</td><td>unicode {@code <U16} [S]</td><td>{@link #KNOWN_SOURCES}
 *       in that order (so indexes are the same in every file), then any other source</td></tr>
 * </table>
 *
 * Labels: simulated devices from the simulator's ground truth over exactly the window's span
 * ({@link DeviceUplink#groundTruth} of the device's samples in {@code [start, end)}); records with
 * MIT {@code .atr} annotations from their beats (heart rate, {@link RecordLabels#heartRate}) and
 * rhythm spans (majority over the window, mapped with {@link AnnotationTruth#rhythmOf}); CinC 2017
 * records from {@code REFERENCE.csv} (one label per record; heart rate unknown); others unknown.
 *
 * <p>Recordings are replayed as the {@code replay} command does, in 1 s chunks, one device per
 * (record, ECG lead), rebased to start at {@link #RECORD_START}, which is on the 5 s grid, so the
 * first window starts at the record's first sample. Not thread-safe.
 */
public final class WindowDatasetBuilder {

    /**
     * Model input rate, Hz, of the shipped bundles; with a bundle at hand use {@link
     * #windowSpec(BundleManifest)}.
     */
    public static final double MODEL_RATE_HZ = 100.0;

    /** Window length, s, of the shipped bundles. */
    public static final double WINDOW_SECONDS = 10.0;

    /** The job's validation defaults ({@code fmstream.validation.*}), defined once in the core. */
    public static final ValidationRules VALIDATION = ValidationRules.DEFAULTS;

    /**
     * Noise RMS (mV) from which a simulated window is labelled too noisy (rhythm 3) and of poor
     * quality: the bottom of the simulator's "heavy" noise class (0.15-0.3 mV), at which the noise
     * RMS is about a fifth of a typical 1 mV QRS and P waves (~0.1-0.2 mV) are buried.
     */
    public static final double NOISY_RMS_MV = 0.2;

    /** Rhythm and quality codes. */
    public static final byte UNKNOWN = -1;

    public static final byte RHYTHM_NORMAL = 0;
    public static final byte RHYTHM_AF = 1;
    public static final byte RHYTHM_OTHER = 2;
    public static final byte RHYTHM_NOISY = 3;
    public static final byte QUALITY_GOOD = 0;
    public static final byte QUALITY_POOR = 1;

    /** Sources in the order of {@code source_names}; other sources are appended after them. */
    public static final List<String> KNOWN_SOURCES =
            List.of("sim", "mitdb", "cinc2017", "cinc2015", "ptbdb", "mimicdb", "scipy-mitdb208");

    public static final int DEVICE_NAME_WIDTH = 64;
    public static final int SOURCE_NAME_WIDTH = 16;

    /** Stream start of every replayed recording: a whole 5 s, so windows start with the record. */
    public static final Instant RECORD_START = Instant.parse("2026-01-01T00:00:00Z");

    public static final long RECORD_START_MICROS = RECORD_START.getEpochSecond() * 1_000_000L;

    /** Chunk length of replayed recordings, s (the replay command's default). */
    public static final double CHUNK_SECONDS = 1.0;

    /** Device time between polls of a simulated fleet; bounds the chunks held at once. */
    static final long POLL_STEP_MICROS = 10_000_000L;

    /** scipy's MIT-BIH 208 excerpt: 360 Hz, mV = (x - 1024) / 200. */
    static final double SCIPY_ECG_RATE_HZ = 360.0;

    static final double SCIPY_ECG_GAIN = 200.0;
    static final int SCIPY_ECG_BASELINE = 1024;

    /** Topic name put in the chunks' source references (nothing is sent anywhere). */
    static final String SOURCE_TOPIC = "dataset-builder";

    private final WindowSpec spec;
    // ECG datasets only: the recordings' ECG leads are what it reads.
    private final ChunkValidator validator = new ChunkValidator(VALIDATION, SignalType.ECG);
    private final RecordCodec<SensorChunk> codec = RecordCodec.forType(SensorChunk.class);
    private final Consumer<String> progress;

    private final List<Device> devices = new ArrayList<>();
    private final Set<String> deviceNames = new HashSet<>();
    private final List<String> sourceNames = new ArrayList<>(KNOWN_SOURCES);
    private final List<Row> rows = new ArrayList<>();
    private final Map<String, Long> rejected = new TreeMap<>();
    private final Map<String, Long> assemblerDeadLetters = new TreeMap<>();
    private final List<String> skipped = new ArrayList<>();
    private final Map<Path, CinC2017Reference> references = new HashMap<>();

    /** A builder with the default geometry ({@link #defaultSpec()}), reporting progress nowhere. */
    public WindowDatasetBuilder() {
        this(defaultSpec(), line -> {});
    }

    /**
     * @param spec window geometry; use {@link #windowSpec} to build it as the job does
     * @param progress receives a line per input (record or fleet) as it is processed
     */
    public WindowDatasetBuilder(WindowSpec spec, Consumer<String> progress) {
        this.spec = spec;
        this.progress = progress;
    }

    /**
     * A bundle's geometry and hop with the job's default lateness and missing bound, as the job
     * builds it.
     */
    public static WindowSpec windowSpec(BundleManifest manifest) {
        return WindowSpec.of(
                manifest.inputSampleRateHz(),
                manifest.windowSeconds(),
                manifest.hop(),
                WindowSpec.DEFAULT_ALLOWED_LATENESS,
                WindowSpec.DEFAULT_MAX_MISSING_FRACTION);
    }

    /**
     * The shipped bundles' geometry (100 Hz, 10 s) with the job's defaults (5 s hop, 60 s lateness,
     * 20 % missing).
     */
    public static WindowSpec defaultSpec() {
        return WindowSpec.withDefaults(MODEL_RATE_HZ, WINDOW_SECONDS);
    }

    public WindowSpec spec() {
        return spec;
    }

    // ---------------------------------------------------------------------------------------
    // Devices: the streaming path
    // ---------------------------------------------------------------------------------------

    /**
     * Starts a device: offer its chunks in stream order, then {@link DeviceFeed#finish()}.
     *
     * @param name unique name in {@code device_names}
     * @param source source name ({@code source_names})
     * @param streamStartMicros device time that {@code window_start_s} counts from
     * @param labeller labels each emitted window
     * @throws IllegalArgumentException if a device of that name exists already
     */
    public DeviceFeed openDevice(
            String name, String source, long streamStartMicros, WindowLabeller labeller) {
        if (deviceNames.contains(name)) {
            throw new IllegalArgumentException(
                    "device " + name + " is already in the dataset (was a record listed twice?)");
        }
        int sourceIndex = sourceNames.indexOf(source);
        if (sourceIndex < 0) {
            if (sourceNames.size() == Byte.MAX_VALUE + 1) {
                throw new IllegalStateException(
                        "source "
                                + source
                                + ": more than "
                                + (Byte.MAX_VALUE + 1)
                                + " sources do not fit the int8 source column");
            }
            sourceNames.add(source);
            sourceIndex = sourceNames.size() - 1;
        }
        deviceNames.add(name);
        Device d =
                new Device(
                        devices.size(),
                        name,
                        sourceIndex,
                        streamStartMicros,
                        labeller,
                        // Offline, latency is moot: windows in stream order, so a dataset's
                        // rows come out in the same order on every rebuild.
                        DeviceWindowAssembler.inStreamOrder(spec));
        devices.add(d);
        return new DeviceFeed(d);
    }

    /** One device's input. Not thread-safe. */
    public final class DeviceFeed {
        private final Device d;

        private DeviceFeed(Device d) {
            this.d = d;
        }

        public String name() {
            return d.name;
        }

        /**
         * Offers a chunk as the job would receive it: encoded, validated (a rejected chunk is
         * counted under its dead-letter reason, as the job would dead-letter it), then given to the
         * device's assembler; windows it completes are labelled, normalised and kept.
         *
         * @param appendTimeMillis the Kafka append time the chunk would have (the validator's
         *     FUTURE check compares with it): when it was sent
         */
        public void offer(SensorChunk chunk, long appendTimeMillis) {
            if (d.finished) {
                throw new IllegalStateException("device " + d.name + " is finished");
            }
            byte[] payload = codec.encode(chunk);
            SourceRef ref =
                    new SourceRef(
                            SOURCE_TOPIC,
                            0,
                            d.chunks,
                            appendTimeMillis,
                            chunk.getDeviceId().getBytes(StandardCharsets.UTF_8),
                            payload);
            d.chunks++;
            ChunkValidator.Result r = validator.validate(ref);
            if (r.deadLetter != null) {
                DeadLetterReason reason = r.deadLetter.reason;
                rejected.merge(reason.name(), 1L, Long::sum);
                return;
            }
            ChunkRecord c = r.chunk;
            if (d.state == null) {
                d.state = d.assembler.newState(c);
            }
            // No watermark offline: gaps close by the device's own later data or at finish().
            ChunkOutcome outcome =
                    d.assembler.offer(d.state, c, Long.MIN_VALUE, d.listener).outcome();
            if (outcome != ChunkOutcome.ACCEPTED && outcome != ChunkOutcome.PENDING) {
                assemblerDeadLetters.merge(outcome.name(), 1L, Long::sum);
            }
        }

        /**
         * Ends the device's stream: remaining gaps are declared missing and its last windows
         * emitted or dropped.
         */
        public void finish() {
            if (d.finished) {
                return;
            }
            if (d.state != null) {
                d.assembler.flush(d.state, d.listener);
            }
            d.finished = true;
        }
    }

    // ---------------------------------------------------------------------------------------
    // Simulated devices
    // ---------------------------------------------------------------------------------------

    /**
     * Adds every device of a simulated fleet, polled from its start up to device time {@code
     * endMicros}: every chunk recorded by then is fed, including a backlog still held by an offline
     * period that outlasts the end (released as the device would release it); chunks lost in
     * drop-outs never come, which the assembler turns into gaps and missing fractions. Chunks
     * recorded after the end are not used. Device names are {@code namePrefix + deviceId}.
     *
     * @throws IllegalStateException if a device's chunks did not come in stream order
     */
    public void addSimulatedFleet(SimulatedFleet fleet, long endMicros, String namePrefix) {
        long t0 = System.nanoTime();
        Map<String, DeviceFeed> feeds = new LinkedHashMap<>();
        Map<String, Long> nextIndex = new HashMap<>();
        long start = Long.MAX_VALUE;
        for (DeviceUplink u : fleet.uplinks()) {
            SimulatedDevice device = u.device();
            start = Math.min(start, device.startTimeMicros());
            feeds.put(
                    u.deviceId(),
                    openDevice(
                            namePrefix + u.deviceId(),
                            "sim",
                            device.startTimeMicros(),
                            simulatedLabeller(u)));
            nextIndex.put(u.deviceId(), 0L);
        }
        if (endMicros <= start) {
            throw new IllegalArgumentException(
                    "end " + endMicros + " us is not after the fleet's start " + start + " us");
        }
        // Poll in steps of device time, as a driver would, and feed each chunk at once: the window
        // labels query the simulator's beat history, which the uplink trims behind what it sends.
        for (long t = Math.min(endMicros, start + POLL_STEP_MICROS);
                ;
                t = Math.min(endMicros, t + POLL_STEP_MICROS)) {
            for (SimulatedChunk c : fleet.poll(t)) {
                feedSimulated(feeds, nextIndex, c, endMicros);
            }
            if (t == endMicros) {
                break;
            }
        }
        // A device offline at the end still holds chunks recorded before it: it sends them when it
        // comes back (poll order per device is stream order).
        for (DeviceUplink u : fleet.uplinks()) {
            while (u.recordedAtMicros(u.nextChunkIndex()) <= endMicros) {
                long release = u.nextReleaseMicros();
                for (SimulatedChunk c : u.poll(release)) {
                    feedSimulated(feeds, nextIndex, c, endMicros);
                }
            }
        }
        for (DeviceFeed f : feeds.values()) {
            f.finish();
        }
        progress.accept(
                String.format(
                        Locale.ROOT,
                        "simulated fleet %s: %d devices, %.0f s each, in %.1f s",
                        namePrefix,
                        feeds.size(),
                        (endMicros - start) / 1e6,
                        (System.nanoTime() - t0) / 1e9));
    }

    private static void feedSimulated(
            Map<String, DeviceFeed> feeds,
            Map<String, Long> nextIndex,
            SimulatedChunk c,
            long endMicros) {
        if (c.recordedAtMicros() > endMicros) {
            return;
        }
        long first = c.chunk().getFirstSampleIndex();
        long expectedAtLeast = nextIndex.get(c.deviceId());
        if (first < expectedAtLeast) {
            throw new IllegalStateException(
                    "chunk of "
                            + c.deviceId()
                            + " at index "
                            + first
                            + " arrived after index "
                            + expectedAtLeast
                            + ": device chunks must be fed in stream order");
        }
        nextIndex.put(c.deviceId(), first + c.chunk().getSamples().remaining() / 2);
        feeds.get(c.deviceId()).offer(c.chunk(), Math.floorDiv(c.releasedAtMicros() + 999, 1000));
    }

    /**
     * Labels from the simulator's ground truth over the device's samples in {@code [start, end)}.
     */
    static WindowLabeller simulatedLabeller(DeviceUplink uplink) {
        SimulatedDevice device = uplink.device();
        return (startMicros, endMicros) -> {
            long from =
                    device.firstSampleAtOrAfter(Math.max(startMicros, device.startTimeMicros()));
            long to = device.firstSampleAtOrAfter(endMicros);
            return simulatedLabels(uplink.groundTruth(from, to));
        };
    }

    /** The dataset labels of a simulated span. */
    public static WindowLabels simulatedLabels(GroundTruthSpan truth) {
        boolean noisy = truth.noiseRmsMv() >= NOISY_RMS_MV;
        byte rhythm =
                switch (truth.rhythm()) {
                    case NORMAL -> RHYTHM_NORMAL;
                    case AF -> RHYTHM_AF;
                    case OTHER -> RHYTHM_OTHER;
                };
        return new WindowLabels(
                (float) truth.meanHeartRateBpm(),
                noisy ? RHYTHM_NOISY : rhythm,
                noisy ? QUALITY_POOR : QUALITY_GOOD,
                (float) truth.noiseRmsMv(),
                (float) truth.rhythmFraction());
    }

    // ---------------------------------------------------------------------------------------
    // Recordings
    // ---------------------------------------------------------------------------------------

    /**
     * Adds what {@code path} names: a WFDB record (header path, with or without {@code .hea}),
     * scipy's {@code scipy-mitdb208/ecg.npz}, or a directory, meaning every record in it and its
     * subdirectories, in path order.
     *
     * @throws IllegalArgumentException if nothing usable is there
     */
    public void addPath(Path path, boolean allEcgLeads) {
        if (Files.isDirectory(path)) {
            List<Path> files;
            try (Stream<Path> walk = Files.walk(path)) {
                files = walk.filter(Files::isRegularFile).sorted().toList();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + path, e);
            }
            long t0 = System.nanoTime();
            int added = 0;
            int devicesBefore = devices.size();
            int windowsBefore = rows.size();
            for (Path f : files) {
                String n = f.getFileName().toString();
                if (n.endsWith(".hea")) {
                    addRecord(f, allEcgLeads, false);
                    added++;
                } else if (n.endsWith(".npz")) {
                    if (isScipyEcg(f)) {
                        addScipyMitdb208(f);
                        added++;
                    } else {
                        skipped.add(
                                f
                                        + ": not a known recording layout (only"
                                        + " scipy-mitdb208/ecg.npz is read)");
                    }
                }
            }
            if (added == 0) {
                throw new IllegalArgumentException(
                        "no WFDB record (.hea) or known .npz recording under " + path);
            }
            progress.accept(
                    String.format(
                            Locale.ROOT,
                            "%s: %d recording(s), %d device(s), %d window(s), in %.2f s",
                            path,
                            added,
                            devices.size() - devicesBefore,
                            rows.size() - windowsBefore,
                            (System.nanoTime() - t0) / 1e9));
            return;
        }
        String n = path.getFileName().toString();
        if (n.endsWith(".npz")) {
            if (!isScipyEcg(path)) {
                throw new IllegalArgumentException(
                        path + ": only scipy-mitdb208/ecg.npz is a known .npz recording");
            }
            addScipyMitdb208(path);
            return;
        }
        Path header = n.endsWith(".hea") ? path : path.resolveSibling(n + ".hea");
        if (!Files.isRegularFile(header)) {
            throw new IllegalArgumentException(
                    "no record, directory or .npz at " + path + " (looked for " + header + ")");
        }
        addRecord(header, allEcgLeads);
    }

    private static boolean isScipyEcg(Path f) {
        Path parent = f.toAbsolutePath().getParent();
        return f.getFileName().toString().equals("ecg.npz")
                && parent != null
                && parent.getFileName().toString().equals("scipy-mitdb208");
    }

    /**
     * Adds a WFDB record: its first ECG lead, or every ECG lead, each as one device named {@code
     * <folder>/<record>/<lead>}. Non-ECG signals and signals whose file is absent (ptbdb's {@code
     * .xyz}) are skipped and listed in the summary.
     *
     * @return the device names added
     */
    public List<String> addRecord(Path headerFile, boolean allEcgLeads) {
        return addRecord(headerFile, allEcgLeads, true);
    }

    /**
     * {@link #addRecord(Path, boolean)}, reporting a progress line per record only if {@code
     * report}.
     */
    private List<String> addRecord(Path headerFile, boolean allEcgLeads, boolean report) {
        long t0 = System.nanoTime();
        WfdbHeader h = WfdbHeader.read(headerFile);
        String folder = h.directory().getFileName().toString();
        String record = folder + "/" + h.recordName();
        List<WfdbHeader.SignalSpec> ecg = new ArrayList<>();
        for (WfdbHeader.SignalSpec s : h.signals()) {
            if (!s.isEcgLead()) {
                skipped.add(record + "/" + s.description() + ": not an ECG lead");
            } else if (!Files.isRegularFile(h.signalFile(s))) {
                skipped.add(
                        record
                                + "/"
                                + s.description()
                                + ": signal file "
                                + s.fileName()
                                + " is absent");
            } else {
                ecg.add(s);
            }
        }
        if (ecg.isEmpty()) {
            skipped.add(record + ": no readable ECG lead");
            return List.of();
        }
        Set<Integer> wanted = new HashSet<>();
        for (WfdbHeader.SignalSpec s : allEcgLeads ? ecg : ecg.subList(0, 1)) {
            wanted.add(s.index());
        }
        WfdbRecord rec = WfdbRecord.read(h, s -> wanted.contains(s.index()));
        String source = sourceOfFolder(folder);
        WindowLabeller labeller = recordLabeller(h, RECORD_START_MICROS);
        List<String> names = new ArrayList<>();
        for (WfdbRecord.Signal sig : rec.signals()) {
            short[] raw = sig.samples();
            String name = record + "/" + sig.name();
            addSignal(
                    name,
                    source,
                    sig.name(),
                    sig.sampleRate(),
                    raw,
                    sig.gain(),
                    sig.baseline(),
                    sig.units(),
                    labeller);
            names.add(name);
        }
        if (report) {
            progress.accept(
                    String.format(
                            Locale.ROOT,
                            "%s: %s, %.1f s, in %.2f s",
                            record,
                            rec.signals().stream()
                                    .map(s -> s.name() + "@" + s.sampleRate() + "Hz")
                                    .toList(),
                            rec.durationSeconds(),
                            (System.nanoTime() - t0) / 1e9));
        }
        return names;
    }

    /**
     * Adds scipy's excerpt of MIT-BIH record 208 (lead MLII, 360 Hz, uint16, mV = (x - 1024) /
     * 200), unlabelled.
     */
    public String addScipyMitdb208(Path npz) {
        NpyReader.Array ecg;
        try {
            ecg = NpyReader.readNpz(npz).get("ecg");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + npz, e);
        }
        if (ecg == null || ecg.shape().length != 1 || !ecg.kind().equals("u2")) {
            throw new IllegalArgumentException(
                    npz + ": expected a 1-D uint16 array 'ecg', got " + ecg);
        }
        int[] values = ecg.asInts();
        short[] raw = new short[values.length];
        for (int i = 0; i < values.length; i++) {
            // uint16 ADC values of an 11-bit converter: they fit the wire's int16.
            if (values[i] > Short.MAX_VALUE) {
                throw new IllegalArgumentException(
                        npz + ": sample " + i + " = " + values[i] + " does not fit int16");
            }
            raw[i] = (short) values[i];
        }
        String name = "scipy-mitdb208/208/MLII";
        addSignal(
                name,
                "scipy-mitdb208",
                "MLII",
                SCIPY_ECG_RATE_HZ,
                raw,
                SCIPY_ECG_GAIN,
                SCIPY_ECG_BASELINE,
                "mV",
                WindowLabeller.NONE);
        progress.accept(
                String.format(
                        Locale.ROOT,
                        "%s: %.1f s at %.0f Hz",
                        name,
                        raw.length / SCIPY_ECG_RATE_HZ,
                        SCIPY_ECG_RATE_HZ));
        return name;
    }

    /**
     * Replays one recorded signal as one device: {@link RecordChunker} in {@link #CHUNK_SECONDS}
     * chunks from {@link #RECORD_START}, each offered with the append time it would have if sent
     * live (just after its last sample), then the device is finished.
     */
    public void addSignal(
            String deviceName,
            String source,
            String channel,
            double sampleRateHz,
            short[] raw,
            double gain,
            int baseline,
            String unit,
            WindowLabeller labeller) {
        int chunkSamples = (int) Math.max(1, Math.round(CHUNK_SECONDS * sampleRateHz));
        // WFDB invalid-sample markers stay samples here, unlike in replay: the shipped bundles'
        // datasets (manifest sha256) were built that way, and in the shared data only
        // cinc2015/v102s
        // has any (3 samples in lead II, 2 in V). Making them gaps belongs with the next bundle.
        RecordChunker chunker =
                new RecordChunker(
                        deviceName,
                        channel,
                        sampleRateHz,
                        raw,
                        gain,
                        baseline,
                        unit,
                        RECORD_START_MICROS,
                        chunkSamples);
        DeviceFeed feed = openDevice(deviceName, source, RECORD_START_MICROS, labeller);
        while (chunker.hasNext()) {
            long endMicros = chunker.chunkEndMicros(chunker.position());
            feed.offer(chunker.next(), Math.floorDiv(endMicros + 999, 1000));
        }
        feed.finish();
    }

    /**
     * The source name of a shared-data folder: {@code cinc2017-train} is {@code cinc2017}, others
     * their name.
     */
    public static String sourceOfFolder(String folder) {
        String f = folder.toLowerCase(Locale.ROOT);
        return f.startsWith("cinc2017") ? "cinc2017" : f;
    }

    /**
     * Labels of a record's windows: from its MIT annotations if it has a {@code .atr}, else from a
     * CinC 2017 {@code REFERENCE.csv} beside it if that lists the record, else unknown.
     */
    WindowLabeller recordLabeller(WfdbHeader h, long streamStartMicros) {
        Path atr = h.directory().resolve(h.recordName() + ".atr");
        if (Files.isRegularFile(atr)) {
            RecordLabels labels = RecordLabels.of(MitAnnotations.read(atr), h);
            return (startMicros, endMicros) ->
                    annotationLabels(
                            labels,
                            (startMicros - streamStartMicros) / 1e6,
                            (endMicros - streamStartMicros) / 1e6);
        }
        Path csv = h.directory().resolve("REFERENCE.csv");
        if (Files.isRegularFile(csv)) {
            CinC2017Reference reference = references.computeIfAbsent(csv, CinC2017Reference::read);
            String label = reference.label(h.recordName()).orElse(null);
            if (label != null) {
                WindowLabels labels = cinc2017Labels(label);
                return (startMicros, endMicros) -> labels;
            }
        }
        return WindowLabeller.NONE;
    }

    /**
     * A CinC 2017 reference label as window labels: N 0, A 1, O 2, ~ 3 (and poor quality); heart
     * rate unknown.
     */
    public static WindowLabels cinc2017Labels(String label) {
        return switch (label) {
            // The challenge's annotators could classify N, A and O records, so their quality was
            // adequate; "~" is their "too noisy to classify".
            case "N" -> new WindowLabels(Float.NaN, RHYTHM_NORMAL, QUALITY_GOOD, Float.NaN, 1f);
            case "A" -> new WindowLabels(Float.NaN, RHYTHM_AF, QUALITY_GOOD, Float.NaN, 1f);
            case "O" -> new WindowLabels(Float.NaN, RHYTHM_OTHER, QUALITY_GOOD, Float.NaN, 1f);
            case "~" -> new WindowLabels(Float.NaN, RHYTHM_NOISY, QUALITY_POOR, Float.NaN, 1f);
            default ->
                    throw new IllegalArgumentException("unknown CinC 2017 label \"" + label + "\"");
        };
    }

    /**
     * Labels of {@code [a, b)} seconds of an annotated record: mean heart rate of its beats, and
     * the rhythm covering most of it, mapped with {@link AnnotationTruth#rhythmOf} so that the
     * labels agree with the replay's ground truth: (N and (SBR 0; (AFIB and (AFL 1; any other
     * rhythm 2; rhythm unknown where no rhythm span covers the window.
     */
    static WindowLabels annotationLabels(RecordLabels labels, double a, double b) {
        double hr = labels.heartRate(a, b);
        Map<Rhythm, Double> seconds = new LinkedHashMap<>();
        for (RecordLabels.RhythmSpan span : labels.rhythmSpans()) {
            double overlap = Math.min(b, span.endSeconds()) - Math.max(a, span.startSeconds());
            if (overlap > 0) {
                seconds.merge(AnnotationTruth.rhythmOf(span.label()), overlap, Double::sum);
            }
        }
        Rhythm best = null;
        for (Map.Entry<Rhythm, Double> e : seconds.entrySet()) {
            if (best == null || e.getValue() > seconds.get(best)) {
                best = e.getKey();
            }
        }
        byte rhythm =
                best == null
                        ? UNKNOWN
                        : switch (best) {
                            case NORMAL -> RHYTHM_NORMAL;
                            case AF -> RHYTHM_AF;
                            case OTHER -> RHYTHM_OTHER;
                            case UNKNOWN -> UNKNOWN;
                        };
        float fraction = rhythm == UNKNOWN ? Float.NaN : (float) (seconds.get(best) / (b - a));
        return new WindowLabels((float) hr, rhythm, UNKNOWN, Float.NaN, fraction);
    }

    // ---------------------------------------------------------------------------------------
    // Output
    // ---------------------------------------------------------------------------------------

    /** Windows kept so far. */
    public int windowCount() {
        return rows.size();
    }

    /**
     * The normalised windows of device {@code name}, in start order (for tests and checks; not
     * copies).
     */
    public List<float[]> windowsOf(String name) {
        Device d = device(name);
        return rows.stream().filter(r -> r.device == d.index).map(r -> r.window).toList();
    }

    /** The window starts (s from the stream start) of device {@code name}, in order. */
    public List<Float> windowStartsOf(String name) {
        Device d = device(name);
        return rows.stream().filter(r -> r.device == d.index).map(r -> r.startSeconds).toList();
    }

    /** The labels of device {@code name}'s windows, in order. */
    public List<WindowLabels> labelsOf(String name) {
        Device d = device(name);
        return rows.stream().filter(r -> r.device == d.index).map(r -> r.labels).toList();
    }

    /** The missing fractions of device {@code name}'s windows, in order. */
    public List<Float> missingFractionsOf(String name) {
        Device d = device(name);
        return rows.stream().filter(r -> r.device == d.index).map(r -> r.missing).toList();
    }

    public List<String> deviceNames() {
        return devices.stream().map(d -> d.name).toList();
    }

    private Device device(String name) {
        return devices.stream()
                .filter(d -> d.name.equals(name))
                .findFirst()
                .orElseThrow(
                        () ->
                                new IllegalArgumentException(
                                        "no device " + name + "; have " + deviceNames()));
    }

    /** Figures of what has been built so far. */
    public DatasetSummary summary() {
        List<DatasetSummary.Source> out = new ArrayList<>();
        for (int s = 0; s < sourceNames.size(); s++) {
            final int source = s;
            List<Device> ds = devices.stream().filter(d -> d.sourceIndex == source).toList();
            if (ds.isEmpty()) {
                continue;
            }
            long[] rhythm = new long[5];
            long[] quality = new long[3];
            long hrKnown = 0;
            long windows = 0;
            double missing = 0;
            for (Row r : rows) {
                if (devices.get(r.device).sourceIndex != source) {
                    continue;
                }
                windows++;
                rhythm[r.labels.rhythm() + 1]++;
                quality[r.labels.quality() + 1]++;
                if (!Float.isNaN(r.labels.hrBpm())) {
                    hrKnown++;
                }
                missing += r.missing;
            }
            out.add(
                    new DatasetSummary.Source(
                            sourceNames.get(s),
                            ds.size(),
                            ds.stream().mapToLong(d -> d.chunks).sum(),
                            windows,
                            ds.stream().mapToLong(d -> d.dropped).sum(),
                            rhythm,
                            quality,
                            hrKnown,
                            windows == 0 ? Double.NaN : missing / windows));
        }
        return new DatasetSummary(out, rejected, assemblerDeadLetters, skipped);
    }

    /**
     * Writes the dataset as {@code .npz} (see the class comment for the arrays), stored or
     * deflated, through a partial file renamed at the end.
     *
     * @throws IllegalStateException if a device was opened but not finished
     */
    public DatasetSummary writeNpz(Path out, boolean compressed) throws IOException {
        for (Device d : devices) {
            if (!d.finished) {
                throw new IllegalStateException(
                        "device " + d.name + " was not finished: its last windows are missing");
            }
        }
        // Rows come per device in start order, interleaved across devices of a fleet: a stable
        // sort by device gives device-then-start order without touching the windows themselves.
        List<Row> ordered = new ArrayList<>(rows);
        ordered.sort(Comparator.comparingInt(r -> r.device));
        int n = ordered.size();
        List<float[]> windows = new ArrayList<>(n);
        float[] missing = new float[n];
        float[] hr = new float[n];
        byte[] rhythm = new byte[n];
        byte[] quality = new byte[n];
        float[] noise = new float[n];
        float[] fraction = new float[n];
        int[] device = new int[n];
        float[] start = new float[n];
        byte[] source = new byte[n];
        for (int i = 0; i < n; i++) {
            Row r = ordered.get(i);
            windows.add(r.window);
            missing[i] = r.missing;
            hr[i] = r.labels.hrBpm();
            rhythm[i] = r.labels.rhythm();
            quality[i] = r.labels.quality();
            noise[i] = r.labels.noiseRmsMv();
            fraction[i] = r.labels.rhythmFraction();
            device[i] = r.device;
            start[i] = r.startSeconds;
            source[i] = (byte) devices.get(r.device).sourceIndex;
        }
        List<String> names = deviceNames();
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (NpzWriter w = new NpzWriter(out, compressed)) {
            w.add("windows", NpyArray.float32Rows(windows, spec.windowSamples()));
            w.add("missing_fraction", NpyArray.float32(missing));
            w.add("hr_bpm", NpyArray.float32(hr));
            w.add("rhythm", NpyArray.int8(rhythm));
            w.add("quality", NpyArray.int8(quality));
            w.add("noise_rms_mv", NpyArray.float32(noise));
            w.add("rhythm_fraction", NpyArray.float32(fraction));
            w.add("device", NpyArray.int32(device));
            w.add("window_start_s", NpyArray.float32(start));
            w.add("source", NpyArray.int8(source));
            w.add(
                    "device_names",
                    NpyArray.unicode(names, NpyArray.unicodeWidth(names, DEVICE_NAME_WIDTH)));
            w.add(
                    "source_names",
                    NpyArray.unicode(
                            sourceNames, NpyArray.unicodeWidth(sourceNames, SOURCE_NAME_WIDTH)));
            w.finish();
        }
        return summary();
    }

    // ---------------------------------------------------------------------------------------

    /** One kept window: its device, normalised samples, missing fraction, start and labels. */
    private record Row(
            int device, float[] window, float missing, float startSeconds, WindowLabels labels) {}

    /** Per-device assembler, state and counters. */
    private final class Device {
        final int index;
        final String name;
        final int sourceIndex;
        final long streamStartMicros;
        final WindowLabeller labeller;
        final DeviceWindowAssembler assembler;
        final WindowListener listener;
        DeviceStreamState state;
        long chunks;
        long dropped;
        boolean finished;

        Device(
                int index,
                String name,
                int sourceIndex,
                long streamStartMicros,
                WindowLabeller labeller,
                DeviceWindowAssembler assembler) {
            this.index = index;
            this.name = name;
            this.sourceIndex = sourceIndex;
            this.streamStartMicros = streamStartMicros;
            this.labeller = labeller;
            this.assembler = assembler;
            this.listener =
                    new WindowListener() {
                        @Override
                        public void emitted(WindowRecord w) {
                            WindowLabels labels =
                                    Device.this.labeller.label(
                                            w.windowStartMicros, w.windowEndMicros);
                            // The record's samples are the assembler's own copy and nothing else
                            // reads them,
                            // so normalise in place (zscore reads all values before writing each
                            // one back).
                            WindowNormaliser.zscore(w.samples, w.samples, 0);
                            rows.add(
                                    new Row(
                                            Device.this.index,
                                            w.samples,
                                            w.missingFraction,
                                            (float)
                                                    ((w.windowStartMicros
                                                                    - Device.this.streamStartMicros)
                                                            / 1e6),
                                            labels));
                        }

                        @Override
                        public void droppedIncomplete(
                                String deviceId, long windowStartMicros, float missingFraction) {
                            dropped++;
                        }
                    };
        }
    }
}
