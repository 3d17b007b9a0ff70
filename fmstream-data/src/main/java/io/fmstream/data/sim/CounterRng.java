package io.fmstream.data.sim;

/**
 * Counter-based random numbers: the value for {@code (seed, stream, counter)} is a hash of the
 * three, so any draw can be made in any order, any number of times, and always gives the same
 * result.
 *
 * <p>This is what lets noise and other per-sample randomness be a pure function of the sample
 * index: a stateful generator advanced per chunk would make the samples depend on the chunk sizes.
 * The mixing function is the SplitMix64 finaliser (Steele, Lea and Flood 2014), which passes
 * BigCrush when fed a counter; {@code StrictMath} keeps the derived doubles bit-identical on every
 * JVM.
 */
final class CounterRng {

    /** 2^64 / golden ratio, odd: consecutive counters land far apart before mixing. */
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private CounterRng() {}

    /** SplitMix64 finaliser: a bijection on 64-bit values with good avalanche. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * A seed for an independent sub-generator, e.g. one device's seed from the fleet seed and its
     * ordinal.
     */
    static long derive(long seed, long label) {
        return mix(mix(seed + GOLDEN) ^ mix(label * GOLDEN + 0x632BE59BD9B4E019L));
    }

    /**
     * Raw 64 random bits number {@code counter} of the stream keyed by {@code key} (see {@link
     * #derive}).
     */
    static long bits(long key, long counter) {
        return mix(key + counter * GOLDEN);
    }

    /** Uniform in [0, 1), 53 random bits. */
    static double uniform(long key, long counter) {
        return (bits(key, counter) >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [lo, hi). */
    static double uniform(long key, long counter, double lo, double hi) {
        return lo + (hi - lo) * uniform(key, counter);
    }

    /**
     * Standard normal via Box-Muller from the two uniforms at counters {@code 2c} and {@code 2c +
     * 1}, so neighbouring counters never share input.
     */
    static double gaussian(long key, long counter) {
        double u1 = uniform(key, 2 * counter);
        double u2 = uniform(key, 2 * counter + 1);
        // 1 - u1 is in (0, 1], so the log is finite.
        return StrictMath.sqrt(-2.0 * StrictMath.log(1.0 - u1)) * StrictMath.cos(2 * Math.PI * u2);
    }
}
