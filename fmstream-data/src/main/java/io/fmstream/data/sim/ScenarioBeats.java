package io.fmstream.data.sim;

import java.util.Random;

/**
 * The beats of a scenario-driven device, generated lazily and strictly in order: each beat is
 * decided by the segment in force at the previous beat's R peak (so at a boundary at most one beat
 * still follows the old rhythm, as the heart cannot know the schedule).
 *
 * <ul>
 *   <li>NORMAL: sinus beats, RR = 60 / target bpm × (1 + RSA + Mayer modulation) × (1 + jitter)
 *       ({@link Physiology}), kept within [1/3, 1.5] s (180-40 bpm).
 *   <li>AF: beats without P waves at independent RR = mean RR × (1 + cv·z), z standard normal
 *       clipped at ±2.5 and cv the device's 0.15-0.25: irregularly irregular, with no memory
 *       between beats.
 *   <li>OTHER: sinus rhythm in which, after every {@code pvcEvery - 1} conducted beats, a PVC comes
 *       at the device's coupling interval (55-70 % of the sinus RR, at least {@value
 *       #MIN_PVC_COUPLING_SECONDS} s) and is followed by a full compensatory pause: the next sinus
 *       beat comes two sinus RRs after the last one, because the PVC does not reset the sinus node.
 * </ul>
 *
 * Randomness comes from one {@link Random} seeded from the device seed, drawn in beat order.
 */
final class ScenarioBeats extends BeatSource {

    static final double MIN_PVC_COUPLING_SECONDS = 0.3;
    private static final long STREAM = 0xBEA75L;

    private final Scenario scenario;
    private final Physiology physiology;
    private final Random random;

    private int lastSegment = -1;

    /** Beats since the last PVC (or since the segment started). */
    private int beatsSincePvc;

    /**
     * R time of the sinus beat that follows the pending compensatory pause; NaN when none is
     * pending.
     */
    private double pendingSinus = Double.NaN;

    ScenarioBeats(long seed, Scenario scenario, Physiology physiology) {
        this.scenario = scenario;
        this.physiology = physiology;
        this.random = new Random(CounterRng.derive(seed, STREAM));
        Scenario.Segment first = scenario.segments().get(0);
        double firstRr = 60.0 / first.meanBpm();
        double r = -BeatSequence.PRE_ROLL_SECONDS + random.nextDouble() * firstRr;
        append(
                r,
                firstRr,
                nextAmplitudeScale(),
                first.rhythm() == Rhythm.AF ? BeatKind.AF_CONDUCTED : BeatKind.SINUS);
    }

    @Override
    protected void generateNext() {
        double last = lastRPeakSeconds();
        long offset = Math.round(last * 1e6);
        int si = scenario.segmentIndexAt(offset);
        Scenario.Segment segment = scenario.segments().get(si);
        if (si != lastSegment) {
            lastSegment = si;
            beatsSincePvc = 0;
        }
        double bpm = scenario.targetBpmAt(offset);
        double meanRr = 60.0 / bpm;
        if (segment.rhythm() == Rhythm.AF) {
            pendingSinus = Double.NaN;
            beatsSincePvc = 0;
            double rr =
                    clampRr(
                            meanRr
                                    * (1
                                            + physiology.afRrCv
                                                    * BeatSequence.clippedGaussian(random)));
            append(last + rr, rr, nextAmplitudeScale(), BeatKind.AF_CONDUCTED);
            return;
        }
        if (lastKind() == BeatKind.PVC && !Double.isNaN(pendingSinus)) {
            double r = pendingSinus;
            pendingSinus = Double.NaN;
            beatsSincePvc = 1;
            append(r, r - last, nextAmplitudeScale(), BeatKind.SINUS);
            return;
        }
        double rr =
                clampRr(
                        meanRr
                                * (1 + physiology.rrModulation(last, bpm))
                                * (1 + physiology.rrJitter * BeatSequence.clippedGaussian(random)));
        if (segment.rhythm() == Rhythm.OTHER && beatsSincePvc >= segment.pvcEvery() - 1) {
            double coupling =
                    Math.max(
                            MIN_PVC_COUPLING_SECONDS,
                            rr
                                    * physiology.pvcCoupling
                                    * (1 + 0.02 * BeatSequence.clippedGaussian(random)));
            pendingSinus = last + 2 * rr;
            beatsSincePvc = 0;
            append(last + coupling, coupling, nextAmplitudeScale(), BeatKind.PVC);
            return;
        }
        beatsSincePvc++;
        append(last + rr, rr, nextAmplitudeScale(), BeatKind.SINUS);
    }

    private static double clampRr(double rr) {
        return Math.max(BeatSequence.MIN_RR, Math.min(BeatSequence.MAX_RR, rr));
    }

    private double nextAmplitudeScale() {
        return 1.0 + BeatSequence.AMPLITUDE_JITTER * BeatSequence.clippedGaussian(random);
    }
}
