package io.fmstream.data.replay;

import io.fmstream.data.wfdb.RecordLabels;
import io.fmstream.schemas.GroundTruth;
import io.fmstream.schemas.Rhythm;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Ground truth of a replayed record, from its cardiologists' annotations: for each span of the
 * window grid, the mean heart rate of the annotated beats and the majority annotated rhythm.
 */
public final class AnnotationTruth {

    private AnnotationTruth() {}

    /**
     * One record per span {@code [k * hop, k * hop + length)} (seconds from the record's start)
     * that lies wholly inside the record.
     */
    public static List<GroundTruth> spans(
            String deviceId,
            RecordLabels labels,
            long startMicros,
            double lengthSeconds,
            double hopSeconds,
            String source) {
        List<GroundTruth> out = new ArrayList<>();
        for (int k = 0; k * hopSeconds + lengthSeconds <= labels.durationSeconds() + 1e-9; k++) {
            double a = k * hopSeconds;
            double b = a + lengthSeconds;
            double hr = labels.heartRate(a, b);
            RhythmShare share = majorityRhythm(labels, a, b);
            out.add(
                    GroundTruth.newBuilder()
                            .setDeviceId(deviceId)
                            .setSpanStartMicros(startMicros + Math.round(a * 1e6))
                            .setSpanEndMicros(startMicros + Math.round(b * 1e6))
                            .setHeartRateBpm(Double.isNaN(hr) ? null : hr)
                            .setRhythm(share.rhythm)
                            .setRhythmFraction((float) share.fraction)
                            .setNoiseRmsMv(null)
                            .setDroppedFraction(0f)
                            .setSource(source)
                            .build());
        }
        return out;
    }

    /** Maps a WFDB rhythm annotation ("(N", "(AFIB", "(AFL", ...) to the wire's rhythm classes. */
    public static Rhythm rhythmOf(String annotation) {
        String a = annotation.trim().toUpperCase(Locale.ROOT);
        if (a.equals("(N") || a.equals("(SBR")) {
            return Rhythm.NORMAL;
        }
        if (a.equals("(AFIB") || a.equals("(AFL")) {
            return Rhythm.AF;
        }
        return a.isEmpty() ? Rhythm.UNKNOWN : Rhythm.OTHER;
    }

    private record RhythmShare(Rhythm rhythm, double fraction) {}

    private static RhythmShare majorityRhythm(RecordLabels labels, double a, double b) {
        double[] seconds = new double[Rhythm.values().length];
        double covered = 0;
        for (RecordLabels.RhythmSpan span : labels.rhythmSpans()) {
            double overlap = Math.min(b, span.endSeconds()) - Math.max(a, span.startSeconds());
            if (overlap > 0) {
                seconds[rhythmOf(span.label()).ordinal()] += overlap;
                covered += overlap;
            }
        }
        if (covered <= 0) {
            return new RhythmShare(Rhythm.UNKNOWN, 1.0);
        }
        int best = 0;
        for (int i = 1; i < seconds.length; i++) {
            if (seconds[i] > seconds[best]) {
                best = i;
            }
        }
        return new RhythmShare(Rhythm.values()[best], seconds[best] / (b - a));
    }
}
