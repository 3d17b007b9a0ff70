package io.fmstream.core.signal;

/**
 * The encoder's input normalisation ("per-window-zscore"): subtract the window's mean, divide by
 * its standard deviation, both over the samples that are present; missing samples become 0 (the
 * mean) after normalisation. Shared by the job and the dataset builder (train/serve parity).
 */
public final class WindowNormaliser {

    /**
     * The manifest's {@code normalisation} value for this normaliser: the only one the job
     * implements, so a bundle asking for another is refused at load instead of fed wrong inputs.
     */
    public static final String PER_WINDOW_ZSCORE = "per-window-zscore";

    /** Standard deviation floor, so a flat line does not blow up to infinity. */
    static final double MIN_STD = 1e-3;

    private WindowNormaliser() {}

    public static void zscore(float[] window, float[] out, int outOffset) {
        double sum = 0;
        double sumSq = 0;
        int n = 0;
        for (float v : window) {
            if (!Float.isNaN(v)) {
                sum += v;
                sumSq += (double) v * v;
                n++;
            }
        }
        double mean = n == 0 ? 0 : sum / n;
        double var = n == 0 ? 0 : Math.max(0, sumSq / n - mean * mean);
        double inv = 1.0 / Math.max(Math.sqrt(var), MIN_STD);
        for (int i = 0; i < window.length; i++) {
            float v = window[i];
            out[outOffset + i] = Float.isNaN(v) ? 0f : (float) ((v - mean) * inv);
        }
    }
}
