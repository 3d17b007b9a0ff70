package io.fmstream.data.wfdb;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A parsed WFDB header ({@code .hea}) file of a single-segment record, as specified by PhysioNet's
 * header(5).
 *
 * <p>Layout: an optional run of comment ({@code #}) and blank lines, the <em>record line</em>
 * ({@code name nsig [freq[/counterfreq[(basecounter)]] [nsamp [basetime [basedate]]]]}), then one
 * <em>signal line</em> per signal ({@code file format[xN][:skew][+offset] [gain[(baseline)][/units]
 * [adcres [adczero [initval [checksum [blocksize [description]]]]]]]}). Comment and blank lines may
 * appear anywhere (mitdb/100.hea has a comment before the record line and a blank line between its
 * signal lines); comment lines are kept in {@link #comments()} because databases store labels there
 * (cinc2015: alarm type and "True/False alarm"; ptbdb: the clinical summary). Lines may end in CR
 * LF.
 *
 * <p>Defaults follow WFDB: sampling frequency 250 Hz when absent; ADC gain 200 when absent or 0;
 * baseline = ADC zero when absent; units "mV" when absent; ADC resolution from the format when
 * absent or 0 (12 bits for 212, 16 for 16, 8 for 80); initial value = ADC zero when absent.
 *
 * <p>Multi-segment records ({@code name/nseg}) are refused with a {@link WfdbException}: none of
 * the project's data uses them and silently reading only the layout header would be wrong. This
 * class only parses; {@link WfdbRecord} reads the samples.
 */
public final class WfdbHeader {

    /** WFDB's default sampling frequency when the record line omits it. */
    public static final double DEFAULT_FREQUENCY = 250.0;

    /** WFDB's default ADC gain (adu per physical unit) when the field is absent or 0. */
    public static final double DEFAULT_GAIN = 200.0;

    /** WFDB's default physical units when the gain field carries none. */
    public static final String DEFAULT_UNITS = "mV";

    /**
     * Every storage format WFDB defines (signal(5)). Anything else is a typo or corruption and is
     * refused at parse time; formats in this set that {@link WfdbRecord} cannot decode are refused
     * when reading samples, so a header of any WFDB record can still be inspected.
     */
    static final Set<Integer> WFDB_FORMATS =
            Set.of(0, 8, 16, 24, 32, 61, 80, 160, 212, 310, 311, 508, 516, 524);

    private static final Pattern FREQUENCY =
            Pattern.compile("([^/()]+)(?:/([^/()]+)(?:\\(([^()]+)\\))?)?");
    private static final Pattern FORMAT =
            Pattern.compile("(\\d+)(?:x(\\d+))?(?::(\\d+))?(?:\\+(\\d+))?");
    private static final Pattern GAIN = Pattern.compile("([^()/]+)(?:\\(([^()]+)\\))?(?:/(.+))?");

    /**
     * Typical ECG lead names, matched case-insensitively against the whole (trimmed) description:
     * limb leads I-III and their modified forms (MLII), augmented leads (aVR...), chest leads V1-V9
     * (and plain "V", the chest lead of 2-lead monitors as in cinc2015), right-sided V3R/V4R,
     * modified chest leads MCL1-6, CM/MV leads, Frank XYZ (ptbdb vx..vz). Anything starting with
     * ECG/EKG ("ECG", "ECG1", "ECG lead II") also counts. Non-ECG channels (PLETH, ABP, RESP, PAP,
     * CVP, SpO2...) do not match any of these.
     */
    private static final Pattern ECG_LEAD =
            Pattern.compile(
                    "(?i)(?:(?:ECG|EKG).*|M?L?I{1,3}|AV[RLF]|V[1-9]?R?|MCL[1-6]|CM[1-6]|MV[1-6]|V[XYZ])");

    private final String source;
    private final Path path;
    private final String recordName;
    private final int numberOfSignals;
    private final double samplingFrequency;
    private final Double counterFrequency;
    private final double baseCounter;
    private final long numberOfSamples;
    private final String baseTime;
    private final String baseDate;
    private final List<SignalSpec> signals;
    private final List<String> comments;

    /**
     * One signal line.
     *
     * @param index 0-based signal number in header order
     * @param line 1-based line number in the header file (for messages)
     * @param fileName the signal file, relative to the header's directory
     * @param format WFDB storage format (212, 16, 80, ...)
     * @param samplesPerFrame samples of this signal in each frame ({@code xN}; 1 when absent): its
     *     sample rate is this times the record's frame frequency
     * @param skew {@code :N}; WFDB uses it to realign signals at read time. {@link WfdbRecord}
     *     ignores it and returns samples as stored (for mimicdb/03700181 RESP, skew 4, the header's
     *     initial value and checksum match the stored, unshifted samples)
     * @param byteOffset {@code +N}: bytes before the first sample in the file (24 for the MAT v4
     *     files of the CinC challenges)
     * @param gain ADC units per physical unit (200 when absent or 0)
     * @param baseline ADC value of physical zero (ADC zero when absent)
     * @param units physical units ("mV" when absent)
     * @param adcResolution bits (format default when absent or 0)
     * @param adcZero ADC value at the middle of the ADC's range
     * @param initialValue value of the first sample (ADC zero when absent)
     * @param checksum 16-bit signed sum of all samples of the signal, when the header has one
     * @param blockSize block size (0 for ordinary files)
     * @param description the signal's name ("MLII", "ABP", ...); WFDB's "record R, signal N" when
     *     absent
     */
    public record SignalSpec(
            int index,
            int line,
            String fileName,
            int format,
            int samplesPerFrame,
            int skew,
            long byteOffset,
            double gain,
            int baseline,
            String units,
            int adcResolution,
            int adcZero,
            int initialValue,
            OptionalInt checksum,
            int blockSize,
            String description) {

        /** This signal's own sample rate: samples per frame × the record's frame frequency. */
        public double sampleRate(double frameFrequency) {
            return samplesPerFrame * frameFrequency;
        }

        /** Whether the description names an ECG lead (see {@link WfdbHeader#isEcgLead(String)}). */
        public boolean isEcgLead() {
            return WfdbHeader.isEcgLead(description);
        }
    }

    private WfdbHeader(
            String source,
            Path path,
            String recordName,
            int numberOfSignals,
            double samplingFrequency,
            Double counterFrequency,
            double baseCounter,
            long numberOfSamples,
            String baseTime,
            String baseDate,
            List<SignalSpec> signals,
            List<String> comments) {
        this.source = source;
        this.path = path;
        this.recordName = recordName;
        this.numberOfSignals = numberOfSignals;
        this.samplingFrequency = samplingFrequency;
        this.counterFrequency = counterFrequency;
        this.baseCounter = baseCounter;
        this.numberOfSamples = numberOfSamples;
        this.baseTime = baseTime;
        this.baseDate = baseDate;
        this.signals = List.copyOf(signals);
        this.comments = List.copyOf(comments);
    }

    /**
     * Reads and parses a header file.
     *
     * @throws WfdbException naming the file when it is missing, unreadable or malformed
     */
    public static WfdbHeader read(Path headerFile) {
        List<String> lines;
        try {
            // ISO-8859-1 never fails to decode: header comments from old databases are not
            // always UTF-8, and the fields we parse are ASCII either way.
            lines = Files.readAllLines(headerFile, StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            throw new WfdbException(headerFile, "header file not found", e);
        } catch (IOException e) {
            throw new WfdbException(headerFile, "cannot read header file: " + e, e);
        }
        return parse(headerFile.toString(), headerFile, lines);
    }

    /**
     * Parses header text that did not come from a file (tests, network). The result has no {@link
     * #path()}, so {@link WfdbRecord} cannot resolve its signal files.
     *
     * @param source a name for messages
     */
    public static WfdbHeader parse(String source, List<String> lines) {
        return parse(source, null, lines);
    }

    private static WfdbHeader parse(String source, Path path, List<String> lines) {
        List<String> comments = new ArrayList<>();
        List<SignalSpec> signals = new ArrayList<>();
        String recordName = null;
        int nsig = 0;
        double freq = DEFAULT_FREQUENCY;
        Double counterFreq = null;
        double baseCounter = 0;
        long nsamp = 0;
        String baseTime = null;
        String baseDate = null;

        for (int i = 0; i < lines.size(); i++) {
            int lineNo = i + 1;
            String line = lines.get(i).strip(); // strip() also drops the CR of CR LF files
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("#")) {
                comments.add(line.substring(1).strip());
                continue;
            }
            if (recordName == null) {
                String[] t = line.split("\\s+");
                if (t.length < 2) {
                    throw new WfdbException(
                            source,
                            lineNo,
                            "record line needs at least a record name and the number of signals: \""
                                    + line
                                    + "\"");
                }
                if (t[0].contains("/")) {
                    throw new WfdbException(
                            source,
                            lineNo,
                            "multi-segment record \""
                                    + t[0]
                                    + "\" is not supported (only single-segment records)");
                }
                recordName = t[0];
                nsig = parseInt(source, lineNo, "number of signals", t[1]);
                if (nsig < 0) {
                    throw new WfdbException(
                            source, lineNo, "number of signals is negative: " + nsig);
                }
                if (t.length > 2) {
                    Matcher m = FREQUENCY.matcher(t[2]);
                    if (!m.matches()) {
                        throw new WfdbException(
                                source, lineNo, "malformed sampling frequency \"" + t[2] + "\"");
                    }
                    freq = parseDouble(source, lineNo, "sampling frequency", m.group(1));
                    if (m.group(2) != null) {
                        counterFreq = parseDouble(source, lineNo, "counter frequency", m.group(2));
                    }
                    if (m.group(3) != null) {
                        baseCounter = parseDouble(source, lineNo, "base counter value", m.group(3));
                    }
                    if (!(freq > 0) || Double.isInfinite(freq)) {
                        // WFDB falls back to 250 Hz for 0; we do the same rather than divide by
                        // zero.
                        if (freq == 0) {
                            freq = DEFAULT_FREQUENCY;
                        } else {
                            throw new WfdbException(
                                    source, lineNo, "sampling frequency must be positive: " + t[2]);
                        }
                    }
                }
                if (t.length > 3) {
                    nsamp = parseLong(source, lineNo, "number of samples per signal", t[3]);
                    if (nsamp < 0) {
                        throw new WfdbException(
                                source, lineNo, "number of samples is negative: " + nsamp);
                    }
                }
                // Base time and date are kept verbatim: WFDB expects "HH:MM:SS DD/MM/YYYY", but
                // e.g. every cinc2017 header has "YYYY-MM-DD HH:MM:SS" in these two slots.
                if (t.length > 4) {
                    baseTime = t[4];
                }
                if (t.length > 5) {
                    baseDate = t[5];
                }
                if (t.length > 6) {
                    throw new WfdbException(
                            source,
                            lineNo,
                            "record line has "
                                    + t.length
                                    + " fields, at most 6 expected: \""
                                    + line
                                    + "\"");
                }
                continue;
            }
            if (signals.size() < nsig) {
                signals.add(parseSignalLine(source, lineNo, line, signals.size(), recordName));
                continue;
            }
            throw new WfdbException(
                    source,
                    lineNo,
                    "unexpected line after the "
                            + nsig
                            + " signal lines (only comments may follow): \""
                            + line
                            + "\"");
        }
        if (recordName == null) {
            throw new WfdbException(
                    source, 0, "no record line (the file is empty or only has comments)");
        }
        if (signals.size() < nsig) {
            throw new WfdbException(
                    source,
                    0,
                    "record line declares "
                            + nsig
                            + " signals but only "
                            + signals.size()
                            + " signal lines follow");
        }
        return new WfdbHeader(
                source,
                path,
                recordName,
                nsig,
                freq,
                counterFreq,
                baseCounter,
                nsamp,
                baseTime,
                baseDate,
                signals,
                comments);
    }

    private static SignalSpec parseSignalLine(
            String source, int lineNo, String line, int index, String recordName) {
        // The description is free text (may contain spaces: "ECG signal 0"), so only the first
        // eight fields are split on whitespace and the rest of the line is the description.
        List<String> fields = new ArrayList<>(8);
        int pos = 0;
        int n = line.length();
        String description = null;
        while (pos < n) {
            while (pos < n && Character.isWhitespace(line.charAt(pos))) {
                pos++;
            }
            if (pos >= n) {
                break;
            }
            if (fields.size() == 8) {
                description = line.substring(pos).strip();
                break;
            }
            int start = pos;
            while (pos < n && !Character.isWhitespace(line.charAt(pos))) {
                pos++;
            }
            fields.add(line.substring(start, pos));
        }
        String prefix = "signal " + index + ": ";
        if (fields.size() < 2) {
            throw new WfdbException(
                    source,
                    lineNo,
                    prefix
                            + "signal line needs at least a file name and a format: \""
                            + line
                            + "\"");
        }
        String fileName = fields.get(0);

        Matcher fm = FORMAT.matcher(fields.get(1));
        if (!fm.matches()) {
            throw new WfdbException(
                    source,
                    lineNo,
                    prefix
                            + "malformed format field \""
                            + fields.get(1)
                            + "\" (expected format[xN][:skew][+offset], e.g. 212, 212x4, 16+24)");
        }
        int format = parseInt(source, lineNo, prefix + "format", fm.group(1));
        if (!WFDB_FORMATS.contains(format)) {
            throw new WfdbException(
                    source,
                    lineNo,
                    prefix
                            + "unknown signal format "
                            + format
                            + " (WFDB formats: "
                            + new TreeSet<>(WFDB_FORMATS)
                            + ")");
        }
        int spf =
                fm.group(2) == null
                        ? 1
                        : parseInt(source, lineNo, prefix + "samples per frame", fm.group(2));
        if (spf < 1) {
            throw new WfdbException(
                    source,
                    lineNo,
                    prefix + "samples per frame must be at least 1: " + fields.get(1));
        }
        int skew = fm.group(3) == null ? 0 : parseInt(source, lineNo, prefix + "skew", fm.group(3));
        long offset =
                fm.group(4) == null
                        ? 0
                        : parseLong(source, lineNo, prefix + "byte offset", fm.group(4));

        double gain = DEFAULT_GAIN;
        Integer baseline = null;
        String units = DEFAULT_UNITS;
        if (fields.size() > 2) {
            Matcher gm = GAIN.matcher(fields.get(2));
            if (!gm.matches()) {
                throw new WfdbException(
                        source,
                        lineNo,
                        prefix
                                + "malformed ADC gain field \""
                                + fields.get(2)
                                + "\" (expected gain[(baseline)][/units], e.g. 200, 1000/mV,"
                                + " 12.84(-1605)/mmHg)");
            }
            gain = parseDouble(source, lineNo, prefix + "ADC gain", gm.group(1));
            if (gain == 0) {
                gain = DEFAULT_GAIN; // WFDB: a gain of 0 means "uncalibrated", read as the default
                // 200
            } else if (!Double.isFinite(gain)) {
                throw new WfdbException(
                        source, lineNo, prefix + "ADC gain is not finite: " + fields.get(2));
            }
            if (gm.group(2) != null) {
                baseline = parseInt(source, lineNo, prefix + "baseline", gm.group(2));
            }
            if (gm.group(3) != null) {
                units = gm.group(3);
            }
        }
        int adcRes =
                fields.size() > 3
                        ? parseInt(source, lineNo, prefix + "ADC resolution", fields.get(3))
                        : 0;
        if (adcRes == 0) {
            adcRes = defaultResolution(format);
        }
        int adcZero =
                fields.size() > 4
                        ? parseInt(source, lineNo, prefix + "ADC zero", fields.get(4))
                        : 0;
        int initVal =
                fields.size() > 5
                        ? parseInt(source, lineNo, prefix + "initial value", fields.get(5))
                        : adcZero;
        OptionalInt checksum =
                fields.size() > 6
                        ? OptionalInt.of(
                                parseInt(source, lineNo, prefix + "checksum", fields.get(6)))
                        : OptionalInt.empty();
        int blockSize =
                fields.size() > 7
                        ? parseInt(source, lineNo, prefix + "block size", fields.get(7))
                        : 0;
        if (description == null || description.isEmpty()) {
            description =
                    "record " + recordName + ", signal " + index; // WFDB's default description
        }
        return new SignalSpec(
                index,
                lineNo,
                fileName,
                format,
                spf,
                skew,
                offset,
                gain,
                baseline == null ? adcZero : baseline,
                units,
                adcRes,
                adcZero,
                initVal,
                checksum,
                blockSize,
                description);
    }

    private static int defaultResolution(int format) {
        return switch (format) {
            case 8, 80 -> 8;
            case 16, 61, 160 -> 16;
            case 24, 524 -> 24;
            case 32 -> 32;
            case 310, 311 -> 10;
            default -> 12; // 212 and WFDB's fallback
        };
    }

    private static int parseInt(String source, int line, String what, String text) {
        try {
            return Integer.parseInt(text.startsWith("+") ? text.substring(1) : text);
        } catch (NumberFormatException e) {
            throw new WfdbException(source, line, what + " \"" + text + "\" is not an integer", e);
        }
    }

    private static long parseLong(String source, int line, String what, String text) {
        try {
            return Long.parseLong(text.startsWith("+") ? text.substring(1) : text);
        } catch (NumberFormatException e) {
            throw new WfdbException(source, line, what + " \"" + text + "\" is not an integer", e);
        }
    }

    private static double parseDouble(String source, int line, String what, String text) {
        try {
            return Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw new WfdbException(source, line, what + " \"" + text + "\" is not a number", e);
        }
    }

    /**
     * Whether a signal description names an ECG lead: ECG*, EKG*, I, II, III, MLII, aVR, aVL, aVF,
     * V, V1-V9, V3R/V4R, MCL1-6, CM1-6, MV1-6, VX/VY/VZ; case-insensitive (ptbdb writes "i", "avr",
     * "v1"). PLETH, ABP, RESP and other non-ECG channels do not match.
     */
    public static boolean isEcgLead(String description) {
        return description != null && ECG_LEAD.matcher(description.strip()).matches();
    }

    /** The name used in messages: the header's path, or the source name given to {@link #parse}. */
    public String source() {
        return source;
    }

    /** The header file, or {@code null} when parsed from text. */
    public Path path() {
        return path;
    }

    /**
     * The directory that signal file names are relative to, or {@code null} when parsed from text.
     */
    public Path directory() {
        return path == null ? null : path.toAbsolutePath().getParent();
    }

    public String recordName() {
        return recordName;
    }

    public int numberOfSignals() {
        return numberOfSignals;
    }

    /**
     * Frames per second (the record line's frequency). A signal with N samples per frame is sampled
     * at N times this; annotation sample numbers count frames at this rate.
     */
    public double samplingFrequency() {
        return samplingFrequency;
    }

    /** The counter frequency ({@code freq/counterfreq}), when given. */
    public OptionalDouble counterFrequency() {
        return counterFrequency == null
                ? OptionalDouble.empty()
                : OptionalDouble.of(counterFrequency);
    }

    /** The base counter value ({@code (basecounter)}), 0 when absent. */
    public double baseCounter() {
        return baseCounter;
    }

    /**
     * Frames in the record (the record line's "number of samples per signal"); 0 when not given.
     */
    public long numberOfSamples() {
        return numberOfSamples;
    }

    /** Record duration in seconds; 0 when the header does not give the number of samples. */
    public double durationSeconds() {
        return numberOfSamples / samplingFrequency;
    }

    /** The base time field verbatim (normally HH:MM:SS; cinc2017 puts a date here). */
    public Optional<String> baseTime() {
        return Optional.ofNullable(baseTime);
    }

    /** The base date field verbatim (normally DD/MM/YYYY; cinc2017 puts a time here). */
    public Optional<String> baseDate() {
        return Optional.ofNullable(baseDate);
    }

    /** The signal lines in header order. */
    public List<SignalSpec> signals() {
        return signals;
    }

    /** Comment lines in file order, without the leading {@code #} and surrounding whitespace. */
    public List<String> comments() {
        return comments;
    }

    /** The first signal whose description equals {@code name} (exactly, else ignoring case). */
    public Optional<SignalSpec> signal(String name) {
        for (SignalSpec s : signals) {
            if (s.description().equals(name)) {
                return Optional.of(s);
            }
        }
        for (SignalSpec s : signals) {
            if (s.description().equalsIgnoreCase(name)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    /** The first signal, in header order, whose description is an ECG lead ({@link #isEcgLead}). */
    public Optional<SignalSpec> firstEcgSignal() {
        return signals.stream().filter(SignalSpec::isEcgLead).findFirst();
    }

    /** The file holding {@code signal}'s samples, resolved against the header's directory. */
    public Path signalFile(SignalSpec signal) {
        if (path == null) {
            throw new WfdbException(
                    source,
                    0,
                    "header was parsed from text: cannot locate signal file " + signal.fileName());
        }
        return directory().resolve(signal.fileName());
    }

    @Override
    public String toString() {
        return String.format(
                Locale.ROOT,
                "WfdbHeader[%s: %d signals, %s Hz, %d samples]",
                recordName,
                numberOfSignals,
                samplingFrequency,
                numberOfSamples);
    }
}
