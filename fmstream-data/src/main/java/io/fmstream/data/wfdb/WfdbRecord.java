package io.fmstream.data.wfdb;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The samples of a WFDB record, read in full from its signal files (signal(5)).
 *
 * <p>Supported storage formats: 212 (pairs of 12-bit two's complement samples in 3 bytes), 16
 * (int16 little-endian), 80 (8-bit offset binary), each with an optional byte offset, which covers
 * the CinC challenges' MAT v4 files ({@code 16+24}: a 24-byte MAT header, then int16 little-endian;
 * a 3-signal matrix is stored column-major, i.e. interleaved per frame exactly like a WFDB file).
 * All of them fit in 16 bits, so samples are kept as {@code short} raw ADC values; {@link
 * Signal#physical(int)} converts with {@code (adu - baseline) / gain}.
 *
 * <p>Signals naming the same file are interleaved in frames, in header order: each frame holds
 * {@code samplesPerFrame} consecutive samples of each signal of that file, so a signal with {@code
 * xN} is sampled at N × the frame frequency (mimicdb/03700181: MCL1 at 4 × 125 = 500 Hz beside ABP
 * and RESP at 125 Hz). Format 212 packs the file's sample stream in pairs regardless of which
 * signal a sample belongs to, which is how WFDB writes it.
 *
 * <p>Not supported: skew ({@code :N}) is parsed but ignored, samples are returned as stored,
 * without WFDB's realignment (the headers' initial values and checksums describe the stored
 * samples, so nothing checks against it); multi-segment records; formats other than the three above
 * (refused with a {@link WfdbException} naming the header and the format).
 *
 * <p>The number of frames comes from the header; each signal file is checked to be at least as long
 * as that requires (a shorter file is an error naming it, never a short read). When the header
 * gives no number of samples it is derived from the file length. Checksums are not verified
 * automatically (WFDB does not either); call {@link #verifyChecksums()}.
 */
public final class WfdbRecord {

    /** Storage formats this reader decodes. */
    public static final Set<Integer> SUPPORTED_FORMATS = Set.of(16, 80, 212);

    private final WfdbHeader header;
    private final long numberOfFrames;
    private final List<Signal> signals;

    private WfdbRecord(WfdbHeader header, long numberOfFrames, List<Signal> signals) {
        this.header = header;
        this.numberOfFrames = numberOfFrames;
        this.signals = List.copyOf(signals);
    }

    /** Reads every signal of the record whose header is {@code headerFile}. */
    public static WfdbRecord read(Path headerFile) {
        return read(WfdbHeader.read(headerFile), s -> true);
    }

    /**
     * Reads the signals accepted by {@code include}. Other signals sharing a file with an included
     * one are decoded (they are interleaved with it) but not kept; files holding no included signal
     * are not opened at all, e.g. ptbdb's {@code .xyz} file, which is absent from the shared data:
     * {@code read(hea, s -> s.fileName().endsWith(".dat"))}.
     */
    public static WfdbRecord read(Path headerFile, Predicate<WfdbHeader.SignalSpec> include) {
        return read(WfdbHeader.read(headerFile), include);
    }

    /**
     * Checks, without reading any samples, what {@link #read(WfdbHeader, Predicate)} would check
     * before decoding: supported formats, one format per file, signal files present and long
     * enough. Lets a caller refuse a bad record up front (with the same message naming the file,
     * and the header line where one is at fault) before it reads many records one by one.
     *
     * @throws WfdbException as {@code read} would
     */
    public static void check(WfdbHeader header, Predicate<WfdbHeader.SignalSpec> include) {
        long frames = header.numberOfSamples();
        for (List<WfdbHeader.SignalSpec> group : groupsByFile(header)) {
            if (group.stream().anyMatch(include)) {
                frames = layout(header, group, frames).frames;
            }
        }
    }

    /**
     * Reads the signals accepted by {@code include} of an already parsed header (it must have a
     * path).
     */
    public static WfdbRecord read(WfdbHeader header, Predicate<WfdbHeader.SignalSpec> include) {
        Map<Integer, Signal> decoded = new LinkedHashMap<>();
        long frames = header.numberOfSamples();
        for (List<WfdbHeader.SignalSpec> group : groupsByFile(header)) {
            if (group.stream().noneMatch(include)) {
                continue;
            }
            GroupResult r = readGroup(header, group, frames);
            // Without a number of samples in the header, the first file read sets it and the
            // others must be at least that long (checked in readGroup).
            frames = r.frames;
            for (Signal sig : r.signals) {
                if (include.test(sig.spec())) {
                    decoded.put(sig.spec().index(), sig);
                }
            }
        }
        List<Signal> ordered = new ArrayList<>(decoded.values());
        ordered.sort((a, b) -> Integer.compare(a.index(), b.index()));
        return new WfdbRecord(header, frames, ordered);
    }

    /** Signals grouped by file, keeping header order within and across files. */
    private static Collection<List<WfdbHeader.SignalSpec>> groupsByFile(WfdbHeader header) {
        Map<String, List<WfdbHeader.SignalSpec>> groups = new LinkedHashMap<>();
        for (WfdbHeader.SignalSpec s : header.signals()) {
            groups.computeIfAbsent(s.fileName(), k -> new ArrayList<>()).add(s);
        }
        return groups.values();
    }

    private record GroupResult(long frames, List<Signal> signals) {}

    /**
     * Where one file's samples lie, once its formats and length have been checked against the
     * header.
     */
    private record GroupLayout(
            Path file, int format, long offset, long frames, long payloadBytes) {}

    private static GroupLayout layout(
            WfdbHeader header, List<WfdbHeader.SignalSpec> group, long headerFrames) {
        WfdbHeader.SignalSpec first = group.get(0);
        Path file = header.signalFile(first);
        int format = first.format();
        for (WfdbHeader.SignalSpec s : group) {
            if (!SUPPORTED_FORMATS.contains(s.format())) {
                throw new WfdbException(
                        header.source(),
                        s.line(),
                        "signal "
                                + s.index()
                                + " ("
                                + s.description()
                                + "): format "
                                + s.format()
                                + " is not supported by this reader (supported: 16, 80, 212)");
            }
            if (s.format() != format) {
                // WFDB requires one format per file: the byte layout would otherwise be ambiguous.
                throw new WfdbException(
                        header.source(),
                        s.line(),
                        "signal "
                                + s.index()
                                + " uses format "
                                + s.format()
                                + " but signal "
                                + first.index()
                                + " in the same file "
                                + s.fileName()
                                + " uses format "
                                + format);
            }
        }
        // WFDB takes the byte offset of a file from its first signal line.
        long offset = first.byteOffset();
        int samplesPerFrame = group.stream().mapToInt(WfdbHeader.SignalSpec::samplesPerFrame).sum();

        long fileSize;
        try {
            fileSize = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new WfdbException(
                    file,
                    "signal file not found (signal "
                            + first.index()
                            + " \""
                            + first.description()
                            + "\" of "
                            + header.source()
                            + ")",
                    e);
        } catch (IOException e) {
            throw new WfdbException(file, "cannot read signal file: " + e, e);
        }

        long frames = headerFrames;
        if (frames == 0) {
            long payload = Math.max(0, fileSize - offset);
            frames = samplesIn(format, payload) / samplesPerFrame;
        }
        long totalSamples = frames * samplesPerFrame;
        long payloadBytes = bytesFor(format, totalSamples);
        long needed = offset + payloadBytes;
        if (fileSize < needed) {
            throw new WfdbException(
                    file,
                    String.format(
                            Locale.ROOT,
                            "signal file is truncated: %d bytes, but the header (%s) needs %d = %d"
                                    + " offset + %d frames × %d samples/frame in format %d",
                            fileSize,
                            header.source(),
                            needed,
                            offset,
                            frames,
                            samplesPerFrame,
                            format));
        }
        if (payloadBytes > Integer.MAX_VALUE - 8) {
            throw new WfdbException(
                    file, "record too large to read in memory: " + payloadBytes + " bytes");
        }
        for (WfdbHeader.SignalSpec s : group) {
            if (frames * s.samplesPerFrame() > Integer.MAX_VALUE - 8) {
                throw new WfdbException(
                        file, "signal " + s.description() + " has too many samples for one array");
            }
        }
        return new GroupLayout(file, format, offset, frames, payloadBytes);
    }

    private static GroupResult readGroup(
            WfdbHeader header, List<WfdbHeader.SignalSpec> group, long headerFrames) {
        GroupLayout g = layout(header, group, headerFrames);
        Path file = g.file;
        int format = g.format;
        long offset = g.offset;
        long frames = g.frames;
        long payloadBytes = g.payloadBytes;

        byte[] data;
        try (InputStream in = Files.newInputStream(file)) {
            in.skipNBytes(offset);
            data = in.readNBytes((int) payloadBytes);
        } catch (IOException e) {
            throw new WfdbException(file, "cannot read signal file: " + e, e);
        }
        if (data.length < payloadBytes) {
            // The size was checked above; the file shrank while we read it.
            throw new WfdbException(
                    file,
                    "signal file is truncated: read "
                            + data.length
                            + " of "
                            + payloadBytes
                            + " bytes after the "
                            + offset
                            + "-byte offset");
        }

        int n = group.size();
        short[][] out = new short[n][];
        int[] spf = new int[n];
        for (int i = 0; i < n; i++) {
            spf[i] = group.get(i).samplesPerFrame();
            out[i] = new short[(int) (frames * spf[i])];
        }
        long k = 0; // index into the file's sample stream
        int[] pos = new int[n];
        for (long f = 0; f < frames; f++) {
            for (int i = 0; i < n; i++) {
                short[] dst = out[i];
                for (int j = 0; j < spf[i]; j++) {
                    dst[pos[i]++] = decode(format, data, k++);
                }
            }
        }
        List<Signal> result = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            WfdbHeader.SignalSpec s = group.get(i);
            result.add(new Signal(s, s.sampleRate(header.samplingFrequency()), out[i]));
        }
        return new GroupResult(frames, result);
    }

    /**
     * Bytes holding {@code samples} samples; format 212 rounds an odd last sample up to 2 bytes.
     */
    private static long bytesFor(int format, long samples) {
        return switch (format) {
            case 212 -> (samples * 3 + 1) / 2;
            case 16 -> samples * 2;
            case 80 -> samples;
            default -> throw new IllegalArgumentException("format " + format);
        };
    }

    /** Complete samples in {@code bytes} bytes. */
    private static long samplesIn(int format, long bytes) {
        return switch (format) {
            case 212 -> bytes / 3 * 2 + (bytes % 3 == 2 ? 1 : 0);
            case 16 -> bytes / 2;
            case 80 -> bytes;
            default -> throw new IllegalArgumentException("format " + format);
        };
    }

    /** WFDB's invalid-sample marker of {@code format}: the format's most negative value. */
    static OptionalInt invalidMarkerOf(int format) {
        return switch (format) {
            case 212 -> OptionalInt.of(-2048);
            case 16 -> OptionalInt.of(Short.MIN_VALUE);
            case 80 -> OptionalInt.of(-128);
            default -> OptionalInt.empty();
        };
    }

    /** Sample {@code k} of the file's sample stream. */
    private static short decode(int format, byte[] d, long k) {
        switch (format) {
            case 16:
                {
                    int p = (int) (k * 2);
                    return (short) ((d[p] & 0xff) | (d[p + 1] << 8));
                }
            case 80:
                // 8-bit offset binary: stored byte = value + 128.
                return (short) ((d[(int) k] & 0xff) - 128);
            case 212:
                {
                    // Each pair of samples occupies 3 bytes: byte 0 = low 8 bits of the first
                    // sample,
                    // byte 1 = high 4 bits of the first (low nibble) and of the second (high
                    // nibble),
                    // byte 2 = low 8 bits of the second. Values are 12-bit two's complement.
                    int p = (int) (k / 2 * 3);
                    int v;
                    if ((k & 1) == 0) {
                        v = (d[p] & 0xff) | ((d[p + 1] & 0x0f) << 8);
                    } else {
                        v = (d[p + 2] & 0xff) | ((d[p + 1] & 0xf0) << 4);
                    }
                    return (short) ((v << 20) >> 20); // sign-extend 12 bits
                }
            default:
                throw new IllegalArgumentException("format " + format);
        }
    }

    public WfdbHeader header() {
        return header;
    }

    public String name() {
        return header.recordName();
    }

    /** Frames per second; a signal's own rate is {@link Signal#sampleRate()}. */
    public double frameFrequency() {
        return header.samplingFrequency();
    }

    /** Frames read (the header's number of samples per signal, or derived from the file length). */
    public long numberOfFrames() {
        return numberOfFrames;
    }

    public double durationSeconds() {
        return numberOfFrames / header.samplingFrequency();
    }

    /** The signals read, in header order. */
    public List<Signal> signals() {
        return signals;
    }

    /**
     * The first signal read whose description equals {@code name} (exactly, else ignoring case).
     */
    public Optional<Signal> signal(String name) {
        for (Signal s : signals) {
            if (s.name().equals(name)) {
                return Optional.of(s);
            }
        }
        for (Signal s : signals) {
            if (s.name().equalsIgnoreCase(name)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    /** Like {@link #signal(String)}, failing with a message listing the available names. */
    public Signal requireSignal(String name) {
        return signal(name)
                .orElseThrow(
                        () ->
                                new WfdbException(
                                        header.source(),
                                        0,
                                        "no signal named \""
                                                + name
                                                + "\" among "
                                                + signals.stream().map(Signal::name).toList()));
    }

    /**
     * The first signal read, in header order, whose description is an ECG lead ({@link
     * WfdbHeader#isEcgLead}).
     */
    public Optional<Signal> firstEcgLead() {
        return signals.stream().filter(s -> s.spec().isEcgLead()).findFirst();
    }

    /**
     * Checks every signal that has a header checksum against its samples.
     *
     * @throws WfdbException naming the header and the mismatching signals
     */
    public void verifyChecksums() {
        List<String> bad = new ArrayList<>();
        for (Signal s : signals) {
            OptionalInt expected = s.headerChecksum();
            if (expected.isPresent() && expected.getAsInt() != s.checksum()) {
                bad.add(
                        String.format(
                                Locale.ROOT,
                                "signal %d (%s): header checksum %d, samples sum to %d",
                                s.index(),
                                s.name(),
                                expected.getAsInt(),
                                s.checksum()));
            }
        }
        if (!bad.isEmpty()) {
            throw new WfdbException(
                    header.source(), 0, "checksum mismatch: " + String.join("; ", bad));
        }
    }

    @Override
    public String toString() {
        return String.format(
                Locale.ROOT,
                "WfdbRecord[%s: %s, %d frames at %s Hz]",
                name(),
                signals.stream().map(s -> s.name() + "@" + s.sampleRate()).toList(),
                numberOfFrames,
                frameFrequency());
    }

    /**
     * One signal's samples and calibration. Raw ADC values; {@code physical = (adu - baseline) /
     * gain} in {@link #units()}.
     */
    public static final class Signal {

        private final WfdbHeader.SignalSpec spec;
        private final double sampleRate;
        private final short[] samples;

        Signal(WfdbHeader.SignalSpec spec, double sampleRate, short[] samples) {
            this.spec = spec;
            this.sampleRate = sampleRate;
            this.samples = samples;
        }

        /** The header's signal line. */
        public WfdbHeader.SignalSpec spec() {
            return spec;
        }

        /** 0-based position in the header. */
        public int index() {
            return spec.index();
        }

        /** The description ("MLII", "ABP", ...). */
        public String name() {
            return spec.description();
        }

        /** Samples per second of this signal: samples per frame × frame frequency. */
        public double sampleRate() {
            return sampleRate;
        }

        public int samplesPerFrame() {
            return spec.samplesPerFrame();
        }

        /** Number of samples (frames × samples per frame). */
        public int length() {
            return samples.length;
        }

        public double durationSeconds() {
            return samples.length / sampleRate;
        }

        /** Raw ADC value of sample {@code i}. */
        public short sample(int i) {
            return samples[i];
        }

        /** A copy of all raw ADC values. */
        public short[] samples() {
            return samples.clone();
        }

        /** A copy of raw ADC values {@code [from, to)}. */
        public short[] samples(int from, int to) {
            return Arrays.copyOfRange(samples, from, to);
        }

        /**
         * The value the signal's format reserves for "no sample here" (WFDB's invalid-sample
         * marker, written where a recorder lost the signal): -2048 in format 212, -32768 in format
         * 16, -128 in format 80. Empty for a format without one.
         */
        public OptionalInt invalidMarker() {
            return invalidMarkerOf(spec.format());
        }

        /** How many of the samples are {@link #invalidMarker()}. */
        public int invalidCount() {
            OptionalInt marker = invalidMarker();
            int n = 0;
            if (marker.isPresent()) {
                for (short s : samples) {
                    n += s == marker.getAsInt() ? 1 : 0;
                }
            }
            return n;
        }

        /** ADC units per physical unit. */
        public double gain() {
            return spec.gain();
        }

        /** ADC value of physical zero. */
        public int baseline() {
            return spec.baseline();
        }

        public String units() {
            return spec.units();
        }

        public int adcZero() {
            return spec.adcZero();
        }

        public int adcResolution() {
            return spec.adcResolution();
        }

        /** The header's initial value (should equal {@code sample(0)}). */
        public int initialValue() {
            return spec.initialValue();
        }

        /** Sample {@code i} in physical units. */
        public double physical(int i) {
            return (samples[i] - spec.baseline()) / spec.gain();
        }

        /** All samples in physical units. */
        public float[] toPhysical() {
            float[] out = new float[samples.length];
            double inv = 1.0 / spec.gain();
            int base = spec.baseline();
            for (int i = 0; i < samples.length; i++) {
                out[i] = (float) ((samples[i] - base) * inv);
            }
            return out;
        }

        /** The header's checksum field, when present. */
        public OptionalInt headerChecksum() {
            return spec.checksum();
        }

        /**
         * The WFDB checksum of the samples: their sum, truncated to 16 bits and read as signed
         * (header(5): "a 16-bit signed checksum of all samples in the signal").
         */
        public int checksum() {
            long sum = 0;
            for (short s : samples) {
                sum += s;
            }
            return (short) sum;
        }

        /** True when the header has a checksum and the samples match it. */
        public boolean checksumMatches() {
            return spec.checksum().isPresent() && spec.checksum().getAsInt() == checksum();
        }

        @Override
        public String toString() {
            return String.format(
                    Locale.ROOT,
                    "Signal[%d %s: %d samples at %s Hz, format %d, gain %s%s, baseline %d]",
                    index(),
                    name(),
                    samples.length,
                    sampleRate,
                    spec.format(),
                    spec.gain(),
                    "/" + spec.units(),
                    spec.baseline());
        }
    }
}
