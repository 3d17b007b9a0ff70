package io.fmstream.core.signal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StreamingResamplerTest {

    private static final long T0_MICROS = 1_700_000_000_000_000L;

    @Test
    void outputDoesNotDependOnHowTheInputWasChunked() {
        float[] input = ecgLike(360.0, 60 * 360);
        List<float[]> results = new ArrayList<>();
        for (int chunk : new int[] {1, 37, 1000}) {
            results.add(resampleInChunks(input, 360.0, 100.0, chunk));
        }
        assertThat(results.get(0).length).isGreaterThan(5900);
        assertThat(results.get(1)).containsExactly(results.get(0));
        assertThat(results.get(2)).containsExactly(results.get(0));
    }

    @Test
    void anAnchorSlipPlacesTheFollowingOutputsAsIfTheInputHadStartedThatMuchLaterOrEarlier() {
        // A drifting device's stream follows its clock by moving the anchor one input sample at a
        // time (DeviceWindowAssembler.followClock). Outputs before the slip stay; those after
        // are exactly the ones of a stream anchored at the slipped anchor. Backwards right after
        // a push: the history keeps one sample more than the next output reads for this.
        for (long delta : new long[] {4_000, -4_000}) {
            StreamingResampler r = new StreamingResampler(250.0, 100.0);
            float[] input = ecgLike(250.0, 250 * 8);
            StreamingResampler.State s = r.newState(T0_MICROS, 0);
            for (int chunk = 0; chunk < 4; chunk++) {
                r.push(s, input, chunk * 250, 250);
            }
            assertThat(r.shiftAnchor(s, delta)).as("slip of %d us after a push", delta).isTrue();
            long anchor = T0_MICROS + delta;
            StreamingResampler.Outputs o = r.push(s, input, 1000, 1000);
            assertThat(o.count()).isGreaterThan(350);
            for (int i = 0; i < o.count(); i++) {
                assertThat(o.values()[i])
                        .as("output %d after a slip of %d us", o.first() + i, delta)
                        .isEqualTo(r.outputAt(anchor, o.first() + i, input, 0));
            }
        }
    }

    @Test
    void keepsAConstantSignalExactlyAtEveryRate() {
        for (double rate : new double[] {128, 250, 300, 360, 500}) {
            float[] input = new float[(int) (rate * 20)];
            java.util.Arrays.fill(input, 1.25f);
            float[] out = resampleInChunks(input, rate, 100.0, 97);
            assertThat(out.length).as("outputs at %s Hz", rate).isGreaterThan(1900);
            for (float v : out) {
                assertThat(v).isCloseTo(1.25f, org.assertj.core.data.Offset.offset(1e-5f));
            }
        }
    }

    @Test
    void reproducesAnInBandSineOnTheEpochGrid() {
        double inRate = 250.0;
        double freq = 7.0;
        float[] input = new float[(int) (inRate * 30)];
        for (int n = 0; n < input.length; n++) {
            input[n] = (float) Math.sin(2 * Math.PI * freq * (T0_MICROS / 1e6 + n / inRate));
        }
        StreamingResampler r = new StreamingResampler(inRate, 100.0);
        StreamingResampler.State s = r.newState(T0_MICROS, 0);
        double[] maxErr = {0};
        StreamingResampler.Outputs o = r.push(s, input, 0, input.length);
        for (int i = 0; i < o.count(); i++) {
            double expected = Math.sin(2 * Math.PI * freq * ((o.first() + i) / 100.0));
            maxErr[0] = Math.max(maxErr[0], Math.abs(o.values()[i] - expected));
        }
        assertThat(maxErr[0]).isLessThan(2e-3);
    }

    @Test
    void attenuatesContentAboveTheModelNyquist() {
        double inRate = 500.0;
        float[] input = new float[(int) (inRate * 20)];
        for (int n = 0; n < input.length; n++) {
            input[n] = (float) Math.sin(2 * Math.PI * 80.0 * n / inRate);
        }
        float[] out = resampleInChunks(input, inRate, 100.0, 500);
        double peak = 0;
        for (float v : out) {
            peak = Math.max(peak, Math.abs(v));
        }
        // 80 Hz would alias to 20 Hz at 100 Hz without the low-pass.
        assertThat(peak).isLessThan(0.01);
    }

    @Test
    void marksOnlyOutputsNearAGapAsMissing() {
        double inRate = 360.0;
        float[] input = ecgLike(inRate, 20 * 360);
        for (int n = 3600; n < 3600 + 36; n++) {
            input[n] = Float.NaN; // 0.1 s drop-out
        }
        float[] out = resampleInChunks(input, inRate, 100.0, 50);
        int missing = 0;
        for (float v : out) {
            if (Float.isNaN(v)) {
                missing++;
            }
        }
        assertThat(missing).isBetween(10, 10 + 2 * 12 + 2);
    }

    @Test
    void theHistoryStaysAtItsInitialSizeThroughLargeChunksAndLongGaps() {
        // The history is checkpointed whole per device: a 10-minute gap at 500 Hz once grew it to
        // 8,192 floats (32 KB per device, kept forever).
        for (double rate : new double[] {128, 250, 500}) {
            StreamingResampler r = new StreamingResampler(rate, 100.0);
            StreamingResampler.State s = r.newState(T0_MICROS, 0);
            int capacity = s.history.length;
            float[] big = ecgLike(rate, (int) (rate * 30));
            long outputs = r.push(s, big, 0, big.length).count();
            assertThat(s.history.length)
                    .as("after a 30 s chunk at %s Hz", rate)
                    .isEqualTo(capacity);
            outputs += r.pushMissing(s, (long) (rate * 600)).count();
            assertThat(s.history.length)
                    .as("after a 10 min gap at %s Hz", rate)
                    .isEqualTo(capacity);
            outputs += r.push(s, big, 0, big.length).count();
            assertThat(s.history.length).isEqualTo(capacity);
            // Every output of the 660 s of input is still produced, less the filter's edges.
            assertThat(outputs).isBetween(65_950L, 66_000L);
        }
    }

    @Test
    void aHistoryGrownBeforeIsTrimmedWithoutChangingAnyOutput() {
        float[] input = ecgLike(500.0, 20 * 500);
        StreamingResampler r = new StreamingResampler(500.0, 100.0);
        StreamingResampler.State plain = r.newState(T0_MICROS, 0);
        StreamingResampler.State grown = r.newState(T0_MICROS, 0);
        int capacity = plain.history.length;
        r.push(plain, input, 0, 5000);
        r.push(grown, input, 0, 5000);
        // As restored from a checkpoint written before the history was kept small.
        grown.history = java.util.Arrays.copyOf(grown.history, 8192);

        float[] a = r.push(plain, input, 5000, 5000).values().clone();
        StreamingResampler.Outputs b = r.push(grown, input, 5000, 5000);

        assertThat(java.util.Arrays.copyOf(b.values(), b.count()))
                .containsExactly(java.util.Arrays.copyOf(a, b.count()));
        assertThat(grown.history.length).isEqualTo(capacity);
    }

    private static float[] resampleInChunks(
            float[] input, double inRate, double outRate, int chunk) {
        StreamingResampler r = new StreamingResampler(inRate, outRate);
        StreamingResampler.State s = r.newState(T0_MICROS, 0);
        List<Float> out = new ArrayList<>();
        long[] expectedNext = {s.nextOut};
        for (int off = 0; off < input.length; off += chunk) {
            int n = Math.min(chunk, input.length - off);
            StreamingResampler.Outputs o = r.push(s, input, off, n);
            assertThat(o.first()).isEqualTo(expectedNext[0]);
            for (int i = 0; i < o.count(); i++) {
                out.add(o.values()[i]);
            }
            expectedNext[0] += o.count();
            assertThat(s.nextOut).isEqualTo(expectedNext[0]);
        }
        float[] result = new float[out.size()];
        for (int i = 0; i < result.length; i++) {
            result[i] = out.get(i);
        }
        return result;
    }

    static float[] ecgLike(double rate, int n) {
        float[] x = new float[n];
        java.util.Random random = new java.util.Random(42);
        for (int i = 0; i < n; i++) {
            double t = i / rate;
            double phase = (t * 1.2) % 1.0;
            x[i] =
                    (float)
                            (Math.exp(-Math.pow((phase - 0.3) / 0.01, 2))
                                    + 0.1 * Math.sin(2 * Math.PI * 0.3 * t)
                                    + 0.01 * random.nextGaussian());
        }
        return x;
    }

    @Test
    void weightsCachedPerPhaseGiveBitIdenticalOutputsToTheTapByTapComputation() {
        java.util.Random random = new java.util.Random(11);
        int compared = 0;
        for (double inRate : new double[] {128.0, 250.0, 256.0, 360.0, 500.0, 1000.0, 44.1}) {
            StreamingResampler r = new StreamingResampler(inRate, 100.0);
            float[] input = new float[(int) (inRate * 120)];
            for (int i = 0; i < input.length; i++) {
                input[i] = (float) random.nextGaussian();
            }
            input[input.length / 2] = Float.NaN; // a missing sample: NaN in both computations
            for (long anchor : new long[] {0L, 1_234_567L, -3_700_000L, T0_MICROS}) {
                for (long j = 0; j < 12_000; j++) {
                    // Twice: the first computes the phase's weights, the second reads them back.
                    for (int pass = 0; pass < 2; pass++) {
                        float cached = r.outputAt(anchor, j, input, 0);
                        float direct = r.outputAtDirect(anchor, j, input, 0);
                        assertThat(Float.floatToRawIntBits(cached))
                                .as("rate %s anchor %s output %s", inRate, anchor, j)
                                .isEqualTo(Float.floatToRawIntBits(direct));
                    }
                    compared++;
                }
            }
        }
        assertThat(compared).isEqualTo(7 * 4 * 12_000);
    }

    @Test
    void everyOutputOfAPushedStreamEqualsTheOutputComputedOnItsOwn() {
        // The streaming path computes outputs as pushed chunks complete them, from its history
        // buffer; outputAt computes one output from the whole input. They agree bit for bit,
        // over rates with few and many phases, on and off the epoch grid, across a gap.
        java.util.Random random = new java.util.Random(5);
        int compared = 0;
        for (double inRate : new double[] {128.0, 250.0, 256.0, 360.0, 500.0, 44.1}) {
            for (double outRate : new double[] {100.0, 125.0, 64.0}) {
                for (long anchor : new long[] {0L, 1_234_567L, -3_700_000L, T0_MICROS + 4_321}) {
                    StreamingResampler r = new StreamingResampler(inRate, outRate);
                    float[] input = new float[(int) (inRate * 30)];
                    for (int i = 0; i < input.length; i++) {
                        input[i] = (float) random.nextGaussian();
                    }
                    input[input.length / 3] = Float.NaN;
                    StreamingResampler.State s = r.newState(anchor, 0);
                    for (int from = 0; from < input.length; from += 97) {
                        int n = Math.min(97, input.length - from);
                        StreamingResampler.Outputs o = r.push(s, input, from, n);
                        float[] values = java.util.Arrays.copyOf(o.values(), o.count());
                        for (int k = 0; k < values.length; k++) {
                            float located = r.outputAt(anchor, o.first() + k, input, 0);
                            assertThat(Float.floatToRawIntBits(values[k]))
                                    .as(
                                            "in %s out %s anchor %s output %s",
                                            inRate, outRate, anchor, o.first() + k)
                                    .isEqualTo(Float.floatToRawIntBits(located));
                            compared++;
                        }
                    }
                }
            }
        }
        assertThat(compared).isGreaterThan(6 * 3 * 4 * 1500);
    }

    @Test
    void outputsPastWhereExactPositionsOverflowALongStillEqualThoseComputedOnTheirOwn() {
        // The streaming path steps each output's exact position from the last one's; where a
        // position no longer fits a long it must hand over to the double path exactly as locating
        // each output does. Anchored so that the exact path overflows at output 2,000 (20 s), with
        // input from 15 s to 45 s pushed in chunks of 97: some pushes before, one across, the rest
        // after.
        StreamingResampler r = new StreamingResampler(250.0, 100.0);
        long anchor = -(Long.MAX_VALUE / 250) + 20_000_000L;
        long firstIndex = (15_000_000L - anchor) / 4_000L;
        float[] input = new float[250 * 30];
        java.util.Random random = new java.util.Random(3);
        for (int i = 0; i < input.length; i++) {
            input[i] = (float) random.nextGaussian();
        }
        StreamingResampler.State s = r.newState(anchor, firstIndex);
        int compared = 0;
        long before = 0;
        long after = 0;
        for (int from = 0; from < input.length; from += 97) {
            int n = Math.min(97, input.length - from);
            StreamingResampler.Outputs o = r.push(s, input, from, n);
            float[] values = java.util.Arrays.copyOf(o.values(), o.count());
            for (int k = 0; k < values.length; k++) {
                long j = o.first() + k;
                float located = r.outputAt(anchor, j, input, firstIndex);
                assertThat(Float.floatToRawIntBits(values[k]))
                        .as("output %s", j)
                        .isEqualTo(Float.floatToRawIntBits(located));
                assertThat(located).isNotNaN();
                compared++;
                if (j < 2_000) {
                    before++;
                } else {
                    after++;
                }
            }
        }
        assertThat(before).isGreaterThan(400);
        assertThat(after).isGreaterThan(2_000);
        assertThat(compared).isEqualTo(before + after);
    }

    @Test
    void aDeviceAtWholeRatesReusesTheWeightsOfItsFewPhases() {
        // 250 -> 100 Hz: outputs every 2.5 input samples, so two phases per device, whatever its
        // anchor; an hour of epoch-time outputs computes them once, not per output.
        StreamingResampler r = new StreamingResampler(250.0, 100.0);
        float[] input = new float[250 * 3600 + 200];
        java.util.Arrays.fill(input, 1f);
        long anchor = T0_MICROS + 123_457L;
        long first = (long) Math.ceil((anchor + 1e6) / 1e4);
        for (long j = first; j < first + 100 * 3500; j++) {
            assertThat(r.outputAt(anchor, j, input, 0)).isEqualTo(1f);
        }
        assertThat(r.phasesComputed).isEqualTo(2);
        // Inexact rates (44.1 Hz) still agree with the reference, through the bounded map.
        StreamingResampler odd = new StreamingResampler(44.1, 100.0);
        assertThat(odd.outputAt(0L, 500L, new float[1000], 0))
                .isEqualTo(odd.outputAtDirect(0L, 500L, new float[1000], 0));
    }
}
