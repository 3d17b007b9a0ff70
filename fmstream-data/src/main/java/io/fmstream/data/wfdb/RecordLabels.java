package io.fmstream.data.wfdb;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Labels derived from a record's reference annotations, in seconds: beat times, heart rate per
 * window and rhythm spans. These are the targets downstream heads are fitted and evaluated on.
 *
 * <p>Heart rate over a window {@code [start, end)} uses the beats whose times fall inside it and
 * the RR intervals between consecutive such beats: {@link #heartRate} is {@code 60 × (number of RR
 * intervals) / (their total duration)} = {@code 60 × (n - 1) / (t_last - t_first)}, i.e. the mean
 * rate, which equals a beat count and is unaffected by where in the window beats fall; {@link
 * #medianRrHeartRate} is {@code 60 / median RR}, more robust to missed or extra beats. Both are NaN
 * with fewer than 2 beats in the window. All beat annotations count (per {@link
 * MitAnnotations#isBeat}), ectopic ones included: they are heartbeats.
 *
 * <p>Rhythm spans come from rhythm-change annotations ({@link MitAnnotations#RHYTHM}, aux text like
 * "(N", "(AFIB", "(AFL"): each span runs from its annotation to the next rhythm change, the last
 * one to the record's end. Before the first rhythm annotation the rhythm is unknown (no span). A
 * rhythm annotation without aux text gives a span with an empty label.
 */
public final class RecordLabels {

    /**
     * A stretch of one rhythm.
     *
     * @param label the aux text as annotated, e.g. "(N", "(AFIB"
     * @param startSeconds inclusive
     * @param endSeconds exclusive
     */
    public record RhythmSpan(String label, double startSeconds, double endSeconds) {

        /** The rhythm without its leading parenthesis: "N", "AFIB". */
        public String rhythm() {
            return label.startsWith("(") ? label.substring(1) : label;
        }

        public double durationSeconds() {
            return endSeconds - startSeconds;
        }

        public boolean contains(double seconds) {
            return seconds >= startSeconds && seconds < endSeconds;
        }
    }

    private final double frequency;
    private final double durationSeconds;
    private final double[] beatTimes;
    private final List<RhythmSpan> rhythmSpans;

    private RecordLabels(
            double frequency,
            double durationSeconds,
            double[] beatTimes,
            List<RhythmSpan> rhythmSpans) {
        this.frequency = frequency;
        this.durationSeconds = durationSeconds;
        this.beatTimes = beatTimes;
        this.rhythmSpans = List.copyOf(rhythmSpans);
    }

    /** Labels of a record, using the header's frame frequency and length. */
    public static RecordLabels of(MitAnnotations annotations, WfdbHeader header) {
        if (header.numberOfSamples() == 0) {
            throw new WfdbException(
                    header.source(),
                    0,
                    "the header gives no number of samples, so the last rhythm span has no end; use"
                            + " RecordLabels.of(annotations, frequency, durationSeconds)");
        }
        return of(annotations, header.samplingFrequency(), header.durationSeconds());
    }

    /**
     * Labels from annotations whose sample numbers count frames at {@code frequency} Hz, for a
     * record lasting {@code durationSeconds}.
     */
    public static RecordLabels of(
            MitAnnotations annotations, double frequency, double durationSeconds) {
        if (!(frequency > 0)) {
            throw new IllegalArgumentException("frequency must be positive: " + frequency);
        }
        List<MitAnnotations.Annotation> all = new ArrayList<>(annotations.annotations());
        // MIT files are written in time order, but sort defensively: spans and RR intervals need
        // it.
        all.sort((a, b) -> Long.compare(a.sample(), b.sample()));
        double[] beats =
                all.stream()
                        .filter(MitAnnotations.Annotation::isBeat)
                        .mapToDouble(a -> a.sample() / frequency)
                        .toArray();
        List<MitAnnotations.Annotation> rhythm =
                all.stream().filter(a -> a.code() == MitAnnotations.RHYTHM).toList();
        List<RhythmSpan> spans = new ArrayList<>();
        for (int i = 0; i < rhythm.size(); i++) {
            MitAnnotations.Annotation a = rhythm.get(i);
            double start = a.sample() / frequency;
            double end =
                    i + 1 < rhythm.size()
                            ? rhythm.get(i + 1).sample() / frequency
                            : Math.max(start, durationSeconds);
            spans.add(new RhythmSpan(a.aux() == null ? "" : a.aux(), start, end));
        }
        return new RecordLabels(frequency, durationSeconds, beats, spans);
    }

    /** Frames per second the annotation sample numbers were converted with. */
    public double frequency() {
        return frequency;
    }

    public double durationSeconds() {
        return durationSeconds;
    }

    /** Times of all beat annotations, ascending (a copy). */
    public double[] beatTimes() {
        return beatTimes.clone();
    }

    public int beatCount() {
        return beatTimes.length;
    }

    /** Beat times in {@code [start, end)}. */
    public double[] beatTimes(double startSeconds, double endSeconds) {
        int from = lowerBound(startSeconds);
        int to = lowerBound(endSeconds);
        return Arrays.copyOfRange(beatTimes, from, Math.max(from, to));
    }

    /**
     * Mean heart rate in bpm over {@code [start, end)}: 60 × (n - 1) / (t_last - t_first); NaN
     * below 2 beats.
     */
    public double heartRate(double startSeconds, double endSeconds) {
        double[] t = beatTimes(startSeconds, endSeconds);
        if (t.length < 2) {
            return Double.NaN;
        }
        return 60.0 * (t.length - 1) / (t[t.length - 1] - t[0]);
    }

    /** Heart rate in bpm over {@code [start, end)} as 60 / median RR; NaN below 2 beats. */
    public double medianRrHeartRate(double startSeconds, double endSeconds) {
        double[] t = beatTimes(startSeconds, endSeconds);
        if (t.length < 2) {
            return Double.NaN;
        }
        double[] rr = new double[t.length - 1];
        for (int i = 0; i < rr.length; i++) {
            rr[i] = t[i + 1] - t[i];
        }
        Arrays.sort(rr);
        int m = rr.length / 2;
        double median = rr.length % 2 == 1 ? rr[m] : (rr[m - 1] + rr[m]) / 2;
        return 60.0 / median;
    }

    /**
     * {@link #heartRate} over consecutive windows {@code [k·w, (k+1)·w)} covering the record; a
     * last partial window is dropped.
     */
    public double[] heartRatePerWindow(double windowSeconds) {
        if (!(windowSeconds > 0)) {
            throw new IllegalArgumentException("window must be positive: " + windowSeconds);
        }
        int n = (int) Math.floor(durationSeconds / windowSeconds + 1e-9);
        double[] out = new double[n];
        for (int k = 0; k < n; k++) {
            out[k] = heartRate(k * windowSeconds, (k + 1) * windowSeconds);
        }
        return out;
    }

    /** Rhythm spans in time order. */
    public List<RhythmSpan> rhythmSpans() {
        return rhythmSpans;
    }

    /** The rhythm span containing {@code seconds}, if any. */
    public Optional<RhythmSpan> rhythmAt(double seconds) {
        for (RhythmSpan s : rhythmSpans) {
            if (s.contains(seconds)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    private int lowerBound(double t) {
        int lo = 0;
        int hi = beatTimes.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (beatTimes[mid] < t) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
