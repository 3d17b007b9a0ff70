package io.fmstream.core.window;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Content hashes of chunks, for resend detection: equal samples, gain and baseline give equal
 * hashes; a differing overlap that hashed equal would be dropped as a resend instead of
 * dead-lettered, so the hash must be a good 64-bit one, not just a fast one.
 *
 * <p>{@link #xxh64} is XXH64 (Yann Collet's xxHash, 64-bit), checked against its published vectors.
 * It reads eight bytes per step in four independent lanes, where the FNV-1a that earlier releases
 * stored ({@link #fnv1a}) takes a multiply per byte in one dependency chain: about 0.6 us per 1 s
 * chunk at 250 Hz against a few dozen ns, 6 % of the window assembler's thread at 1,000 devices. A
 * device's state records which of the two its stored hashes are ({@link
 * DeviceStreamState#hashVersion}), so state restored from an older savepoint keeps recognising
 * resends.
 */
public final class ContentHash {

    /** FNV-1a over the bytes (what releases before this one stored). */
    public static final int FNV1A = 0;

    /** XXH64 over the bytes, then gain and baseline mixed in (this release on). */
    public static final int XXH64 = 1;

    private static final long P1 = 0x9E3779B185EBCA87L;
    private static final long P2 = 0xC2B2AE3D27D4EB4FL;
    private static final long P3 = 0x165667B19E3779F9L;
    private static final long P4 = 0x85EBCA77C2B2AE63L;
    private static final long P5 = 0x27D4EB2F165667C5L;

    private static final VarHandle LONGS =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INTS =
            MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private ContentHash() {}

    /** The hash of a chunk's content with the given version's function. */
    public static long of(int version, byte[] samples, double gain, int baseline) {
        return of(version, samples, 0, samples.length, gain, baseline);
    }

    /**
     * As {@link #of(int, byte[], double, int)} for the samples in {@code data[off .. off + len)}.
     */
    public static long of(int version, byte[] data, int off, int len, double gain, int baseline) {
        if (version == FNV1A) {
            return fnv1a(data, off, len, gain, baseline);
        }
        long h = xxh64(data, off, len, 0L);
        h = round(h, Double.doubleToLongBits(gain));
        h = round(h, baseline);
        return avalanche(h);
    }

    /** 64-bit FNV-1a over the raw samples, gain and baseline (the hash earlier releases stored). */
    static long fnv1a(byte[] data, int off, int len, double gain, int baseline) {
        long h = 0xcbf29ce484222325L;
        for (int i = off; i < off + len; i++) {
            h ^= (data[i] & 0xff);
            h *= 0x100000001b3L;
        }
        long g = Double.doubleToLongBits(gain);
        for (int i = 0; i < 8; i++) {
            h ^= (g >>> (8 * i)) & 0xff;
            h *= 0x100000001b3L;
        }
        h ^= baseline;
        h *= 0x100000001b3L;
        return h;
    }

    /** XXH64 of {@code data[off .. off + len)} with {@code seed}. */
    static long xxh64(byte[] data, int off, int len, long seed) {
        int end = off + len;
        int p = off;
        long h;
        if (len >= 32) {
            long v1 = seed + P1 + P2;
            long v2 = seed + P2;
            long v3 = seed;
            long v4 = seed - P1;
            int limit = end - 32;
            do {
                v1 = lane(v1, (long) LONGS.get(data, p));
                v2 = lane(v2, (long) LONGS.get(data, p + 8));
                v3 = lane(v3, (long) LONGS.get(data, p + 16));
                v4 = lane(v4, (long) LONGS.get(data, p + 24));
                p += 32;
            } while (p <= limit);
            h =
                    Long.rotateLeft(v1, 1)
                            + Long.rotateLeft(v2, 7)
                            + Long.rotateLeft(v3, 12)
                            + Long.rotateLeft(v4, 18);
            h = merge(h, v1);
            h = merge(h, v2);
            h = merge(h, v3);
            h = merge(h, v4);
        } else {
            h = seed + P5;
        }
        h += len;
        while (p + 8 <= end) {
            h = round(h, (long) LONGS.get(data, p));
            p += 8;
        }
        if (p + 4 <= end) {
            h ^= ((int) INTS.get(data, p) & 0xFFFFFFFFL) * P1;
            h = Long.rotateLeft(h, 23) * P2 + P3;
            p += 4;
        }
        while (p < end) {
            h ^= (data[p] & 0xFFL) * P5;
            h = Long.rotateLeft(h, 11) * P1;
            p++;
        }
        return avalanche(h);
    }

    private static long lane(long acc, long input) {
        acc += input * P2;
        acc = Long.rotateLeft(acc, 31);
        return acc * P1;
    }

    private static long merge(long h, long v) {
        h ^= lane(0, v);
        return h * P1 + P4;
    }

    /** XXH64's step for a trailing 8-byte word. */
    private static long round(long h, long word) {
        h ^= lane(0, word);
        return Long.rotateLeft(h, 27) * P1 + P4;
    }

    private static long avalanche(long h) {
        h ^= h >>> 33;
        h *= P2;
        h ^= h >>> 29;
        h *= P3;
        h ^= h >>> 32;
        return h;
    }
}
