/**
 * Does Java 17's C2 vectorise the resampler's inner loops? Two loops of the same work (1,000
 * multiply-adds into y): one reading its input at a shifted index (s[q + i], as a polyphase or
 * transposed resampler must) and one at the same index (s[i]). Run: javac ShiftedAxpyHarness.java
 * && java ShiftedAxpyHarness (the last lines are at the JIT's steady state).
 */
public class ShiftedAxpyHarness {
    static void shifted(float[] y, float w, float[] s, int q, int n) {
        for (int i = 0; i < n; i++) {
            y[i] += w * s[q + i];
        }
    }

    static void aligned(float[] y, float w, float[] s, int n) {
        for (int i = 0; i < n; i++) {
            y[i] += w * s[i];
        }
    }

    public static void main(String[] args) {
        float[] y = new float[1000];
        float[] s = new float[2000];
        for (int i = 0; i < s.length; i++) {
            s[i] = i;
        }
        for (int rep = 0; rep < 10; rep++) {
            long t0 = System.nanoTime();
            for (int r = 0; r < 100_000; r++) {
                shifted(y, 0.5f, s, r & 7, 1000);
            }
            long t1 = System.nanoTime();
            for (int r = 0; r < 100_000; r++) {
                aligned(y, 0.5f, s, 1000);
            }
            long t2 = System.nanoTime();
            System.out.printf(
                    "shifted index %.3f ns per multiply-add, same index %.3f (%f)%n",
                    (t1 - t0) / 1e8, (t2 - t1) / 1e8, y[5]);
        }
    }
}
