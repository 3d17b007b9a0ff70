package io.fmstream.tools.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.core.signal.StreamingResampler;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The naive baseline's sinc resampling does the job's signal work: the same resampler, the same
 * outputs bit for bit where a window's own chunks cover the filter, an in-band sine reproduced, and
 * only the first outputs (whose filter reaches before the window's first chunk) missing.
 */
class NaiveJobTest {

    private static final long T0 = 1_700_000_000_000_000L;

    @Test
    void sincResamplingOfAWindowsChunksGivesTheResamplersOwnOutputs() {
        double inRate = 250.0;
        double modelRate = 100.0;
        double hz = 7.0;
        // 10.4 s of a 7 Hz sine in 0.2 s chunks, from the window's start to 0.4 s after its end
        // (a window holds the chunks that start inside it, and the last runs past its end),
        // shuffled and sorted again as the window function sorts what window state gives it.
        long windowStart = T0 + 5_000_000L;
        long firstChunk = windowStart;
        float[] all = new float[(int) (10.4 * inRate)];
        for (int n = 0; n < all.length; n++) {
            double t = (firstChunk + n * 1e6 / inRate) / 1e6;
            all[n] = (float) Math.sin(2 * Math.PI * hz * t);
        }
        List<NaiveJob.Chunk> chunks = new ArrayList<>();
        for (int from = 0; from < all.length; from += 50) {
            NaiveJob.Chunk c = new NaiveJob.Chunk();
            c.deviceId = "d";
            c.rateHz = inRate;
            c.firstSampleMicros = firstChunk + Math.round(from * 1e6 / inRate);
            c.samples = java.util.Arrays.copyOfRange(all, from, Math.min(all.length, from + 50));
            chunks.add(c);
        }
        Collections.shuffle(chunks, new java.util.Random(1));
        chunks.sort(java.util.Comparator.comparingLong(c -> c.firstSampleMicros));

        float[] window = new float[1000];
        java.util.Arrays.fill(window, Float.NaN);
        int covered =
                NaiveJob.EmbedWindow.resampleSinc(
                        chunks, windowStart, window, modelRate, new HashMap<>());

        StreamingResampler reference = new StreamingResampler(inRate, modelRate);
        int missingAtStart = 0;
        long j0 = Math.round(windowStart * modelRate / 1e6);
        for (int i = 0; i < window.length; i++) {
            if (Float.isNaN(window[i])) {
                assertThat(i).as("only the window's first outputs may be missing").isLessThan(20);
                missingAtStart++;
                continue;
            }
            float expected = reference.outputAt(firstChunk, j0 + i, all, 0);
            assertThat(Float.floatToRawIntBits(window[i]))
                    .as("output %d", i)
                    .isEqualTo(Float.floatToRawIntBits(expected));
            double t = (j0 + i) / modelRate;
            assertThat((double) window[i])
                    .as("output %d against the sine", i)
                    .isCloseTo(
                            Math.sin(2 * Math.PI * hz * t),
                            org.assertj.core.data.Offset.offset(2e-3));
        }
        // The filter reaches 23 input samples (92 ms) each side at 250 -> 100 Hz: 10 outputs.
        assertThat(missingAtStart).isBetween(5, 12);
        assertThat(covered).isEqualTo(window.length - missingAtStart);
    }
}
