package io.fmstream.data.sim;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * What happens to one simulated wearable over time: a schedule of contiguous segments (rhythm, mean
 * heart rate, noise level), plus the link events that decide which of its chunks reach the backend:
 * <em>drop-outs</em> (chunks touching them are lost; the stream index still advances) and
 * <em>offline periods</em> (the device keeps recording but uploads nothing; chunks completed in the
 * period are held back and released together when it ends, as a backlog).
 *
 * <p>All times are offsets in microseconds from the device's first sample. The segments start at
 * offset 0 and follow each other without gaps; the last one is open-ended (it continues past its
 * nominal duration). Changes between segments are not instantaneous where an instant change would
 * be unphysiological or make a step in the signal: the heart rate moves to the new mean over
 * {@value #RATE_RAMP_MICROS} µs, noise levels and f-wave amplitude over {@value #LEVEL_RAMP_MICROS}
 * µs. The rhythm label itself switches exactly at the boundary, so ground truth matches the
 * schedule.
 *
 * <p>A scenario is either {@linkplain #generate generated from a seed} (for fleets) or written with
 * the {@linkplain #builder() builder} (for tests). Immutable.
 */
public final class Scenario {

    /** Heart-rate transition time at a segment boundary. */
    public static final long RATE_RAMP_MICROS = 5_000_000L;

    /** Noise-level and f-wave-amplitude transition time at a segment boundary. */
    public static final long LEVEL_RAMP_MICROS = 1_000_000L;

    /** Generated segments last between these (inclusive), in whole seconds. */
    public static final int MIN_GENERATED_SEGMENT_SECONDS = 30;

    public static final int MAX_GENERATED_SEGMENT_SECONDS = 300;

    /**
     * Highest mean rate of an OTHER (PVC) segment: the premature beat must still come clearly
     * early.
     */
    public static final double MAX_OTHER_BPM = 140.0;

    /** The PVC period of an OTHER segment: one PVC every {@code pvcEvery} beats, in this range. */
    public static final int MIN_PVC_EVERY = 2;

    public static final int MAX_PVC_EVERY = 12;

    private static final long MICROS = 1_000_000L;

    /**
     * Random-stream labels of the generator (see {@link CounterRng#derive}); part of the output's
     * definition.
     */
    private static final long STREAM_SCENARIO = 0x5CE7A210L;

    /**
     * One stretch of the schedule.
     *
     * @param startOffsetMicros start, µs after the device's first sample
     * @param durationMicros nominal duration, {@code > 0} (the last segment of a scenario is
     *     open-ended)
     * @param rhythm rhythm during the segment
     * @param meanBpm mean heart rate in [40, 180] ({@value Scenario#MAX_OTHER_BPM} at most for
     *     OTHER)
     * @param noise additive noise level
     * @param pvcEvery for OTHER, one beat in this many is a PVC (in [{@value
     *     Scenario#MIN_PVC_EVERY}, {@value Scenario#MAX_PVC_EVERY}]); 0 for the other rhythms
     */
    public record Segment(
            long startOffsetMicros,
            long durationMicros,
            Rhythm rhythm,
            double meanBpm,
            Noise noise,
            int pvcEvery) {
        public Segment {
            Objects.requireNonNull(rhythm, "rhythm");
            Objects.requireNonNull(noise, "noise");
            if (startOffsetMicros < 0 || durationMicros <= 0) {
                throw new IllegalArgumentException(
                        "segment needs start >= 0 and duration > 0, got "
                                + startOffsetMicros
                                + ", "
                                + durationMicros);
            }
            double maxBpm = rhythm == Rhythm.OTHER ? MAX_OTHER_BPM : HeartRateProfile.MAX_BPM;
            if (!(meanBpm >= HeartRateProfile.MIN_BPM && meanBpm <= maxBpm)) {
                throw new IllegalArgumentException(
                        rhythm
                                + " meanBpm must be in ["
                                + HeartRateProfile.MIN_BPM
                                + ", "
                                + maxBpm
                                + "], got "
                                + meanBpm);
            }
            if (rhythm == Rhythm.OTHER
                    ? (pvcEvery < MIN_PVC_EVERY || pvcEvery > MAX_PVC_EVERY)
                    : pvcEvery != 0) {
                throw new IllegalArgumentException(
                        "pvcEvery must be in ["
                                + MIN_PVC_EVERY
                                + ", "
                                + MAX_PVC_EVERY
                                + "] for OTHER and 0 otherwise, got "
                                + pvcEvery
                                + " for "
                                + rhythm);
            }
        }

        public long endOffsetMicros() {
            return startOffsetMicros + durationMicros;
        }
    }

    /** A half-open time span [start, end), µs after the device's first sample. */
    public record Span(long startOffsetMicros, long endOffsetMicros) {
        public Span {
            if (startOffsetMicros < 0 || endOffsetMicros <= startOffsetMicros) {
                throw new IllegalArgumentException(
                        "span needs 0 <= start < end, got ["
                                + startOffsetMicros
                                + ", "
                                + endOffsetMicros
                                + ")");
            }
        }

        public boolean contains(long offsetMicros) {
            return offsetMicros >= startOffsetMicros && offsetMicros < endOffsetMicros;
        }

        public long durationMicros() {
            return endOffsetMicros - startOffsetMicros;
        }
    }

    private final List<Segment> segments;
    private final List<Span> dropouts;
    private final List<Span> offline;

    private Scenario(List<Segment> segments, List<Span> dropouts, List<Span> offline) {
        if (segments.isEmpty()) {
            throw new IllegalArgumentException("a scenario needs at least one segment");
        }
        long expected = 0;
        for (Segment s : segments) {
            if (s.startOffsetMicros() != expected) {
                throw new IllegalArgumentException(
                        "segments must be contiguous from 0; expected a start at "
                                + expected
                                + " µs, got "
                                + s);
            }
            expected = s.endOffsetMicros();
        }
        this.segments = List.copyOf(segments);
        this.dropouts = sortedDisjoint(dropouts, "drop-outs");
        this.offline = sortedDisjoint(offline, "offline periods");
    }

    private static List<Span> sortedDisjoint(List<Span> spans, String what) {
        List<Span> sorted = new ArrayList<>(spans);
        sorted.sort(Comparator.comparingLong(Span::startOffsetMicros));
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i).startOffsetMicros() < sorted.get(i - 1).endOffsetMicros()) {
                throw new IllegalArgumentException(
                        what + " overlap: " + sorted.get(i - 1) + " and " + sorted.get(i));
            }
        }
        return List.copyOf(sorted);
    }

    /** A single open-ended segment; OTHER gets a PVC every 4th beat. */
    public static Scenario steady(Rhythm rhythm, double meanBpm, Noise noise) {
        return builder().segment(3600, rhythm, meanBpm, noise).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * A random scenario of at least {@code durationMicros} from {@code seed}: segments of 30-300 s;
     * rhythms NORMAL (60 %; three in four at rest, 45-110 bpm, the rest anywhere in 40-180 bpm, so
     * the whole range the heads must cover is in the training data), AF (25 %, 60-170 bpm) and
     * OTHER (15 %, 50-110 bpm with a PVC every 3rd to 6th beat); noise clean (half the segments,
     * 0.01-0.03 mV), moderate (35 %, 0.04-0.12 mV) or heavy (15 %, 0.15-0.3 mV) with a random mix
     * of the three types; offline periods of 30-300 s every 10-40 min; drop-outs of 1-20 s every
     * 2-15 min, never inside an offline period. Same seed, same scenario.
     */
    public static Scenario generate(long seed, long durationMicros) {
        if (durationMicros <= 0) {
            throw new IllegalArgumentException("durationMicros must be > 0, got " + durationMicros);
        }
        // java.util.Random is specified bit for bit, so the schedule is the same on every JVM; the
        // scenario is generated once, eagerly, so a sequential generator is safe here.
        Random r = new Random(CounterRng.derive(seed, STREAM_SCENARIO));
        Builder b = builder();
        long t = 0;
        while (t < durationMicros) {
            int seconds =
                    MIN_GENERATED_SEGMENT_SECONDS
                            + r.nextInt(
                                    MAX_GENERATED_SEGMENT_SECONDS
                                            - MIN_GENERATED_SEGMENT_SECONDS
                                            + 1);
            double u = r.nextDouble();
            Rhythm rhythm = u < 0.60 ? Rhythm.NORMAL : u < 0.85 ? Rhythm.AF : Rhythm.OTHER;
            double bpm;
            int pvcEvery = 0;
            switch (rhythm) {
                case NORMAL ->
                        bpm =
                                r.nextDouble() < 0.25
                                        ? 40 + 140 * r.nextDouble()
                                        : 45 + 65 * r.nextDouble();
                case AF -> bpm = 60 + 110 * r.nextDouble();
                default -> {
                    bpm = 50 + 60 * r.nextDouble();
                    pvcEvery = 3 + r.nextInt(4);
                }
            }
            double level;
            double v = r.nextDouble();
            if (v < 0.50) {
                level = 0.01 + 0.02 * r.nextDouble();
            } else if (v < 0.85) {
                level = 0.04 + 0.08 * r.nextDouble();
            } else {
                level = 0.15 + 0.15 * r.nextDouble();
            }
            Noise noise =
                    Noise.of(
                            level,
                            0.2 + r.nextDouble(),
                            0.2 + r.nextDouble(),
                            0.1 + r.nextDouble());
            // A tenth of a bpm is precision enough, and it keeps the printed schedule readable.
            bpm = Math.round(bpm * 10) / 10.0;
            b.segmentMicros(seconds * MICROS, rhythm, bpm, noise, pvcEvery);
            t += seconds * MICROS;
        }
        List<Span> offline = new ArrayList<>();
        long o = (600 + r.nextInt(1801)) * MICROS;
        while (o < durationMicros) {
            long len = (30 + r.nextInt(271)) * MICROS;
            offline.add(new Span(o, o + len));
            o += len + (600 + r.nextInt(1801)) * MICROS;
        }
        long d = (120 + r.nextInt(781)) * MICROS;
        while (d < durationMicros) {
            long len = (1 + r.nextInt(20)) * MICROS;
            Span span = new Span(d, d + len);
            if (offline.stream()
                    .noneMatch(
                            s ->
                                    s.startOffsetMicros() < span.endOffsetMicros()
                                            && span.startOffsetMicros() < s.endOffsetMicros())) {
                b.dropouts.add(span);
            }
            d += len + (120 + r.nextInt(781)) * MICROS;
        }
        b.offline.addAll(offline);
        return b.build();
    }

    /**
     * The same schedule and link events with every noise level zero: the clean reference signal.
     */
    public Scenario withoutNoise() {
        List<Segment> clean =
                segments.stream()
                        .map(
                                s ->
                                        new Segment(
                                                s.startOffsetMicros(),
                                                s.durationMicros(),
                                                s.rhythm(),
                                                s.meanBpm(),
                                                Noise.NONE,
                                                s.pvcEvery()))
                        .toList();
        return new Scenario(clean, dropouts, offline);
    }

    /** The same schedule without drop-outs or offline periods (e.g. for chunk templates). */
    public Scenario withoutLinkEvents() {
        return new Scenario(segments, List.of(), List.of());
    }

    public List<Segment> segments() {
        return segments;
    }

    public List<Span> dropouts() {
        return dropouts;
    }

    public List<Span> offlinePeriods() {
        return offline;
    }

    /** Nominal end of the last segment (the schedule continues with it beyond). */
    public long nominalDurationMicros() {
        return segments.get(segments.size() - 1).endOffsetMicros();
    }

    /**
     * Index of the segment in force at {@code offsetMicros} (the first for negative offsets, the
     * last beyond the end).
     */
    public int segmentIndexAt(long offsetMicros) {
        int lo = 0;
        int hi = segments.size() - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (segments.get(mid).startOffsetMicros() <= offsetMicros) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    public Segment segmentAt(long offsetMicros) {
        return segments.get(segmentIndexAt(offsetMicros));
    }

    /**
     * Weight of segment {@code i} (against segment {@code i - 1}) at {@code offsetMicros}, rising
     * linearly from 0 to 1 over {@code rampMicros} after the segment starts; 1 for the first
     * segment.
     */
    double rampWeight(int i, long offsetMicros, long rampMicros) {
        if (i == 0) {
            return 1.0;
        }
        long into = offsetMicros - segments.get(i).startOffsetMicros();
        return into >= rampMicros ? 1.0 : Math.max(0.0, (double) into / rampMicros);
    }

    /** Target mean heart rate at {@code offsetMicros}, bpm, including the transition ramp. */
    public double targetBpmAt(long offsetMicros) {
        int i = segmentIndexAt(offsetMicros);
        double w = rampWeight(i, offsetMicros, RATE_RAMP_MICROS);
        double cur = segments.get(i).meanBpm();
        return w >= 1.0 ? cur : w * cur + (1 - w) * segments.get(i - 1).meanBpm();
    }

    /**
     * Noise level at {@code offsetMicros}, including the transition ramp (per type, linearly in
     * amplitude).
     */
    public Noise noiseAt(long offsetMicros) {
        return noiseAt(segmentIndexAt(offsetMicros), offsetMicros);
    }

    /** {@link #noiseAt(long)} when the segment index {@code i} at that offset is already known. */
    Noise noiseAt(int i, long offsetMicros) {
        double w = rampWeight(i, offsetMicros, LEVEL_RAMP_MICROS);
        Noise cur = segments.get(i).noise();
        if (w >= 1.0) {
            return cur;
        }
        Noise prev = segments.get(i - 1).noise();
        return new Noise(
                w * cur.baselineWanderMv() + (1 - w) * prev.baselineWanderMv(),
                w * cur.muscleMv() + (1 - w) * prev.muscleMv(),
                w * cur.electrodeMotionMv() + (1 - w) * prev.electrodeMotionMv());
    }

    /**
     * Relative f-wave amplitude at {@code offsetMicros}: 1 in AF, 0 elsewhere, ramped at
     * boundaries.
     */
    public double fibrillationWeightAt(long offsetMicros) {
        return fibrillationWeightAt(segmentIndexAt(offsetMicros), offsetMicros);
    }

    /**
     * {@link #fibrillationWeightAt(long)} when the segment index {@code i} at that offset is
     * already known.
     */
    double fibrillationWeightAt(int i, long offsetMicros) {
        double cur = segments.get(i).rhythm() == Rhythm.AF ? 1.0 : 0.0;
        double w = rampWeight(i, offsetMicros, LEVEL_RAMP_MICROS);
        return w >= 1.0
                ? cur
                : w * cur + (1 - w) * (segments.get(i - 1).rhythm() == Rhythm.AF ? 1.0 : 0.0);
    }

    /**
     * Time spent in each rhythm within [from, to), µs, indexed by {@link Rhythm#ordinal()}; exact,
     * from the schedule's boundaries.
     */
    public long[] rhythmMicros(long fromOffsetMicros, long toOffsetMicros) {
        long[] out = new long[Rhythm.values().length];
        for (int i = segmentIndexAt(fromOffsetMicros); i < segments.size(); i++) {
            Segment s = segments.get(i);
            long lo = i == 0 ? Long.MIN_VALUE : s.startOffsetMicros();
            long hi = i == segments.size() - 1 ? Long.MAX_VALUE : s.endOffsetMicros();
            long a = Math.max(lo, fromOffsetMicros);
            long b = Math.min(hi, toOffsetMicros);
            if (a >= toOffsetMicros) {
                break;
            }
            if (b > a) {
                out[s.rhythm().ordinal()] += b - a;
            }
        }
        return out;
    }

    /** Whether any instant in [from, toInclusive] lies in a drop-out. */
    public boolean overlapsDropout(long fromOffsetMicros, long toOffsetMicrosInclusive) {
        Span s = lastStartingAtOrBefore(dropouts, toOffsetMicrosInclusive);
        return s != null && s.endOffsetMicros() > fromOffsetMicros;
    }

    /** Whether {@code offsetMicros} lies in a drop-out. */
    public boolean inDropout(long offsetMicros) {
        return overlapsDropout(offsetMicros, offsetMicros);
    }

    /**
     * End of the offline period containing {@code offsetMicros}, or -1 if the device is online
     * then.
     */
    public long offlineUntil(long offsetMicros) {
        Span s = lastStartingAtOrBefore(offline, offsetMicros);
        return s != null && s.contains(offsetMicros) ? s.endOffsetMicros() : -1;
    }

    private static Span lastStartingAtOrBefore(List<Span> spans, long offsetMicros) {
        int lo = 0;
        int hi = spans.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (spans.get(mid).startOffsetMicros() <= offsetMicros) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo == 0 ? null : spans.get(lo - 1);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Scenario s
                && segments.equals(s.segments)
                && dropouts.equals(s.dropouts)
                && offline.equals(s.offline);
    }

    @Override
    public int hashCode() {
        return Objects.hash(segments, dropouts, offline);
    }

    @Override
    public String toString() {
        return "Scenario[segments="
                + segments
                + ", dropouts="
                + dropouts
                + ", offline="
                + offline
                + "]";
    }

    /**
     * Writes a schedule segment after segment; times in seconds are rounded to whole microseconds.
     */
    public static final class Builder {
        private final List<Segment> segments = new ArrayList<>();
        private final List<Span> dropouts = new ArrayList<>();
        private final List<Span> offline = new ArrayList<>();
        private long end;

        private Builder() {}

        /** Appends a NORMAL or AF segment, or an OTHER segment with a PVC every 4th beat. */
        public Builder segment(double seconds, Rhythm rhythm, double meanBpm, Noise noise) {
            return segmentMicros(
                    micros(seconds), rhythm, meanBpm, noise, rhythm == Rhythm.OTHER ? 4 : 0);
        }

        /** Appends an OTHER segment with a PVC every {@code pvcEvery} beats. */
        public Builder pvcSegment(double seconds, double meanBpm, int pvcEvery, Noise noise) {
            return segmentMicros(micros(seconds), Rhythm.OTHER, meanBpm, noise, pvcEvery);
        }

        public Builder segmentMicros(
                long durationMicros, Rhythm rhythm, double meanBpm, Noise noise, int pvcEvery) {
            segments.add(new Segment(end, durationMicros, rhythm, meanBpm, noise, pvcEvery));
            end += durationMicros;
            return this;
        }

        /** Chunks with any sample in [from, to) s are lost. */
        public Builder dropout(double fromSeconds, double toSeconds) {
            dropouts.add(new Span(micros(fromSeconds), micros(toSeconds)));
            return this;
        }

        /** Chunks completed in [from, to) s are held back and released at {@code to}. */
        public Builder offline(double fromSeconds, double toSeconds) {
            offline.add(new Span(micros(fromSeconds), micros(toSeconds)));
            return this;
        }

        /**
         * @throws IllegalArgumentException without segments, or if drop-outs (or offline periods)
         *     overlap
         */
        public Scenario build() {
            return new Scenario(segments, dropouts, offline);
        }

        private static long micros(double seconds) {
            if (!(seconds >= 0) || Double.isInfinite(seconds)) {
                throw new IllegalArgumentException(
                        "seconds must be finite and >= 0, got " + seconds);
            }
            return Math.round(seconds * 1e6);
        }
    }
}
