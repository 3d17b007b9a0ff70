package io.fmstream.core.signal;

/**
 * Resamples one device's stream to the model rate, chunk by chunk, with a windowed-sinc (Kaiser)
 * low-pass interpolator.
 *
 * <p>Output sample {@code j} lies at absolute time {@code j / outRate} seconds since the epoch, so
 * every device's output is on the same grid as the windows. Input sample {@code n} of the device
 * lies at {@code anchorMicros + n * 1e6 / inRate}. Output {@code j} is a pure function of the input
 * samples within {@code ±halfWidth} input samples of its position, so the result does not depend on
 * how the input was chunked. Missing input samples are NaN; an output whose support touches a
 * missing sample is NaN (it is reported as missing, never invented).
 *
 * <p>The class is an engine without per-device data: all streaming state lives in a {@link State}
 * that the caller stores (in Flink keyed state) and passes back, so one engine instance per (input
 * rate, output rate) can serve every device. Each call returns what it produced; nothing calls back
 * into the caller. Not thread-safe (the returned values share a buffer).
 */
public final class StreamingResampler {

    /**
     * Input samples the history keeps beyond what the next output reads: the most {@link
     * #shiftAnchor} can always move the anchor back by in one call.
     */
    public static final int MAX_SLIP_SAMPLES = 8;

    /** Zero crossings of the sinc on each side of the centre tap. */
    private static final int ZERO_CROSSINGS = 8;

    /** Table resolution: kernel values per input sample. */
    private static final int TABLE_STEPS = 256;

    /** Kaiser window beta: about 60 dB stop-band attenuation. */
    private static final double KAISER_BETA = 6.0;

    /**
     * Pass band edge as a fraction of the lower Nyquist frequency, leaving room for the transition.
     */
    private static final double CUTOFF_FRACTION = 0.9;

    private final double inRate;
    private final double outRate;
    private final int halfWidth;
    private final float[] kernel;

    /**
     * Output spacing in microseconds when the rates allow exact positions (both whole Hz, the
     * output rate dividing 10^6), else 0. Exact positions make an output's fractional phase a whole
     * number of millionths of an input sample, so the phases of a device recur exactly (two per
     * device at 250 -> 100 Hz) and the per-phase weights are computed once, where the double
     * product {@code j * 10^4 * 250 / 10^6} rounded differently for nearly every output (the
     * epoch-scale index leaves a double a few significant bits of fraction) and the phase cache
     * missed.
     */
    private final long exactTickMicros;

    private final long exactInRate;

    /** Divides every exact phase's remainder: phase slot = remainder / phaseQuantum. */
    private final long phaseQuantum;

    /** Per-phase weights by slot, when the number of slots is small enough to index. */
    private final double[][] phaseTable;

    /** Position of the last {@link #locate} call: integer part and fraction in [0, 1). */
    private long posFloor;

    private double posFrac;

    /** Phase slot of that position, or -1 (inexact rates: cached by the fraction's bits). */
    private int posSlot;

    /** Outputs of the current call (see {@link Outputs}); not thread-safe, like the callers. */
    private float[] outBuffer = new float[256];

    private int produced;

    public StreamingResampler(double inRateHz, double outRateHz) {
        if (!(inRateHz > 0)
                || !(outRateHz > 0)
                || Double.isInfinite(inRateHz)
                || Double.isInfinite(outRateHz)) {
            throw new IllegalArgumentException(
                    "rates must be finite and > 0: in=" + inRateHz + " out=" + outRateHz);
        }
        this.inRate = inRateHz;
        this.outRate = outRateHz;
        // Cut-off in cycles per input sample: half the lower of the two rates, scaled down.
        double cutoff = CUTOFF_FRACTION * 0.5 * Math.min(inRateHz, outRateHz) / inRateHz;
        this.halfWidth = (int) Math.ceil(ZERO_CROSSINGS / (2.0 * cutoff));
        this.kernel = new float[halfWidth * TABLE_STEPS + 2];
        double i0Beta = besselI0(KAISER_BETA);
        for (int i = 0; i < kernel.length; i++) {
            double d = (double) i / TABLE_STEPS;
            double r = d / halfWidth;
            double window =
                    r >= 1.0 ? 0.0 : besselI0(KAISER_BETA * Math.sqrt(1.0 - r * r)) / i0Beta;
            kernel[i] = (float) (2.0 * cutoff * sinc(2.0 * cutoff * d) * window);
        }
        boolean wholeRates =
                inRateHz == Math.rint(inRateHz)
                        && outRateHz == Math.rint(outRateHz)
                        && inRateHz <= 1_000_000
                        && outRateHz <= 1_000_000
                        && 1_000_000L % (long) outRateHz == 0;
        this.exactTickMicros = wholeRates ? 1_000_000L / (long) outRateHz : 0;
        this.exactInRate = wholeRates ? (long) inRateHz : 0;
        this.phaseQuantum = wholeRates ? gcd(exactInRate, 1_000_000L) : 1;
        long slots = 1_000_000L / phaseQuantum;
        this.phaseTable = wholeRates && slots <= MAX_TABLE_SLOTS ? new double[(int) slots][] : null;
    }

    /** Phase slots indexed directly (at most 64 K references; 4,000 at 250 Hz, 25,000 at 360). */
    private static final int MAX_TABLE_SLOTS = 65_536;

    private static long gcd(long a, long b) {
        while (b != 0) {
            long t = a % b;
            a = b;
            b = t;
        }
        return a;
    }

    /**
     * Sets {@link #posFloor}, {@link #posFrac} and {@link #posSlot} to the position of output
     * {@code j} in input-sample units: exactly where the rates allow (see {@link
     * #exactTickMicros}), else in double arithmetic. Every path that needs an output's position
     * (streaming, ahead of a gap, the reference) goes through here, so they agree bit for bit.
     */
    private void locate(long anchorMicros, long j) {
        if (exactTickMicros > 0 && locateExact(anchorMicros, j)) {
            return;
        }
        double p = (j * (1e6 / outRate) - anchorMicros) * inRate / 1e6;
        posFloor = (long) Math.floor(p);
        posFrac = p - Math.floor(p);
        posSlot = -1;
    }

    /**
     * The exact path of {@link #locate}: false (and nothing set) where the position does not fit a
     * long (an anchor or index far outside any real clock), where {@link #locate} takes the double
     * path.
     */
    private boolean locateExact(long anchorMicros, long j) {
        try {
            long num =
                    Math.multiplyExact(
                            Math.subtractExact(
                                    Math.multiplyExact(j, exactTickMicros), anchorMicros),
                            exactInRate);
            long rem = Math.floorMod(num, 1_000_000L);
            posFloor = Math.floorDiv(num, 1_000_000L);
            posFrac = rem / 1e6;
            posSlot = (int) (rem / phaseQuantum);
            return true;
        } catch (ArithmeticException overflow) {
            return false;
        }
    }

    /** Input samples on each side of an output's position that contribute to it. */
    public int halfWidth() {
        return halfWidth;
    }

    public double inRate() {
        return inRate;
    }

    public double outRate() {
        return outRate;
    }

    /**
     * Fresh state for a device whose input index 0 lies at {@code anchorMicros}; input starts at
     * {@code firstIndex}.
     */
    public State newState(long anchorMicros, long firstIndex) {
        State s = new State();
        s.anchorMicros = anchorMicros;
        s.historyStart = firstIndex;
        s.history = new float[initialCapacity()];
        s.historyLength = 0;
        // First output whose whole support lies at or after the first input sample.
        s.nextOut = (long) Math.ceil(outIndexAt(s, firstIndex + halfWidth) - 1e-9);
        return s;
    }

    /**
     * Appends {@code count} input samples (NaN = missing) and returns every output they complete.
     * The returned values live in a buffer of this engine that the next call reuses: read them
     * before pushing again.
     */
    public Outputs push(State s, float[] values, int offset, int count) {
        produced = 0;
        long first = s.nextOut;
        for (int i = 0; i < count; i++) {
            append(s, values[offset + i]);
        }
        emitReady(s);
        trim(s);
        return new Outputs(first, outBuffer, produced);
    }

    /**
     * Appends {@code count} missing input samples (a gap that will never be filled) and returns the
     * outputs they complete, as {@link #push}.
     */
    public Outputs pushMissing(State s, long count) {
        produced = 0;
        long first = s.nextOut;
        for (long i = 0; i < count; i++) {
            append(s, Float.NaN);
        }
        emitReady(s);
        trim(s);
        return new Outputs(first, outBuffer, produced);
    }

    /**
     * Outputs {@code first .. first + count - 1}, in {@code values[0 .. count - 1]}; NaN marks a
     * missing output.
     */
    public record Outputs(long first, float[] values, int count) {}

    /** Index of the next input sample this state expects. */
    public static long inputHead(State s) {
        return s.historyStart + s.historyLength;
    }

    /** Fractional output index at input index {@code n}. */
    private double outIndexAt(State s, long n) {
        double tMicros = s.anchorMicros + n * 1e6 / inRate;
        return tMicros * outRate / 1e6;
    }

    private void append(State s, float v) {
        if (s.historyLength == s.history.length) {
            // Emit what the history already completes and drop what no future output needs
            // before growing: the history is device state, checkpointed whole (array length, not
            // historyLength), so a chunk or a gap pushed at once must not leave it large.
            emitReady(s);
            compact(s);
            if (s.historyLength == s.history.length) {
                float[] bigger = new float[s.history.length * 2];
                System.arraycopy(s.history, 0, bigger, 0, s.historyLength);
                s.history = bigger;
            }
        }
        s.history[s.historyLength++] = v;
    }

    /**
     * Gives back an array grown by an earlier burst (state checkpointed before this rule, or a
     * support wider than the initial capacity): device state is per device, so 30 KB left behind by
     * one gap costs 3 GB over 100,000 devices.
     */
    private void trim(State s) {
        int capacity = initialCapacity();
        if (s.history.length <= capacity) {
            return;
        }
        compact(s);
        if (s.historyLength <= s.history.length / 4) {
            s.history = java.util.Arrays.copyOf(s.history, Math.max(capacity, 2 * s.historyLength));
        }
    }

    private int initialCapacity() {
        return Math.max(64, 4 * halfWidth + 16);
    }

    private void compact(State s) {
        locate(s.anchorMicros, s.nextOut);
        // MAX_SLIP_SAMPLES input samples more than the next output reads, so that the anchor
        // can always slip back that far (shiftAnchor): chunks of a size that brings every push to
        // the same point of the compaction cycle otherwise never had them, and a drifting
        // device's slips failed for hours.
        long keepFrom = posFloor - halfWidth - MAX_SLIP_SAMPLES;
        int drop = (int) Math.max(0, Math.min(s.historyLength, keepFrom - s.historyStart));
        if (drop > 0) {
            System.arraycopy(s.history, drop, s.history, 0, s.historyLength - drop);
            s.historyLength -= drop;
            s.historyStart += drop;
        }
    }

    private void emitReady(State s) {
        long head = inputHead(s);
        if (exactTickMicros > 0 && emitReadyStepping(s, head)) {
            return;
        }
        while (true) {
            locate(s.anchorMicros, s.nextOut);
            long hi = posFloor + halfWidth;
            if (hi >= head) {
                break;
            }
            if (produced == outBuffer.length) {
                outBuffer = java.util.Arrays.copyOf(outBuffer, Math.max(64, 2 * produced));
            }
            outBuffer[produced++] = interpolateLocated(s.history, s.historyStart);
            s.nextOut++;
        }
    }

    /**
     * {@link #emitReady} at exact rates, stepping each output's position from the last one's
     * instead of locating it afresh: {@link #locate}'s three 64-bit divisions per output cost as
     * much as a third of the dot product (the resampler was half of the assembler's CPU, the
     * assembler half of the job's outside the encoder). Output {@code j + 1} lies {@code
     * exactTickMicros * exactInRate} millionths of an input sample after output {@code j}, so the
     * whole part and the phase slot advance by constants, with one carry; every position equals
     * what {@link #locate} computes, bit for bit. False, having emitted nothing, where a position
     * this call could reach does not fit a long: the caller then locates each output.
     */
    private boolean emitReadyStepping(State s, long head) {
        if (!locateExact(s.anchorMicros, s.nextOut)) {
            return false;
        }
        long limit = head - halfWidth; // an output is ready while its floor is below this
        if (posFloor >= limit) {
            return true;
        }
        long step = exactTickMicros * exactInRate; // both at most 10^6: no overflow
        long stepFloor = step / 1_000_000L;
        long stepSlots = (step % 1_000_000L) / phaseQuantum;
        long slots = 1_000_000L / phaseQuantum;
        // Output nextOut + k has floor > floor + k * step / 10^6 - 1, so every output this call
        // examines (the ready ones and the first that is not) has k <= (limit - floor + 1) *
        // 10^6 / step + 1. The position is linear in j: if both ends of that range fit a long,
        // every position between does.
        long bound = s.nextOut + (long) Math.ceil((limit - posFloor + 1) * 1e6 / step) + 2;
        long floor = posFloor;
        long slot = posSlot;
        if (!locateExact(s.anchorMicros, bound)) {
            return false;
        }
        while (floor < limit) {
            posFloor = floor;
            posSlot = (int) slot;
            posFrac = (slot * phaseQuantum) / 1e6;
            if (produced == outBuffer.length) {
                outBuffer = java.util.Arrays.copyOf(outBuffer, Math.max(64, 2 * produced));
            }
            outBuffer[produced++] = interpolateLocated(s.history, s.historyStart);
            s.nextOut++;
            floor += stepFloor;
            slot += stepSlots;
            if (slot >= slots) {
                slot -= slots;
                floor++;
            }
        }
        return true;
    }

    /**
     * Moves the stream's anchor by {@code deltaMicros} from its next output on: the outputs already
     * produced stay, the next ones are placed as if the input had started {@code deltaMicros}
     * later. A slip of one input period repeats (positive) or skips (negative) one input sample's
     * worth of time, as a sample-rate converter following a drifting clock does. False, and nothing
     * changed, where the next output would then read input no longer held (a slip back right after
     * the history was compacted); a later call succeeds once the history has grown.
     */
    public boolean shiftAnchor(State s, long deltaMicros) {
        long anchor = Math.addExact(s.anchorMicros, deltaMicros);
        locate(anchor, s.nextOut);
        long lo = posFloor + (posFrac > 0 ? 1 : 0) - halfWidth;
        if (lo < s.historyStart) {
            return false;
        }
        s.anchorMicros = anchor;
        return true;
    }

    /**
     * Output {@code j} of a stream anchored at {@code anchorMicros}, computed from {@code input}
     * whose element 0 is input index {@code inputStart}: the same value, bit for bit, as the
     * streaming path produces, so windows computed ahead of a gap equal those computed in order.
     * The support must lie inside {@code input} (see {@link #supportFirst} and {@link
     * #supportLast}).
     */
    public float outputAt(long anchorMicros, long j, float[] input, long inputStart) {
        locate(anchorMicros, j);
        return interpolateLocated(input, inputStart);
    }

    /** First input index output {@code j} of a stream anchored at {@code anchorMicros} reads. */
    public long supportFirst(long anchorMicros, long j) {
        locate(anchorMicros, j);
        return posFloor + (posFrac > 0 ? 1 : 0) - halfWidth;
    }

    /** Last input index output {@code j} of a stream anchored at {@code anchorMicros} reads. */
    public long supportLast(long anchorMicros, long j) {
        locate(anchorMicros, j);
        return posFloor + halfWidth;
    }

    /**
     * Inexact rates only: the weights of each fractional phase seen, keyed by the fraction's bits.
     * Bounded; cleared when full. (Exact rates index {@link #phaseTable}.)
     */
    private final java.util.HashMap<Long, double[]> phaseWeights = new java.util.HashMap<>();

    private static final int MAX_PHASES = 1024;

    /** Weight sets computed so far (a test holds the cache to a few per device). */
    long phasesComputed;

    /** The output at the last {@link #locate}d position, from the per-phase weights. */
    private float interpolateLocated(float[] history, long historyStart) {
        double[] w = weights();
        long lo = posFloor + (posFrac > 0 ? 1 : 0) - halfWidth;
        long first = lo - historyStart;
        int taps = w.length - 1;
        if (first < 0 || first + taps > history.length) {
            // Outside the known input: unknown, hence missing.
            return Float.NaN;
        }
        int f = (int) first;
        // Four partial sums (tap k into sum k mod 4), added pairwise at the end: they keep more
        // of the core's floating-point units busy than one running sum (47 taps at 250 -> 100
        // Hz: the dot product alone 27 -> 18 ns per output on the development machine). A missing
        // (NaN) input makes
        // the sum NaN, so it is tested once, not per tap. outputAtDirect sums in the same order,
        // so the two agree bit for bit.
        double a0 = 0.0;
        double a1 = 0.0;
        double a2 = 0.0;
        double a3 = 0.0;
        int main = taps & ~3;
        int k = 0;
        for (; k < main; k += 4) {
            a0 += w[k] * history[f + k];
            a1 += w[k + 1] * history[f + k + 1];
            a2 += w[k + 2] * history[f + k + 2];
            a3 += w[k + 3] * history[f + k + 3];
        }
        int left = taps - main;
        if (left > 0) {
            a0 += w[k] * history[f + k];
        }
        if (left > 1) {
            a1 += w[k + 1] * history[f + k + 1];
        }
        if (left > 2) {
            a2 += w[k + 2] * history[f + k + 2];
        }
        double acc = (a0 + a1) + (a2 + a3);
        if (Double.isNaN(acc)) {
            return Float.NaN;
        }
        return (float) (acc / w[taps]);
    }

    /**
     * The weights of the last {@link #locate}d position's phase, tap {@code lo} first, and their
     * sum last: the same phase recurs every few outputs, so they are computed once per phase
     * instead of once per tap and output; bit for bit what {@link #outputAtDirect} computes tap by
     * tap (same distances, same summation order).
     */
    private double[] weights() {
        double frac = posFrac;
        double[] w;
        Long key = null;
        if (posSlot >= 0 && phaseTable != null) {
            w = phaseTable[posSlot];
        } else {
            key = Double.doubleToRawLongBits(frac);
            w = phaseWeights.get(key);
        }
        if (w == null) {
            int offset = (frac > 0 ? 1 : 0) - halfWidth;
            int taps = halfWidth - offset + 1;
            w = new double[taps + 1];
            double sum = 0.0;
            for (int k = 0; k < taps; k++) {
                double wk = kernelAt(Math.abs((offset + k) - frac));
                w[k] = wk;
                sum += wk;
            }
            w[taps] = sum;
            phasesComputed++;
            if (key == null) {
                phaseTable[posSlot] = w;
            } else {
                if (phaseWeights.size() >= MAX_PHASES) {
                    phaseWeights.clear();
                }
                phaseWeights.put(key, w);
            }
        }
        return w;
    }

    /**
     * The reference computation of output {@code j}, tap by tap, without the phase cache: tests
     * hold {@link #outputAt} and the streaming path to it bit for bit.
     */
    float outputAtDirect(long anchorMicros, long j, float[] history, long historyStart) {
        locate(anchorMicros, j);
        long lo = posFloor + (posFrac > 0 ? 1 : 0) - halfWidth;
        long hi = posFloor + halfWidth;
        double[] acc = new double[4];
        double weightSum = 0.0;
        for (long n = lo; n <= hi; n++) {
            long idx = n - historyStart;
            if (idx < 0 || idx >= history.length) {
                // Outside the known input: unknown, hence missing.
                return Float.NaN;
            }
            float x = history[(int) idx];
            if (Float.isNaN(x)) {
                return Float.NaN;
            }
            double w = kernelAt(Math.abs((n - posFloor) - posFrac));
            // Tap k = n - lo into partial sum k mod 4, as the streaming path sums.
            acc[(int) ((n - lo) & 3)] += w * x;
            weightSum += w;
        }
        // Normalising by the weight sum gives exact unit gain at DC for every fractional phase.
        return (float) (((acc[0] + acc[1]) + (acc[2] + acc[3])) / weightSum);
    }

    private double kernelAt(double distance) {
        double t = distance * TABLE_STEPS;
        int i = (int) t;
        if (i >= kernel.length - 1) {
            return 0.0;
        }
        double frac = t - i;
        return kernel[i] + frac * (kernel[i + 1] - kernel[i]);
    }

    private static double sinc(double x) {
        if (Math.abs(x) < 1e-12) {
            return 1.0;
        }
        double px = Math.PI * x;
        return Math.sin(px) / px;
    }

    private static double besselI0(double x) {
        double sum = 1.0;
        double term = 1.0;
        double half = x / 2.0;
        for (int k = 1; k < 50; k++) {
            term *= (half / k) * (half / k);
            sum += term;
            if (term < 1e-12 * sum) {
                break;
            }
        }
        return sum;
    }

    /**
     * Per-device resampler state; a Flink POJO (public fields, no-arg constructor) so it can live
     * in keyed state and evolve.
     */
    public static final class State {
        /** Device time of input index 0, microseconds since the epoch. */
        public long anchorMicros;

        /** Input index of history[0]. */
        public long historyStart;

        /** Recent input samples still needed by future outputs (NaN = missing). */
        public float[] history;

        public int historyLength;

        /** Next output index to produce. */
        public long nextOut;

        public State() {}
    }
}
