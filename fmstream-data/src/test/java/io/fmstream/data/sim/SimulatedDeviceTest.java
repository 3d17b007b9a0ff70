package io.fmstream.data.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fmstream.schemas.SensorChunk;
import io.fmstream.schemas.SignalType;
import io.fmstream.schemas.codec.RecordCodec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SimulatedDeviceTest {

    private static final long START = 1_700_000_000_000_000L;

    private static SimulatedDevice device(long seed, double rate, HeartRateProfile profile) {
        return new SimulatedDevice("dev-" + seed, seed, rate, START, profile);
    }

    @Test
    void sameSeedGivesIdenticalBytes() {
        RecordCodec<SensorChunk> codec = RecordCodec.forType(SensorChunk.class);
        SimulatedDevice a = device(42, 250, HeartRateProfile.resting(70));
        SimulatedDevice b = device(42, 250, HeartRateProfile.resting(70));
        for (int i = 0; i < 20; i++) {
            assertThat(codec.encode(a.nextChunk(500))).isEqualTo(codec.encode(b.nextChunk(500)));
        }
        SimulatedDevice other = device(43, 250, HeartRateProfile.resting(70));
        other.nextChunk(500);
        assertThat(samples(other.nextChunk(2500)))
                .isNotEqualTo(
                        samples(device(42, 250, HeartRateProfile.resting(70)).nextChunk(3000)));
    }

    @ParameterizedTest
    @ValueSource(doubles = {128, 250, 360, 500, 257.3})
    void chunkingDoesNotChangeTheSamples(double rate) {
        int total = (int) (rate * 20);
        short[] reference = concatenate(device(7, rate, HeartRateProfile.resting(75)), total, 1000);
        assertThat(concatenate(device(7, rate, HeartRateProfile.resting(75)), total, 1))
                .isEqualTo(reference);
        assertThat(concatenate(device(7, rate, HeartRateProfile.resting(75)), total, 37))
                .isEqualTo(reference);
    }

    @Test
    void chunkMetadataIsContiguous() {
        SimulatedDevice d = device(1, 500, HeartRateProfile.resting(60));
        SensorChunk c1 = d.nextChunk(100);
        SensorChunk c2 = d.nextChunk(37);
        assertThat(c1.getDeviceId()).isEqualTo("dev-1");
        assertThat(c1.getSignalType()).isEqualTo(SignalType.ECG);
        assertThat(c1.getChannel()).isEqualTo("");
        assertThat(c1.getSampleRateHz()).isEqualTo(500.0);
        assertThat(c1.getGain()).isEqualTo(200.0);
        assertThat(c1.getBaseline()).isZero();
        assertThat(c1.getUnit()).isEqualTo("mV");
        assertThat(c1.getFirstSampleIndex()).isZero();
        assertThat(c1.getFirstSampleTimeMicros()).isEqualTo(START);
        assertThat(c1.getSamples().remaining()).isEqualTo(200);
        assertThat(c2.getFirstSampleIndex()).isEqualTo(100);
        assertThat(c2.getFirstSampleTimeMicros()).isEqualTo(START + 200_000);
        assertThat(c2.getSamples().remaining()).isEqualTo(74);
        assertThat(d.sampleIndex()).isEqualTo(137);
    }

    @ParameterizedTest
    @ValueSource(doubles = {50, 72, 120, 170})
    void meanHeartRateOverOneMinuteMatchesTheProfile(double bpm) {
        SimulatedDevice d = device(11, 360, HeartRateProfile.resting(bpm));
        for (int i = 0; i < 60; i++) {
            d.nextChunk(360);
        }
        long[] beats = d.beatTimesMicros();
        assertThat(beats).isSorted();
        assertThat(beats[0]).isGreaterThanOrEqualTo(START);
        assertThat(beats[beats.length - 1]).isLessThan(START + 60_000_000L);
        double measured = 60.0 * (beats.length - 1) / ((beats[beats.length - 1] - beats[0]) / 1e6);
        System.out.printf(
                "configured %.0f bpm, measured %.2f bpm from %d beats%n",
                bpm, measured, beats.length);
        assertThat(measured).isBetween(bpm - 2, bpm + 2);
    }

    @Test
    void heartRateStaysWithinPhysiologicalBounds() {
        for (HeartRateProfile p :
                new HeartRateProfile[] {
                    new HeartRateProfile(175, 20, 10, 0.2), new HeartRateProfile(42, 20, 10, 0.2)
                }) {
            SimulatedDevice d = device(3, 128, p);
            d.nextChunk(128 * 120);
            long[] beats = d.beatTimesMicros();
            for (int i = 1; i < beats.length; i++) {
                double hr = 60e6 / (beats[i] - beats[i - 1]);
                assertThat(hr).isBetween(39.99, 180.01);
            }
            for (long t = START; t < START + 120_000_000L; t += 250_000) {
                assertThat(d.heartRateAt(t)).isBetween(39.99, 180.01);
                assertThat(d.targetHeartRateAt(t)).isBetween(40.0, 180.0);
            }
        }
    }

    @Test
    void groundTruthHeartRateIsTheBeatIntervalAroundTheTime() {
        SimulatedDevice d = device(5, 250, HeartRateProfile.resting(80));
        d.nextChunk(250 * 10);
        long[] beats = d.beatTimesMicros();
        long mid = (beats[3] + beats[4]) / 2;
        assertThat(d.heartRateAt(mid))
                .isCloseTo(60e6 / (beats[4] - beats[3]), org.assertj.core.data.Offset.offset(0.01));
        HeartRateProfile constant = HeartRateProfile.constant(90);
        SimulatedDevice regular = device(5, 250, constant);
        assertThat(regular.heartRateAt(START + 5_000_000))
                .isCloseTo(90.0, org.assertj.core.data.Offset.offset(1e-6));
    }

    @Test
    void rPeaksAreAboutOneMillivoltAndTheBeatHasEcgMorphology() {
        double rate = 360;
        SimulatedDevice d = device(21, rate, HeartRateProfile.resting(72));
        short[] s = concatenate(d, (int) (rate * 60), 1000);
        long[] beats = d.beatTimesMicros();
        assertThat(beats.length).isGreaterThan(60);
        for (long beat : beats) {
            int r = (int) Math.round((beat - START) / 1e6 * rate);
            double peak = maxMv(s, r - 7, r + 7);
            assertThat(peak).as("R peak at %d", beat).isBetween(0.8, 1.5);
            // S wave: a negative dip within 20-70 ms after R.
            assertThat(minMv(s, r + 7, r + 25)).as("S wave at %d", beat).isLessThan(-0.05);
            // T wave: a positive hump 150-400 ms after R, well below the R peak.
            assertThat(maxMv(s, r + 54, r + 144)).as("T wave at %d", beat).isBetween(0.2, 0.6);
        }
        assertThat(maxMv(s, 0, s.length - 1)).isLessThanOrEqualTo(1.5);
    }

    @Test
    void timestampsDoNotDriftOverOneMillionSamplesAt360Hz() {
        SimulatedDevice d = device(9, 360, HeartRateProfile.resting(70));
        long n = 0;
        while (n < 1_000_000) {
            SensorChunk c = d.nextChunk(1000);
            assertThat(c.getFirstSampleIndex()).isEqualTo(n);
            // Exact integer rounding of n * 1e6 / 360 (no ties occur at 360 Hz).
            assertThat(c.getFirstSampleTimeMicros())
                    .isEqualTo(START + (n * 1_000_000L + 180) / 360);
            n += 1000;
        }
        assertThat(d.sampleIndex()).isEqualTo(1_000_000);
        assertThat(d.sampleTimeMicros(1_000_000)).isEqualTo(START + 2_777_777_778L);
    }

    @Test
    void invalidArgumentsAreRejected() {
        assertThatThrownBy(() -> device(1, 0, HeartRateProfile.resting(70)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> device(1, Double.NaN, HeartRateProfile.resting(70)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HeartRateProfile.resting(200))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> device(1, 250, HeartRateProfile.resting(70)).nextChunk(0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(
                        () -> device(1, 250, HeartRateProfile.resting(70)).heartRateAt(START - 1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static short[] concatenate(SimulatedDevice d, int total, int chunk) {
        short[] out = new short[total];
        int n = 0;
        while (n < total) {
            short[] s = samples(d.nextChunk(Math.min(chunk, total - n)));
            System.arraycopy(s, 0, out, n, s.length);
            n += s.length;
        }
        return out;
    }

    private static short[] samples(SensorChunk c) {
        ByteBuffer b = c.getSamples().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        short[] s = new short[b.remaining() / 2];
        b.asShortBuffer().get(s);
        return s;
    }

    private static double maxMv(short[] s, int from, int to) {
        return Arrays.stream(range(s, from, to)).max().orElseThrow() / SimulatedDevice.GAIN;
    }

    private static double minMv(short[] s, int from, int to) {
        return Arrays.stream(range(s, from, to)).min().orElseThrow() / SimulatedDevice.GAIN;
    }

    private static int[] range(short[] s, int from, int to) {
        int lo = Math.max(0, from);
        int hi = Math.min(s.length - 1, to);
        int[] r = new int[Math.max(0, hi - lo + 1)];
        for (int i = lo; i <= hi; i++) {
            r[i - lo] = s[i];
        }
        return r;
    }
}
