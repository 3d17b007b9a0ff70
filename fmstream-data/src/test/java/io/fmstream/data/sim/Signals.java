package io.fmstream.data.sim;

import io.fmstream.schemas.SensorChunk;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/** Test helpers: decoding chunks, simple statistics, a spectrum and a simple R-peak detector. */
final class Signals {

    static final long START = 1_700_000_000_000_000L;

    private Signals() {}

    static short[] samples(SensorChunk c) {
        ByteBuffer b = c.getSamples().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        short[] s = new short[b.remaining() / 2];
        b.asShortBuffer().get(s);
        return s;
    }

    /** The next {@code total} samples of {@code d}, requested in chunks of {@code chunk}. */
    static short[] concatenate(SimulatedDevice d, int total, int chunk) {
        short[] out = new short[total];
        int n = 0;
        while (n < total) {
            short[] s = samples(d.nextChunk(Math.min(chunk, total - n)));
            System.arraycopy(s, 0, out, n, s.length);
            n += s.length;
        }
        return out;
    }

    static double[] mv(short[] s) {
        double[] out = new double[s.length];
        for (int i = 0; i < s.length; i++) {
            out[i] = s[i] / SimulatedDevice.GAIN;
        }
        return out;
    }

    static double mean(double[] x) {
        double m = 0;
        for (double v : x) {
            m += v;
        }
        return m / x.length;
    }

    static double rms(double[] x) {
        double s = 0;
        for (double v : x) {
            s += v * v;
        }
        return Math.sqrt(s / x.length);
    }

    static double coefficientOfVariation(double[] x) {
        double m = mean(x);
        double s = 0;
        for (double v : x) {
            s += (v - m) * (v - m);
        }
        return Math.sqrt(s / (x.length - 1)) / m;
    }

    static double[] rrSeconds(List<Beat> beats) {
        return beats.stream().mapToDouble(Beat::precedingRrSeconds).toArray();
    }

    /**
     * Power of {@code x} (mean removed) at 0.1 Hz steps from {@code fromHz} to {@code toHz},
     * summed: a direct DFT, slow but dependency-free, enough for band-power ratios.
     */
    static double bandPower(double[] x, double rate, double fromHz, double toHz) {
        double m = mean(x);
        double total = 0;
        for (double f = fromHz; f < toHz - 1e-9; f += 0.1) {
            double w = 2 * Math.PI * f / rate;
            double re = 0;
            double im = 0;
            for (int n = 0; n < x.length; n++) {
                re += (x[n] - m) * Math.cos(w * n);
                im -= (x[n] - m) * Math.sin(w * n);
            }
            total += re * re + im * im;
        }
        return total;
    }

    /**
     * A simple R-peak detector: local maxima above half the recording's maximum, at least 250 ms
     * apart (keeping the larger of two closer candidates). Returns sample indexes.
     */
    static List<Integer> rPeaks(double[] x, double rate) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : x) {
            max = Math.max(max, v);
        }
        double threshold = 0.5 * max;
        int refractory = (int) Math.round(0.25 * rate);
        List<Integer> peaks = new ArrayList<>();
        for (int i = 1; i < x.length - 1; i++) {
            if (x[i] >= threshold && x[i] >= x[i - 1] && x[i] > x[i + 1]) {
                int last = peaks.isEmpty() ? -1 : peaks.get(peaks.size() - 1);
                if (last < 0 || i - last >= refractory) {
                    peaks.add(i);
                } else if (x[i] > x[last]) {
                    peaks.set(peaks.size() - 1, i);
                }
            }
        }
        return peaks;
    }
}
