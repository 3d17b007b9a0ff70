package io.fmstream.core.window;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import net.jpountz.xxhash.XXHash64;
import net.jpountz.xxhash.XXHashFactory;
import org.junit.jupiter.api.Test;

class ContentHashTest {

    @Test
    void xxh64MatchesItsPublishedVectors() {
        assertThat(xxh64("", 0)).isEqualTo(0xEF46DB3751D8E999L);
        assertThat(xxh64("a", 0)).isEqualTo(0xD24EC4F1A98C6E5BL);
        assertThat(xxh64("abc", 0)).isEqualTo(0x44BC2CF5AD770999L);
        // 39 bytes: the four-lane loop, then a 4-byte and three 1-byte tail steps.
        assertThat(xxh64("Nobody inspects the spammish repetition", 0))
                .isEqualTo(0xFBCEA83C8A378BF1L);
        assertThat(xxh64("xxhash", 20141025)).isEqualTo(0xB559B98D844E0635L);
    }

    @Test
    void xxh64AgreesWithAnIndependentImplementationOnEveryLengthAndOffset() {
        XXHash64 reference = XXHashFactory.safeInstance().hash64();
        Random random = new Random(7);
        byte[] data = new byte[600];
        random.nextBytes(data);
        for (int len = 0; len <= 300; len++) {
            for (int off : new int[] {0, 1, 3, 7, 250}) {
                long seed = random.nextLong();
                assertThat(ContentHash.xxh64(data, off, len, seed))
                        .as("length %d at offset %d", len, off)
                        .isEqualTo(reference.hash(data, off, len, seed));
            }
        }
    }

    @Test
    void aChunkHashDependsOnEverySampleByteTheGainAndTheBaseline() {
        byte[] samples = new byte[500];
        new Random(3).nextBytes(samples);
        long base = ContentHash.of(ContentHash.XXH64, samples, 200.0, 0);
        assertThat(ContentHash.of(ContentHash.XXH64, samples.clone(), 200.0, 0)).isEqualTo(base);
        Set<Long> seen = new HashSet<>();
        seen.add(base);
        for (int i = 0; i < samples.length; i++) {
            byte[] changed = samples.clone();
            changed[i] ^= 1;
            assertThat(seen.add(ContentHash.of(ContentHash.XXH64, changed, 200.0, 0)))
                    .as("byte %d", i)
                    .isTrue();
        }
        assertThat(seen.add(ContentHash.of(ContentHash.XXH64, samples, 200.00000001, 0))).isTrue();
        assertThat(seen.add(ContentHash.of(ContentHash.XXH64, samples, 200.0, 1))).isTrue();
        assertThat(seen.add(ContentHash.of(ContentHash.XXH64, samples, 200.0, -1))).isTrue();
    }

    @Test
    void theLegacyVersionIsTheFnv1aEarlierReleasesStored() {
        // The value the earlier releases' hash gave for this content (FNV-1a over the bytes, the
        // gain's bits little-endian, the baseline), so restored states keep matching resends.
        assertThat(ContentHash.of(ContentHash.FNV1A, new byte[] {1, 2, 3, (byte) 250}, 200.0, 5))
                .isEqualTo(0x98669930B6D62AF5L);
    }

    private static long xxh64(String s, long seed) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        return ContentHash.xxh64(b, 0, b.length, seed);
    }
}
