package io.fmstream.tools.learn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The classical baseline's features: QRS detection in the spirit of Pan and Tompkins (1985) and the
 * RR-irregularity, beat-morphology and signal-quality features that AF detectors have used since
 * (CV and RMSSD of RR, pNN50, Poincare SD1/SD2, sample entropy, turning points, template
 * correlation, P-wave evidence, kurtosis, band powers). Computed once per recording on the whole
 * recording at its native rate, which is what a competent user of hand-made features would do (it
 * sees more than the encoder's 10-s windows at 100 Hz).
 *
 * <p>Detector: zero-phase 5-15 Hz band-pass (biquads forward and backward), five-point derivative,
 * squaring, 150 ms moving integration; peaks of the integrated signal at least 250 ms apart,
 * adaptive signal/noise levels with a search-back at half threshold when an RR exceeds 1.66x the
 * running mean; each beat is placed at the largest absolute band-passed sample within 80 ms.
 */
public final class ClassicalEcgFeatures {

    /** Feature names, in output order. */
    public static final List<String> NAMES =
            List.of(
                    "hr_bpm",
                    "beats_per_min_count",
                    "rr_cv",
                    "rmssd_norm",
                    "pnn50",
                    "median_abs_drr_norm",
                    "sd1_sd2",
                    "rr_outlier_fraction",
                    "rr_sample_entropy",
                    "rr_min_rel",
                    "rr_max_rel",
                    "turning_point_ratio",
                    "drr_sign_change_fraction",
                    "kurtosis",
                    "flat_fraction",
                    "qrs_band_power_fraction",
                    "hf_noise_fraction",
                    "template_correlation",
                    "r_amplitude_cv",
                    "beat_coverage",
                    "p_wave_ratio",
                    "log_beats");

    private ClassicalEcgFeatures() {}

    /**
     * Features of one recording in millivolts at {@code fs} Hz; NaN where undefined (too few
     * beats).
     */
    public static double[] compute(double[] mv, double fs) {
        double[] f = new double[NAMES.size()];
        Arrays.fill(f, Double.NaN);
        int n = mv.length;
        double duration = n / fs;
        double[] band = bandPass(mv, fs, 5, 15);
        int[] beats = detect(band, fs);
        f[21] = Math.log1p(beats.length);
        f[1] = beats.length / duration * 60;
        // quality features need no beats
        f[13] = kurtosis(band);
        f[14] = flatFraction(mv);
        double[] high = bandPass(mv, fs, 0.5, Math.min(45, fs / 2.5));
        f[15] = energy(band) / Math.max(energy(high), 1e-12);
        double[] hp1 = highPass(mv, fs, 1.0);
        double[] lowBand = lowPass(hp1, fs, Math.min(40, fs / 3));
        double hf = 0;
        for (int i = 0; i < n; i++) {
            hf += (hp1[i] - lowBand[i]) * (hp1[i] - lowBand[i]);
        }
        f[16] = hf / Math.max(energy(hp1), 1e-12);
        if (beats.length < 3) {
            return f;
        }
        double[] rr = new double[beats.length - 1];
        for (int i = 0; i < rr.length; i++) {
            rr[i] = (beats[i + 1] - beats[i]) / fs;
        }
        double mean = mean(rr);
        double median = median(rr);
        f[0] = 60 / mean;
        f[2] = sd(rr) / mean;
        f[19] = Math.min(1.0, (beats[beats.length - 1] - beats[0]) / fs / duration);
        f[9] = min(rr) / median;
        f[10] = max(rr) / median;
        int outliers = 0;
        for (double v : rr) {
            if (Math.abs(v - median) > 0.15 * median) {
                outliers++;
            }
        }
        f[7] = (double) outliers / rr.length;
        double[] tpl = template(hp1, beats, fs);
        f[17] = templateCorrelation(hp1, beats, fs, tpl);
        f[18] = rAmplitudeCv(band, beats);
        f[20] = pWaveRatio(tpl, fs);
        if (rr.length < 2) {
            return f;
        }
        double[] drr = new double[rr.length - 1];
        int nn50 = 0;
        for (int i = 0; i < drr.length; i++) {
            drr[i] = rr[i + 1] - rr[i];
            if (Math.abs(drr[i]) > 0.05) {
                nn50++;
            }
        }
        double rmssd = Math.sqrt(meanSquare(drr));
        f[3] = rmssd / mean;
        f[4] = (double) nn50 / drr.length;
        double[] absDrr = new double[drr.length];
        for (int i = 0; i < drr.length; i++) {
            absDrr[i] = Math.abs(drr[i]);
        }
        f[5] = median(absDrr) / median;
        double sd1 = Math.sqrt(0.5) * sd(drr);
        double sdnn = sd(rr);
        double sd2sq = 2 * sdnn * sdnn - sd1 * sd1;
        f[6] = sd2sq > 1e-12 ? sd1 / Math.sqrt(sd2sq) : Double.NaN;
        f[8] = sampleEntropy(rr, 2, 0.2 * Math.max(sdnn, 1e-3));
        if (rr.length >= 3) {
            int turning = 0;
            for (int i = 1; i < rr.length - 1; i++) {
                if ((rr[i] > rr[i - 1] && rr[i] > rr[i + 1])
                        || (rr[i] < rr[i - 1] && rr[i] < rr[i + 1])) {
                    turning++;
                }
            }
            f[11] = (double) turning / (rr.length - 2);
        }
        if (drr.length >= 2) {
            int changes = 0;
            for (int i = 1; i < drr.length; i++) {
                if (Math.signum(drr[i]) != Math.signum(drr[i - 1])) {
                    changes++;
                }
            }
            f[12] = (double) changes / (drr.length - 1);
        }
        return f;
    }

    /** Beat sample indices found in a band-passed signal. */
    static int[] detect(double[] band, double fs) {
        int n = band.length;
        double[] integ = new double[n];
        int win = Math.max(1, (int) Math.round(0.15 * fs));
        double acc = 0;
        double[] sq = new double[n];
        for (int i = 0; i < n; i++) {
            double d =
                    (i >= 2 && i + 2 < n)
                            ? (2 * band[i + 1] + band[i + 2] - band[i - 2] - 2 * band[i - 1]) / 8
                            : 0;
            sq[i] = d * d;
            acc += sq[i];
            if (i >= win) {
                acc -= sq[i - win];
            }
            integ[i] = acc / win;
        }
        int refractory = (int) Math.round(0.25 * fs);
        // candidate peaks: local maxima of the integrated signal, at least `refractory` apart
        List<Integer> peaks = new ArrayList<>();
        for (int i = 1; i < n - 1; i++) {
            if (integ[i] > integ[i - 1] && integ[i] >= integ[i + 1]) {
                if (!peaks.isEmpty() && i - peaks.get(peaks.size() - 1) < refractory) {
                    if (integ[i] > integ[peaks.get(peaks.size() - 1)]) {
                        peaks.set(peaks.size() - 1, i);
                    }
                } else {
                    peaks.add(i);
                }
            }
        }
        if (peaks.isEmpty()) {
            return new int[0];
        }
        int init = Math.min(n, (int) (2 * fs));
        double maxInit = 0;
        double meanInit = 0;
        for (int i = 0; i < init; i++) {
            maxInit = Math.max(maxInit, integ[i]);
            meanInit += integ[i];
        }
        meanInit /= Math.max(init, 1);
        double spk = 0.25 * maxInit;
        double npk = 0.5 * meanInit;
        List<Integer> qrs = new ArrayList<>();
        List<Integer> rejected = new ArrayList<>();
        double rrMean = 0;
        for (int p : peaks) {
            double thr = npk + 0.25 * (spk - npk);
            double v = integ[p];
            if (v > thr) {
                if (!qrs.isEmpty() && rrMean > 0 && p - qrs.get(qrs.size() - 1) > 1.66 * rrMean) {
                    // search back for a missed beat among rejected peaks since the last beat
                    int last = qrs.get(qrs.size() - 1);
                    int best = -1;
                    for (int r : rejected) {
                        if (r > last + refractory
                                && r < p - refractory
                                && integ[r] > 0.5 * thr
                                && (best < 0 || integ[r] > integ[best])) {
                            best = r;
                        }
                    }
                    if (best >= 0) {
                        qrs.add(best);
                        spk = 0.25 * integ[best] + 0.75 * spk;
                    }
                }
                qrs.add(p);
                spk = 0.125 * v + 0.875 * spk;
                rejected.clear();
                int m = qrs.size();
                if (m >= 2) {
                    int from = Math.max(1, m - 8);
                    double s = 0;
                    for (int k = from; k < m; k++) {
                        s += qrs.get(k) - qrs.get(k - 1);
                    }
                    rrMean = s / (m - from);
                }
            } else {
                npk = 0.125 * v + 0.875 * npk;
                rejected.add(p);
            }
        }
        // place each beat on the largest |band-passed| sample near the integrator's peak (which
        // lags the QRS by about half the integration window)
        int half = (int) Math.round(0.08 * fs);
        int lag = win / 2;
        int[] out = new int[qrs.size()];
        int count = 0;
        for (int p : qrs) {
            int c = Math.max(0, p - lag);
            int best = c;
            for (int i = Math.max(0, c - half); i < Math.min(n, c + half); i++) {
                if (Math.abs(band[i]) > Math.abs(band[best])) {
                    best = i;
                }
            }
            if (count == 0 || best - out[count - 1] >= refractory) {
                out[count++] = best;
            }
        }
        return Arrays.copyOf(out, count);
    }

    private static double[] template(double[] x, int[] beats, double fs) {
        int pre = (int) Math.round(0.3 * fs);
        int post = (int) Math.round(0.4 * fs);
        List<double[]> segs = new ArrayList<>();
        for (int b : beats) {
            if (b - pre >= 0 && b + post < x.length) {
                segs.add(Arrays.copyOfRange(x, b - pre, b + post));
            }
        }
        if (segs.isEmpty()) {
            return null;
        }
        double[] tpl = new double[pre + post];
        double[] column = new double[segs.size()];
        for (int j = 0; j < tpl.length; j++) {
            for (int s = 0; s < segs.size(); s++) {
                column[s] = segs.get(s)[j];
            }
            tpl[j] = median(column);
        }
        return tpl;
    }

    private static double templateCorrelation(double[] x, int[] beats, double fs, double[] tpl) {
        if (tpl == null) {
            return Double.NaN;
        }
        int pre = (int) Math.round(0.3 * fs);
        double sum = 0;
        int count = 0;
        for (int b : beats) {
            if (b - pre >= 0 && b - pre + tpl.length <= x.length) {
                sum += correlation(Arrays.copyOfRange(x, b - pre, b - pre + tpl.length), tpl);
                count++;
            }
        }
        return count == 0 ? Double.NaN : sum / count;
    }

    /** Largest deflection of the median beat 80-250 ms before R relative to the R deflection. */
    private static double pWaveRatio(double[] tpl, double fs) {
        if (tpl == null) {
            return Double.NaN;
        }
        int pre = (int) Math.round(0.3 * fs);
        double base = tpl[0];
        double r = Math.abs(tpl[pre] - base);
        double p = 0;
        for (int i = pre - (int) Math.round(0.25 * fs);
                i <= pre - (int) Math.round(0.08 * fs);
                i++) {
            if (i >= 0) {
                p = Math.max(p, Math.abs(tpl[i] - base));
            }
        }
        return r > 1e-9 ? p / r : Double.NaN;
    }

    private static double rAmplitudeCv(double[] band, int[] beats) {
        double[] a = new double[beats.length];
        for (int i = 0; i < beats.length; i++) {
            a[i] = Math.abs(band[beats[i]]);
        }
        double m = mean(a);
        return m > 1e-12 ? sd(a) / m : Double.NaN;
    }

    private static double sampleEntropy(double[] x, int m, double r) {
        int n = x.length;
        if (n <= m + 1) {
            return Double.NaN;
        }
        long a = 0;
        long b = 0;
        for (int i = 0; i < n - m; i++) {
            for (int j = i + 1; j < n - m; j++) {
                boolean match = true;
                for (int k = 0; k < m && match; k++) {
                    match = Math.abs(x[i + k] - x[j + k]) <= r;
                }
                if (match) {
                    b++;
                    if (Math.abs(x[i + m] - x[j + m]) <= r) {
                        a++;
                    }
                }
            }
        }
        // both counts zero or a zero: cap at the value one match would give (a common convention)
        return -Math.log((a + 1e-3) / (b + 1e-3));
    }

    private static double flatFraction(double[] x) {
        int flat = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] == x[i - 1]) {
                flat++;
            }
        }
        return (double) flat / Math.max(1, x.length - 1);
    }

    private static double kurtosis(double[] x) {
        double m = mean(x);
        double m2 = 0;
        double m4 = 0;
        for (double v : x) {
            double c = (v - m) * (v - m);
            m2 += c;
            m4 += c * c;
        }
        m2 /= x.length;
        m4 /= x.length;
        return m2 > 1e-18 ? m4 / (m2 * m2) : Double.NaN;
    }

    // -------------------------------------------------------------------------------- filters
    static double[] bandPass(double[] x, double fs, double lo, double hi) {
        return lowPass(highPass(x, fs, lo), fs, hi);
    }

    static double[] highPass(double[] x, double fs, double fc) {
        return filtfilt(x, biquad(fs, fc, true));
    }

    static double[] lowPass(double[] x, double fs, double fc) {
        return filtfilt(x, biquad(fs, fc, false));
    }

    /** RBJ cookbook second-order Butterworth (Q = 1/sqrt 2) coefficients b0 b1 b2 a1 a2. */
    private static double[] biquad(double fs, double fc, boolean high) {
        double w0 = 2 * Math.PI * fc / fs;
        double alpha = Math.sin(w0) / (2 * Math.sqrt(0.5));
        double cos = Math.cos(w0);
        double a0 = 1 + alpha;
        double b0 = high ? (1 + cos) / 2 : (1 - cos) / 2;
        double b1 = high ? -(1 + cos) : 1 - cos;
        return new double[] {b0 / a0, b1 / a0, b0 / a0, -2 * cos / a0, (1 - alpha) / a0};
    }

    private static double[] filtfilt(double[] x, double[] c) {
        double[] y = filter(x, c, false);
        return filter(y, c, true);
    }

    private static double[] filter(double[] x, double[] c, boolean reverse) {
        int n = x.length;
        double[] y = new double[n];
        double x1 = 0;
        double x2 = 0;
        double y1 = 0;
        double y2 = 0;
        // start from the first sample's steady state to avoid a large edge transient
        if (n > 0) {
            double first = reverse ? x[n - 1] : x[0];
            double dcGain = (c[0] + c[1] + c[2]) / (1 + c[3] + c[4]);
            x1 = first;
            x2 = first;
            y1 = first * dcGain;
            y2 = y1;
        }
        for (int k = 0; k < n; k++) {
            int i = reverse ? n - 1 - k : k;
            double v = c[0] * x[i] + c[1] * x1 + c[2] * x2 - c[3] * y1 - c[4] * y2;
            x2 = x1;
            x1 = x[i];
            y2 = y1;
            y1 = v;
            y[i] = v;
        }
        return y;
    }

    // -------------------------------------------------------------------------------- statistics
    private static double energy(double[] x) {
        double s = 0;
        for (double v : x) {
            s += v * v;
        }
        return s;
    }

    private static double mean(double[] x) {
        double s = 0;
        for (double v : x) {
            s += v;
        }
        return s / x.length;
    }

    private static double meanSquare(double[] x) {
        return energy(x) / x.length;
    }

    private static double sd(double[] x) {
        double m = mean(x);
        double s = 0;
        for (double v : x) {
            s += (v - m) * (v - m);
        }
        return Math.sqrt(s / x.length);
    }

    private static double median(double[] x) {
        double[] c = x.clone();
        Arrays.sort(c);
        int n = c.length;
        return n % 2 == 1 ? c[n / 2] : 0.5 * (c[n / 2 - 1] + c[n / 2]);
    }

    private static double min(double[] x) {
        return Arrays.stream(x).min().orElse(Double.NaN);
    }

    private static double max(double[] x) {
        return Arrays.stream(x).max().orElse(Double.NaN);
    }

    private static double correlation(double[] a, double[] b) {
        double ma = mean(a);
        double mb = mean(b);
        double sab = 0;
        double saa = 0;
        double sbb = 0;
        for (int i = 0; i < a.length; i++) {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
    }
}
