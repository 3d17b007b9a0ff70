package io.fmstream.data.sim;

import static io.fmstream.data.sim.Signals.START;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import io.fmstream.schemas.SensorChunk;
import io.fmstream.schemas.codec.RecordCodec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Scenario-driven devices: rhythms, noise and ground truth, checked on the generated signal. */
class ScenarioDeviceTest {

    private static SimulatedDevice device(long seed, double rate, Scenario scenario) {
        return new SimulatedDevice("dev-" + seed, seed, rate, START, scenario);
    }

    /** NORMAL, AF and OTHER with noise: every feature that draws randomness. */
    private static Scenario mixed() {
        return Scenario.builder()
                .segment(8, Rhythm.NORMAL, 75, Noise.of(0.1))
                .segment(8, Rhythm.AF, 110, Noise.of(0.2, 0.2, 0.3, 0.5))
                .pvcSegment(8, 65, 3, Noise.of(0.05))
                .build();
    }

    @ParameterizedTest
    @ValueSource(doubles = {128, 250, 360, 500, 257.3})
    void chunkingDoesNotChangeTheSamplesWithNoiseAfAndPvcs(double rate) {
        int total = (int) (rate * 24);
        short[] reference = Signals.concatenate(device(7, rate, mixed()), total, 1000);
        assertThat(Signals.concatenate(device(7, rate, mixed()), total, 1)).isEqualTo(reference);
        assertThat(Signals.concatenate(device(7, rate, mixed()), total, 37)).isEqualTo(reference);
        // Samples skipped (a drop-out) are never generated, and what follows is unchanged.
        SimulatedDevice skipping = device(7, rate, mixed());
        short[] head = Signals.samples(skipping.nextChunk(100));
        skipping.skip(total / 2 - 100);
        short[] tail = Signals.concatenate(skipping, total - total / 2, 333);
        assertThat(head).isEqualTo(Arrays.copyOfRange(reference, 0, 100));
        assertThat(tail).isEqualTo(Arrays.copyOfRange(reference, total / 2, total));
    }

    @Test
    void sameSeedSameBytesAndTruthOtherSeedDifferent() {
        RecordCodec<SensorChunk> codec = RecordCodec.forType(SensorChunk.class);
        SimulatedDevice a = device(42, 250, mixed());
        SimulatedDevice b = device(42, 250, mixed());
        for (int i = 0; i < 24; i++) {
            assertThat(codec.encode(a.nextChunk(250))).isEqualTo(codec.encode(b.nextChunk(250)));
            assertThat(a.groundTruth(i * 250L, (i + 1) * 250L))
                    .isEqualTo(b.groundTruth(i * 250L, (i + 1) * 250L));
        }
        short[] other = Signals.concatenate(device(43, 250, mixed()), 6000, 250);
        assertThat(other).isNotEqualTo(Signals.concatenate(device(42, 250, mixed()), 6000, 250));
    }

    @ParameterizedTest
    @ValueSource(doubles = {60, 100, 150})
    void normalRhythmHasTheConfiguredRateRegularRrAndPWaves(double bpm) {
        double rate = 360;
        SimulatedDevice d = device(11, rate, Scenario.steady(Rhythm.NORMAL, bpm, Noise.NONE));
        int n = (int) (rate * 120);
        double[] x = Signals.mv(Signals.concatenate(d, n, 1000));

        GroundTruthSpan truth = d.groundTruth(0, n);
        assertThat(truth.rhythm()).isEqualTo(Rhythm.NORMAL);
        assertThat(truth.rhythmFraction()).isEqualTo(1.0);
        assertThat(truth.noiseRmsMv()).isZero();
        assertThat(truth.meanHeartRateBpm()).isBetween(bpm - 2, bpm + 2);
        List<Beat> beats = d.beats(START, d.sampleTimeMicros(n));
        double byCount =
                60.0
                        * (beats.size() - 1)
                        / (beats.get(beats.size() - 1).rPeakSeconds()
                                - beats.get(0).rPeakSeconds());
        assertThat(byCount).isBetween(bpm - 2, bpm + 2);

        // RR varies with breathing, Mayer waves and jitter, but stays regular.
        double cv = Signals.coefficientOfVariation(Signals.rrSeconds(beats));
        System.out.printf(
                "NORMAL %.0f bpm: truth %.2f bpm, by count %.2f bpm, RR CV %.4f%n",
                bpm, truth.meanHeartRateBpm(), byCount, cv);
        assertThat(cv).isBetween(0.01, 0.06);
        assertThat(beats).allMatch(b -> b.kind() == BeatKind.SINUS);

        // An independent check on the signal itself: a simple R-peak detector agrees with the
        // truth.
        List<Integer> peaks = Signals.rPeaks(x, rate);
        double detected =
                60.0 * (peaks.size() - 1) / ((peaks.get(peaks.size() - 1) - peaks.get(0)) / rate);
        assertThat(detected).isCloseTo(truth.meanHeartRateBpm(), offset(3.0));
        assertThat(peaks).hasSize(beats.size());
        for (int i = 0; i < peaks.size(); i++) {
            assertThat(peaks.get(i) / rate).isCloseTo(beats.get(i).rPeakSeconds(), offset(0.01));
        }

        // P waves present: at the P centre (R - 0.194 s x sqrt(RR)) the signal shows the 0.25 mV
        // bump.
        assertThat(meanAtP(d, beats, rate)).isBetween(0.15, 0.35);
    }

    @Test
    void atrialFibrillationIsIrregularWithoutPWavesAndWithFWaves() {
        double rate = 250;
        SimulatedDevice d = device(5, rate, Scenario.steady(Rhythm.AF, 80, Noise.NONE));
        int n = (int) (rate * 300);
        short[] s = Signals.concatenate(d, n, 500);
        List<Beat> beats = d.beats(START, d.sampleTimeMicros(n));

        double cv = Signals.coefficientOfVariation(Signals.rrSeconds(beats));
        GroundTruthSpan truth = d.groundTruth(0, n);
        System.out.printf("AF 80 bpm: truth %.2f bpm, RR CV %.3f%n", truth.meanHeartRateBpm(), cv);
        assertThat(cv).isGreaterThan(0.1).isLessThan(0.3);
        assertThat(truth.rhythm()).isEqualTo(Rhythm.AF);
        assertThat(truth.meanHeartRateBpm()).isBetween(76.0, 84.0);
        // Irregularly irregular: successive RRs are uncorrelated, unlike the breathing-modulated
        // sinus RR.
        assertThat(Math.abs(lag1Correlation(Signals.rrSeconds(beats)))).isLessThan(0.2);

        // No P waves: the morphology has none, and the signal at the would-be P centre is flat but
        // for f waves.
        assertThat(beats).allMatch(b -> b.kind() == BeatKind.AF_CONDUCTED);
        assertThat(EcgWaveform.forKind(BeatKind.AF_CONDUCTED).hasWave("P")).isFalse();
        assertThat(Math.abs(meanAtP(d, beats, rate))).isLessThan(0.03);

        // f waves in the emitted samples: what is left after removing the beats is mostly 4-9 Hz.
        int m = 8192;
        double[] residual = new double[m];
        double[] fOnly = new double[m];
        for (int i = 0; i < m; i++) {
            residual[i] = s[i] / SimulatedDevice.GAIN - d.cardiacMv(i);
            fOnly[i] = d.fibrillatoryMv(i);
        }
        double inBand = Signals.bandPower(residual, rate, 4, 9);
        double all = Signals.bandPower(residual, rate, 0.5, 40);
        System.out.printf(
                "AF f waves: RMS %.3f mV, %.0f %% of 0.5-40 Hz power in 4-9 Hz%n",
                Signals.rms(residual), 100 * inBand / all);
        assertThat(inBand / all).isGreaterThan(0.7);
        assertThat(Signals.rms(residual)).isBetween(0.02, 0.1);
        assertThat(Signals.rms(fOnly)).isCloseTo(Signals.rms(residual), offset(0.005));
    }

    @Test
    void normalRhythmHasNoFWaves() {
        SimulatedDevice d = device(5, 250, Scenario.steady(Rhythm.NORMAL, 80, Noise.NONE));
        short[] s = Signals.concatenate(d, 250 * 30, 250);
        for (int i = 0; i < s.length; i++) {
            assertThat(d.fibrillatoryMv(i)).isZero();
            assertThat(Math.abs(s[i] / SimulatedDevice.GAIN - d.cardiacMv(i)))
                    .isLessThanOrEqualTo(0.5 / SimulatedDevice.GAIN);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 4, 6})
    void otherRhythmHasPrematureWidePvcsAtTheConfiguredFrequency(int every) {
        double rate = 500;
        Scenario scenario =
                Scenario.builder()
                        .segment(20, Rhythm.NORMAL, 70, Noise.NONE)
                        .pvcSegment(120, 70, every, Noise.NONE)
                        .segment(20, Rhythm.NORMAL, 70, Noise.NONE)
                        .build();
        SimulatedDevice d = device(3, rate, scenario);
        List<Beat> before = d.beats(START, START + 20_000_000L);
        // The first beat of a segment still follows the previous one's rule; skip it.
        List<Beat> beats = d.beats(START + 21_500_000L, START + 140_000_000L);
        assertThat(before).allMatch(b -> b.kind() == BeatKind.SINUS);

        List<Integer> pvcPositions = new ArrayList<>();
        for (int i = 0; i < beats.size(); i++) {
            if (beats.get(i).kind() == BeatKind.PVC) {
                pvcPositions.add(i);
            }
        }
        // Exactly one beat in `every` is a PVC, regularly.
        for (int i = 1; i < pvcPositions.size(); i++) {
            assertThat(pvcPositions.get(i) - pvcPositions.get(i - 1)).isEqualTo(every);
        }
        assertThat((double) pvcPositions.size() / beats.size())
                .isCloseTo(1.0 / every, offset(0.02));

        double widthSinus = 0;
        double widthPvc = 0;
        int sinusCount = 0;
        for (int p : pvcPositions) {
            if (p < 1 || p + 1 >= beats.size()) {
                continue;
            }
            Beat pvc = beats.get(p);
            Beat previous = beats.get(p - 1);
            Beat next = beats.get(p + 1);
            assertThat(previous.kind()).isEqualTo(BeatKind.SINUS);
            assertThat(next.kind()).isEqualTo(BeatKind.SINUS);
            // Premature: well before the next sinus beat was due.
            assertThat(pvc.precedingRrSeconds()).isLessThan(0.8 * previous.precedingRrSeconds());
            // Full compensatory pause: the sinus node kept its rhythm, so the beats around the PVC
            // are two RRs apart.
            double around = pvc.precedingRrSeconds() + next.precedingRrSeconds();
            assertThat(around / (2 * previous.precedingRrSeconds())).isCloseTo(1.0, offset(0.12));
            widthPvc += halfMaximumWidth(d, pvc, rate);
            widthSinus += halfMaximumWidth(d, previous, rate);
            sinusCount++;
        }
        widthPvc /= sinusCount;
        widthSinus /= sinusCount;
        System.out.printf(
                "PVC every %d: %d PVCs in %d beats; QRS half-maximum width %.0f ms vs sinus %.0f"
                        + " ms%n",
                every, pvcPositions.size(), beats.size(), widthPvc * 1000, widthSinus * 1000);
        assertThat(widthPvc).isGreaterThan(1.5 * widthSinus);
        assertThat(EcgWaveform.forKind(BeatKind.PVC).hasWave("P")).isFalse();

        // Beat counting (PVCs included) still gives the sinus rate, thanks to the compensatory
        // pauses.
        long n = (long) (rate * 140);
        assertThat(d.groundTruth((long) (rate * 21.5), n).meanHeartRateBpm()).isBetween(67.0, 73.0);
        assertThat(d.beats(START + 141_000_000L, START + 160_000_000L))
                .allMatch(b -> b.kind() == BeatKind.SINUS);
    }

    @Test
    void groundTruthRhythmSpansFollowTheScheduleExactly() {
        Scenario scenario =
                Scenario.builder()
                        .segment(30, Rhythm.NORMAL, 70, Noise.NONE)
                        .segment(40, Rhythm.AF, 100, Noise.of(0.1))
                        .pvcSegment(50, 60, 5, Noise.NONE)
                        .build();
        double rate = 250;
        SimulatedDevice d = device(8, rate, scenario);
        for (int sec = 0; sec < 150; sec++) {
            GroundTruthSpan t = d.groundTruth((long) (sec * rate), (long) ((sec + 1) * rate));
            Rhythm expected = sec < 30 ? Rhythm.NORMAL : sec < 70 ? Rhythm.AF : Rhythm.OTHER;
            assertThat(t.rhythm()).as("second %d", sec).isEqualTo(expected);
            assertThat(t.rhythmFraction()).isEqualTo(1.0);
            assertThat(t.startMicros()).isEqualTo(START + sec * 1_000_000L);
            assertThat(t.endMicros()).isEqualTo(START + (sec + 1) * 1_000_000L);
            assertThat(t.deviceId()).isEqualTo("dev-8");
        }
        GroundTruthSpan straddling = d.groundTruth((long) (25 * rate), (long) (40 * rate));
        assertThat(straddling.rhythm()).isEqualTo(Rhythm.AF);
        assertThat(straddling.rhythmFraction()).isEqualTo(10.0 / 15);
        GroundTruthSpan tie = d.groundTruth((long) (25 * rate), (long) (35 * rate));
        assertThat(tie.rhythm()).isEqualTo(Rhythm.NORMAL);
        assertThat(tie.rhythmFraction()).isEqualTo(0.5);
        // Noise level: 0 before, 0.1 mV after the 1 s ramp, in between during it.
        assertThat(d.groundTruth((long) (20 * rate), (long) (30 * rate)).noiseRmsMv()).isZero();
        assertThat(d.groundTruth((long) (31 * rate), (long) (69 * rate)).noiseRmsMv())
                .isCloseTo(0.1, offset(1e-12));
        assertThat(d.groundTruth((long) (30 * rate), (long) (31 * rate)).noiseRmsMv())
                .isBetween(0.04, 0.07);
        // Heart rate truth follows the beats: 70 bpm, then AF at 100 bpm (after the 5 s
        // transition).
        assertThat(d.groundTruth(0, (long) (30 * rate)).meanHeartRateBpm()).isBetween(68.0, 72.0);
        assertThat(d.groundTruth((long) (36 * rate), (long) (70 * rate)).meanHeartRateBpm())
                .isBetween(94.0, 106.0);
        // Beats switch rhythm with the schedule (the first beat after a boundary may still follow
        // the old one).
        assertThat(d.beats(START + 32_000_000L, START + 70_000_000L))
                .allMatch(b -> b.kind() == BeatKind.AF_CONDUCTED);
        assertThat(d.beats(START, START + 30_000_000L)).allMatch(b -> b.kind() == BeatKind.SINUS);
    }

    @Test
    void groundTruthOfAShortSpanWithoutBeatsUsesTheSurroundingInterval() {
        SimulatedDevice d = device(2, 500, Scenario.steady(Rhythm.NORMAL, 60, Noise.NONE));
        List<Beat> beats = d.beats(START + 5_000_000L, START + 7_000_000L);
        double mid = (beats.get(0).rPeakSeconds() + beats.get(1).rPeakSeconds()) / 2;
        long from = (long) (mid * 500);
        GroundTruthSpan t = d.groundTruth(from, from + 10);
        assertThat(t.meanHeartRateBpm())
                .isCloseTo(60.0 / beats.get(1).precedingRrSeconds(), offset(1e-9));
    }

    @ParameterizedTest
    @ValueSource(doubles = {128, 250, 500})
    void measuredNoiseMatchesTheGroundTruthLevel(double rate) {
        Noise[] levels = {
            Noise.of(0.02),
            Noise.of(0.1),
            Noise.of(0.3),
            new Noise(0.15, 0, 0),
            new Noise(0, 0.15, 0),
            new Noise(0, 0, 0.15)
        };
        for (Noise level : levels) {
            Scenario scenario =
                    Scenario.builder()
                            .segment(60, Rhythm.NORMAL, 70, level)
                            .segment(60, Rhythm.AF, 90, level)
                            .build();
            int n = (int) (rate * 120);
            double[] noisy = Signals.mv(Signals.concatenate(device(9, rate, scenario), n, 1000));
            double[] clean =
                    Signals.mv(
                            Signals.concatenate(device(9, rate, scenario.withoutNoise()), n, 1000));
            GroundTruthSpan truth = device(9, rate, scenario).groundTruth(0, n);
            for (int half = 0; half < 2; half++) {
                double[] diff = new double[n / 2];
                for (int i = 0; i < diff.length; i++) {
                    diff[i] = noisy[half * n / 2 + i] - clean[half * n / 2 + i];
                }
                double measured = Signals.rms(diff);
                System.out.printf(
                        "%.0f Hz, %s: measured %.4f mV, truth %.4f mV%n",
                        rate, level, measured, truth.noiseRmsMv());
                assertThat(truth.noiseRmsMv()).isCloseTo(level.rmsMv(), offset(1e-12));
                assertThat(measured / truth.noiseRmsMv()).isBetween(0.85, 1.15);
            }
        }
    }

    @Test
    void noiseFreeScenarioAddsNothing() {
        Scenario scenario = mixed().withoutNoise();
        SimulatedDevice d = device(4, 250, scenario);
        Signals.concatenate(d, 250 * 24, 250);
        for (long i = 0; i < 250 * 24; i += 7) {
            assertThat(d.noiseMv(i)).isZero();
        }
        assertThat(d.groundTruth(0, 250 * 24).noiseRmsMv()).isZero();
    }

    @Test
    void trimmingForgetsOldBeatsButNoSample() {
        Scenario scenario = mixed();
        SimulatedDevice trimmed = device(6, 250, scenario);
        SimulatedDevice full = device(6, 250, scenario);
        List<short[]> a = new ArrayList<>();
        List<short[]> b = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            trimmed.trimHistoryBefore(
                    trimmed.sampleTimeMicros(trimmed.sampleIndex()) - 10_000_000L);
            a.add(Signals.samples(trimmed.nextChunk(250)));
            b.add(Signals.samples(full.nextChunk(250)));
        }
        for (int i = 0; i < a.size(); i++) {
            assertThat(a.get(i)).isEqualTo(b.get(i));
        }
        assertThat(trimmed.groundTruth(590 * 250L, 600 * 250L))
                .isEqualTo(full.groundTruth(590 * 250L, 600 * 250L));
        assertThatThrownBy(() -> trimmed.groundTruth(0, 250))
                .isInstanceOf(IllegalStateException.class);
        assertThat(trimmed.beatTimesMicros()[0]).isGreaterThan(START + 200_000_000L);
    }

    @Test
    void scenarioDeviceApi() {
        Scenario scenario = mixed();
        SimulatedDevice d = device(1, 250, scenario);
        assertThat(d.isScenarioDriven()).isTrue();
        assertThat(d.scenario()).isSameAs(scenario);
        assertThatThrownBy(d::profile).isInstanceOf(IllegalStateException.class);
        assertThat(d.targetHeartRateAt(START + 2_000_000L)).isEqualTo(75.0);
        assertThat(d.targetHeartRateAt(START + 10_500_000L)).isBetween(75.0, 110.0);
        assertThat(d.targetHeartRateAt(START + 14_000_000L)).isEqualTo(110.0);
        SimulatedDevice legacy =
                new SimulatedDevice("x", 1, 250, START, HeartRateProfile.resting(70));
        assertThat(legacy.isScenarioDriven()).isFalse();
        assertThatThrownBy(legacy::scenario).isInstanceOf(IllegalStateException.class);
        assertThat(legacy.groundTruth(0, 2500).rhythm()).isEqualTo(Rhythm.NORMAL);
        assertThat(legacy.firstSampleAtOrAfter(START + 1_000_001L)).isEqualTo(251);
        assertThat(legacy.firstSampleAtOrAfter(START + 1_000_000L)).isEqualTo(250);
        assertThat(legacy.firstSampleAtOrAfter(START - 5)).isZero();
        assertThatThrownBy(() -> d.groundTruth(5, 5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> d.skip(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    /** Mean clean signal at each sinus-like beat's P-wave centre (R - 0.1944 s x sqrt(RR)). */
    private static double meanAtP(SimulatedDevice d, List<Beat> beats, double rate) {
        double sum = 0;
        int count = 0;
        for (Beat b : beats.subList(1, beats.size())) {
            double t = b.rPeakSeconds() - 0.1944 * Math.sqrt(b.precedingRrSeconds());
            long n = Math.round(t * rate);
            if (n >= 0) {
                sum += d.cardiacMv(n);
                count++;
            }
        }
        return sum / count;
    }

    /** Width of the beat's R deflection at half its height, from the clean signal, seconds. */
    private static double halfMaximumWidth(SimulatedDevice d, Beat beat, double rate) {
        long r = Math.round(beat.rPeakSeconds() * rate);
        double half = d.cardiacMv(r) / 2;
        long lo = r;
        while (d.cardiacMv(lo - 1) > half) {
            lo--;
        }
        long hi = r;
        while (d.cardiacMv(hi + 1) > half) {
            hi++;
        }
        return (hi - lo + 1) / rate;
    }

    private static double lag1Correlation(double[] x) {
        double m = Signals.mean(x);
        double num = 0;
        double den = 0;
        for (int i = 0; i < x.length; i++) {
            den += (x[i] - m) * (x[i] - m);
            if (i > 0) {
                num += (x[i] - m) * (x[i - 1] - m);
            }
        }
        return num / den;
    }
}
