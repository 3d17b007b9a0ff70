package io.fmstream.data.sim;

import java.util.List;
import java.util.Objects;

/**
 * The shape of one ECG heartbeat as a sum of Gaussian bumps (P, Q, R, S, T), placed relative to the
 * beat's R peak: a time-domain simplification of the McSharry et al. (2003) dynamical model.
 *
 * <p>McSharry's model moves a point around a unit circle once per RR interval and adds a Gaussian
 * "event" at each of five angles θ<sub>i</sub> with width b<sub>i</sub>; integrating gives an ECG
 * whose wave i has height a<sub>i</sub>·b<sub>i</sub>². Here each event becomes a Gaussian in time,
 * using McSharry's parameters read at a 60 bpm cycle (θ/2π seconds from R, width b/2π seconds),
 * heights scaled so that the R wave is 1 mV. Instead of stretching the whole beat with the RR
 * interval (which would make QRS unrealistically narrow at high rates), QRS keeps its width and the
 * P and T waves move and widen with √RR, in the spirit of McSharry's rate-dependent factors and
 * Bazett's QT correction.
 *
 * <p>Instances are immutable. Three morphologies are predefined, one per {@link BeatKind}: {@link
 * #normalSinus()}, {@link #atrialFibrillation()} (the same beat without its P wave, since in AF the
 * atria do not depolarise as a whole) and {@link #prematureVentricular()} (a wide, tall QRS without
 * P and a T wave of opposite polarity, because a ventricular focus depolarises the ventricles
 * through the slow myocardium instead of the His-Purkinje system).
 */
public final class EcgWaveform {

    /**
     * One wave of the beat.
     *
     * @param name P, Q, R, S or T
     * @param offsetSeconds centre relative to the R peak for a 1 s RR interval
     * @param sigmaSeconds Gaussian standard deviation for a 1 s RR interval
     * @param amplitudeMv peak height in mV (negative for Q and S)
     * @param rateAdaptive whether offset and width scale with √RR (P, T) or stay fixed (QRS)
     */
    public record Wave(
            String name,
            double offsetSeconds,
            double sigmaSeconds,
            double amplitudeMv,
            boolean rateAdaptive) {
        public Wave {
            Objects.requireNonNull(name, "name");
            if (!(sigmaSeconds > 0)) {
                throw new IllegalArgumentException("sigmaSeconds must be > 0, got " + sigmaSeconds);
            }
        }
    }

    /**
     * Beyond this many standard deviations a wave's contribution (< 2e-8 of its height) is dropped.
     */
    private static final double CUTOFF_SIGMAS = 6.0;

    /** Longest RR the heart-rate profiles produce (40 bpm); bounds how far a beat's waves reach. */
    private static final double MAX_RR_SECONDS = 60.0 / HeartRateProfile.MIN_BPM;

    private static final double TWO_PI = 2 * Math.PI;

    /** Converts McSharry's a·b² heights to mV so that R (30 · 0.1²) is 1 mV. */
    private static final double MV_PER_MODEL_UNIT = 1.0 / (30 * 0.1 * 0.1);

    private static final EcgWaveform NORMAL_SINUS =
            new EcgWaveform(
                    List.of(
                            mcSharry("P", -70, 1.2, 0.25, true),
                            mcSharry("Q", -15, -5.0, 0.1, false),
                            mcSharry("R", 0, 30.0, 0.1, false),
                            mcSharry("S", 15, -7.5, 0.1, false),
                            mcSharry("T", 100, 0.75, 0.4, true)));

    /**
     * Premature ventricular contraction, in mV and seconds (not McSharry's units: his model has no
     * PVC). The main deflection (σ 30 ms, about twice the sinus R's half-maximum width) and the
     * following S-like trough make a QRS of about 150 ms from the first to the last deflection
     * beyond 20 % of its height (the sinus beat: about 75 ms); clinically a PVC's QRS exceeds 120
     * ms. It is taller than the sinus R (about 1.3 mV) and its T wave is inverted (discordant).
     */
    private static final EcgWaveform PREMATURE_VENTRICULAR =
            new EcgWaveform(
                    List.of(
                            new Wave("R", 0.0, 0.030, 1.3, false),
                            new Wave("S", 0.065, 0.028, -0.5, false),
                            new Wave("T", 0.28, 0.07, -0.4, true)));

    private static final EcgWaveform ATRIAL_FIBRILLATION =
            new EcgWaveform(
                    NORMAL_SINUS.waves().stream().filter(w -> !w.name().equals("P")).toList());

    private final List<Wave> waves;
    private final double[] offset;
    private final double[] sigma;
    private final double[] amplitude;
    private final boolean[] adaptive;
    private final double reachBeforeR;
    private final double reachAfterR;

    public EcgWaveform(List<Wave> waves) {
        if (waves.isEmpty()) {
            throw new IllegalArgumentException("a waveform needs at least one wave");
        }
        this.waves = List.copyOf(waves);
        int n = waves.size();
        offset = new double[n];
        sigma = new double[n];
        amplitude = new double[n];
        adaptive = new boolean[n];
        double before = 0;
        double after = 0;
        double maxScale = Math.sqrt(MAX_RR_SECONDS);
        for (int i = 0; i < n; i++) {
            Wave w = waves.get(i);
            offset[i] = w.offsetSeconds();
            sigma[i] = w.sigmaSeconds();
            amplitude[i] = w.amplitudeMv();
            adaptive[i] = w.rateAdaptive();
            // Rate-adaptive waves only shrink below a 1 s RR, so the longest RR bounds their reach.
            double scale = w.rateAdaptive() ? Math.max(1.0, maxScale) : 1.0;
            double lo = (w.offsetSeconds() - CUTOFF_SIGMAS * w.sigmaSeconds()) * scale;
            double hi = (w.offsetSeconds() + CUTOFF_SIGMAS * w.sigmaSeconds()) * scale;
            before = Math.max(before, -Math.min(lo, hi));
            after = Math.max(after, Math.max(lo, hi));
        }
        this.reachBeforeR = before;
        this.reachAfterR = after;
    }

    /** Normal sinus-rhythm beat, lead-II-like: upright P, R, T; small Q; S about a quarter of R. */
    public static EcgWaveform normalSinus() {
        return NORMAL_SINUS;
    }

    /** A sinus beat conducted during atrial fibrillation: the sinus QRS-T with no P wave. */
    public static EcgWaveform atrialFibrillation() {
        return ATRIAL_FIBRILLATION;
    }

    /** A premature ventricular contraction: wide bizarre QRS, no P wave, discordant T wave. */
    public static EcgWaveform prematureVentricular() {
        return PREMATURE_VENTRICULAR;
    }

    /** The predefined morphology of beats of {@code kind}. */
    public static EcgWaveform forKind(BeatKind kind) {
        return switch (kind) {
            case SINUS -> NORMAL_SINUS;
            case AF_CONDUCTED -> ATRIAL_FIBRILLATION;
            case PVC -> PREMATURE_VENTRICULAR;
        };
    }

    /** Whether the morphology has a wave with this name (e.g. "P"). */
    public boolean hasWave(String name) {
        return waves.stream().anyMatch(w -> w.name().equals(name));
    }

    private static Wave mcSharry(
            String name, double thetaDegrees, double a, double b, boolean rateAdaptive) {
        return new Wave(
                name,
                Math.toRadians(thetaDegrees) / TWO_PI,
                b / TWO_PI,
                a * b * b * MV_PER_MODEL_UNIT,
                rateAdaptive);
    }

    public List<Wave> waves() {
        return waves;
    }

    /**
     * How long before its R peak a beat's first wave can start to contribute, in seconds (upper
     * bound).
     */
    public double reachBeforeRSeconds() {
        return reachBeforeR;
    }

    /**
     * How long after its R peak a beat's last wave can still contribute, in seconds (upper bound).
     */
    public double reachAfterRSeconds() {
        return reachAfterR;
    }

    /**
     * Contribution of {@code beat} to the signal at {@code tSeconds} (same time base as {@link
     * Beat#rPeakSeconds()}), in mV. A pure function of its arguments, so the signal never depends
     * on evaluation order or chunking. {@code StrictMath} keeps it bit-identical on every JVM.
     */
    public double contributionMv(Beat beat, double tSeconds) {
        double dt = tSeconds - beat.rPeakSeconds();
        // The RR after a premature beat (compensatory pause) can exceed the longest sinus RR; the
        // waves
        // stop adapting there, which also keeps them within reachAfterRSeconds().
        double rateScale = StrictMath.sqrt(Math.min(beat.precedingRrSeconds(), MAX_RR_SECONDS));
        double sum = 0;
        for (int i = 0; i < offset.length; i++) {
            double s = adaptive[i] ? rateScale : 1.0;
            double sd = sigma[i] * s;
            double z = (dt - offset[i] * s) / sd;
            if (z > CUTOFF_SIGMAS || z < -CUTOFF_SIGMAS) {
                continue;
            }
            sum += amplitude[i] * StrictMath.exp(-0.5 * z * z);
        }
        return sum * beat.amplitudeScale();
    }
}
