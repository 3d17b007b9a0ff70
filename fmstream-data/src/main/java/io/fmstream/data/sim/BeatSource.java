package io.fmstream.data.sim;

import java.util.Arrays;

/**
 * Storage for a device's beats, generated lazily and strictly in order by a subclass, addressed by
 * absolute beat number (0 = first beat ever generated) so that old beats can be forgotten without
 * renumbering the rest.
 *
 * <p>Generation order is fixed by the subclass alone (never by who asks or how far ahead), so beat
 * k is the same however the samples are chunked. Forgetting only bounds memory for long-running
 * fleets; it never changes a beat. Not thread-safe.
 */
abstract class BeatSource {

    private static final BeatKind[] KINDS = BeatKind.values();

    private double[] rPeak = new double[64];
    private double[] precedingRr = new double[64];
    private double[] amplitudeScale = new double[64];
    private byte[] kind = new byte[64];

    /** Number of beats held, from absolute number {@code base}. */
    private int size;

    private long base;

    /** R peak of the last forgotten beat; queries at or before it can no longer be answered. */
    private double forgottenThrough = Double.NEGATIVE_INFINITY;

    /** Appends the next beat (calls {@link #append} exactly once). */
    protected abstract void generateNext();

    /** Generates beats until one has its R peak after {@code tSeconds}. */
    final void ensureBeyond(double tSeconds) {
        while (size == 0 || rPeak[size - 1] <= tSeconds) {
            generateNext();
        }
    }

    /** Absolute number one past the last generated beat. */
    final long end() {
        return base + size;
    }

    /** Absolute number of the oldest beat still held. */
    final long start() {
        return base;
    }

    final double rPeakSeconds(long k) {
        return rPeak[slot(k)];
    }

    final BeatKind kind(long k) {
        return KINDS[kind[slot(k)]];
    }

    final Beat beat(long k) {
        int i = slot(k);
        return new Beat(rPeak[i], precedingRr[i], amplitudeScale[i], KINDS[kind[i]]);
    }

    /** R peak of the most recently generated beat; requires at least one beat. */
    final double lastRPeakSeconds() {
        return rPeak[size - 1];
    }

    final BeatKind lastKind() {
        return KINDS[kind[size - 1]];
    }

    final boolean isEmpty() {
        return size == 0;
    }

    /**
     * Absolute number of the first generated beat with its R peak at or after {@code tSeconds}
     * ({@link #end()} if none yet).
     *
     * @throws IllegalStateException if beats that could answer this were forgotten
     */
    final long firstAtOrAfter(double tSeconds) {
        if (tSeconds <= forgottenThrough) {
            throw new IllegalStateException(
                    "beats up to t="
                            + forgottenThrough
                            + " s were forgotten; cannot look up t="
                            + tSeconds
                            + " s");
        }
        int lo = 0;
        int hi = size;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (rPeak[mid] < tSeconds) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return base + lo;
    }

    /** R peak of the last forgotten beat ({@code -Infinity} if none). */
    final double forgottenThroughSeconds() {
        return forgottenThrough;
    }

    /** Drops the beats numbered below {@code k} (no-op for beats already dropped). */
    final void forgetBefore(long k) {
        int n = (int) Math.min(size, Math.max(0, k - base));
        if (n == 0) {
            return;
        }
        forgottenThrough = rPeak[n - 1];
        // Shifting costs O(size) but happens once per trim; callers trim in steps of many beats.
        System.arraycopy(rPeak, n, rPeak, 0, size - n);
        System.arraycopy(precedingRr, n, precedingRr, 0, size - n);
        System.arraycopy(amplitudeScale, n, amplitudeScale, 0, size - n);
        System.arraycopy(kind, n, kind, 0, size - n);
        size -= n;
        base += n;
    }

    protected final void append(double r, double rr, double amp, BeatKind k) {
        if (size > 0 && !(r > rPeak[size - 1])) {
            // A violated order would silently corrupt every binary search; fail loudly instead.
            throw new IllegalStateException(
                    "beat at " + r + " s not after the previous one at " + rPeak[size - 1] + " s");
        }
        if (size == rPeak.length) {
            int n = size * 2;
            rPeak = Arrays.copyOf(rPeak, n);
            precedingRr = Arrays.copyOf(precedingRr, n);
            amplitudeScale = Arrays.copyOf(amplitudeScale, n);
            kind = Arrays.copyOf(kind, n);
        }
        rPeak[size] = r;
        precedingRr[size] = rr;
        amplitudeScale[size] = amp;
        kind[size] = (byte) k.ordinal();
        size++;
    }

    private int slot(long k) {
        long i = k - base;
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException(
                    "beat " + k + " not held (held: " + base + " to " + (base + size - 1) + ")");
        }
        return (int) i;
    }
}
