import java.util.Random;

/**
 * The resampler's dot product (one output: taps weights x taps input samples) written five ways,
 * on random data, at the JIT's steady state (the last three repetitions). Run: javac
 * ResamplerDotHarness.java && java ResamplerDotHarness TAPS STRIDE [-Dg=GROUP]; TAPS 47 and STRIDE
 * 5 are 250 -> 100 Hz (outputs 2.5 input samples apart, 5 per two outputs), 91 and 5 are 500 Hz.
 *
 * <ul>
 *   <li>v0: what StreamingResampler does: double weights, four double partial sums, divided by
 *       the weights' sum;
 *   <li>v1: the same with the weights normalised beforehand (no division);
 *   <li>v2: float weights, four float partial sums;
 *   <li>v3: float, eight partial sums;
 *   <li>v4: transposed: a group of GROUP outputs of one phase at a time, tap by tap over the
 *       input de-interleaved by the stride (y[i] += w[k] * sub[q + i]), the form that could use
 *       the CPU's vector units if the compiler vectorised it.
 * </ul>
 */
public class ResamplerDotHarness {
    static int taps;
    static final int GROUP = Integer.getInteger("g", 50);
    static double[] wd;
    static double[] wdn;
    static float[] wf;
    static float[] x;
    static float[][] sub;
    static float[] y = new float[4096];

    static float v0(int f) {
        double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        int main = taps & ~3, k = 0;
        for (; k < main; k += 4) {
            a0 += wd[k] * x[f + k];
            a1 += wd[k + 1] * x[f + k + 1];
            a2 += wd[k + 2] * x[f + k + 2];
            a3 += wd[k + 3] * x[f + k + 3];
        }
        for (; k < taps; k++) {
            a0 += wd[k] * x[f + k];
        }
        double acc = (a0 + a1) + (a2 + a3);
        return Double.isNaN(acc) ? Float.NaN : (float) (acc / wd[taps]);
    }

    static float v1(int f) {
        double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        int main = taps & ~3, k = 0;
        for (; k < main; k += 4) {
            a0 += wdn[k] * x[f + k];
            a1 += wdn[k + 1] * x[f + k + 1];
            a2 += wdn[k + 2] * x[f + k + 2];
            a3 += wdn[k + 3] * x[f + k + 3];
        }
        for (; k < taps; k++) {
            a0 += wdn[k] * x[f + k];
        }
        return (float) ((a0 + a1) + (a2 + a3));
    }

    static float v2(int f) {
        float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        int main = taps & ~3, k = 0;
        for (; k < main; k += 4) {
            a0 += wf[k] * x[f + k];
            a1 += wf[k + 1] * x[f + k + 1];
            a2 += wf[k + 2] * x[f + k + 2];
            a3 += wf[k + 3] * x[f + k + 3];
        }
        for (; k < taps; k++) {
            a0 += wf[k] * x[f + k];
        }
        return (a0 + a1) + (a2 + a3);
    }

    static float v3(int f) {
        float a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        int main = taps & ~7, k = 0;
        for (; k < main; k += 8) {
            a0 += wf[k] * x[f + k];
            a1 += wf[k + 1] * x[f + k + 1];
            a2 += wf[k + 2] * x[f + k + 2];
            a3 += wf[k + 3] * x[f + k + 3];
            a4 += wf[k + 4] * x[f + k + 4];
            a5 += wf[k + 5] * x[f + k + 5];
            a6 += wf[k + 6] * x[f + k + 6];
            a7 += wf[k + 7] * x[f + k + 7];
        }
        for (; k < taps; k++) {
            a0 += wf[k] * x[f + k];
        }
        return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
    }

    static void v4(int base, int n, int stride) {
        java.util.Arrays.fill(y, 0, n, 0f);
        for (int k = 0; k < taps; k++) {
            axpy(y, wf[k], sub[k % stride], k / stride + base, n);
        }
    }

    static void axpy(float[] yy, float w, float[] s, int q, int n) {
        for (int i = 0; i < n; i++) {
            yy[i] += w * s[q + i];
        }
    }

    public static void main(String[] args) {
        taps = Integer.parseInt(args[0]);
        int stride = Integer.parseInt(args[1]);
        Random r = new Random(1);
        wd = new double[taps + 1];
        wdn = new double[taps];
        wf = new float[taps];
        double sum = 0;
        for (int k = 0; k < taps; k++) {
            wd[k] = r.nextDouble();
            sum += wd[k];
        }
        wd[taps] = sum;
        for (int k = 0; k < taps; k++) {
            wdn[k] = wd[k] / sum;
            wf[k] = (float) wdn[k];
        }
        x = new float[1 << 16];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        int outputs = (x.length - taps) / stride;
        sub = new float[stride][x.length / stride + 1];
        for (int m = 0; m < stride; m++) {
            for (int i = 0; i * stride + m < x.length; i++) {
                sub[m][i] = x[i * stride + m];
            }
        }
        for (int rep = 0; rep < 8; rep++) {
            StringBuilder line = new StringBuilder();
            for (int v = 0; v < 5; v++) {
                long t = System.nanoTime();
                double sink = 0;
                int done = 0;
                for (int q = 0; q < 20; q++) {
                    if (v == 4) {
                        for (int base = 0; base + GROUP + taps < outputs; base += GROUP) {
                            v4(base, GROUP, stride);
                            sink += y[0];
                            done += GROUP;
                        }
                    } else {
                        for (int i = 0; i < outputs; i++) {
                            int f = i * stride;
                            sink += v == 0 ? v0(f) : v == 1 ? v1(f) : v == 2 ? v2(f) : v3(f);
                        }
                        done += outputs;
                    }
                }
                long ns = System.nanoTime() - t;
                line.append(String.format("v%d %.1f  ", v, (double) ns / done));
                if (sink == 42.4242) {
                    System.out.println();
                }
            }
            if (rep >= 5) {
                System.out.println("ns per output: " + line);
            }
        }
    }
}
