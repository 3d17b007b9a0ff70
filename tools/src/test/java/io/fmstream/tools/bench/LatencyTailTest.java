package io.fmstream.tools.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The capacity run's attribution of slow predictions to checkpoints and collector pauses. */
class LatencyTailTest {

    private static final long SECOND = 1_000;
    private static final double THRESHOLD = 0.150;

    /** A checkpoint every 10 s, taking 500 ms from trigger to the last acknowledgement. */
    private static List<LatencyTail.Checkpoint> checkpointsEveryTenSeconds(int n) {
        List<LatencyTail.Checkpoint> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long at = (i + 1) * 10 * SECOND;
            out.add(
                    new LatencyTail.Checkpoint(
                            new LatencyTail.Span(at, at + 500), 0.002, 0.010, 0.300, 0.150));
        }
        return out;
    }

    @Test
    void slowPredictionsWrittenRightAfterCheckpointsAreAttributedToThem() {
        // 100 predictions a second for 100 s, 20 ms each; those written in the 400 ms after each
        // checkpoint's trigger waited for it: 400 ms.
        LatencyTail.Samples samples = new LatencyTail.Samples();
        for (long t = 0; t < 100 * SECOND; t += 10) {
            long sinceTrigger = t % (10 * SECOND);
            boolean blocked = t >= 10 * SECOND && sinceTrigger >= 100 && sinceTrigger < 500;
            samples.add(t, blocked ? 0.400 : 0.020);
        }
        LatencyTail.Result r =
                LatencyTail.attribute(samples, THRESHOLD, checkpointsEveryTenSeconds(9), List.of());

        assertThat(r.predictions()).isEqualTo(10_000);
        assertThat(r.slow()).isEqualTo(9 * 40);
        assertThat(r.slowAcrossCheckpoint()).isEqualTo(1.0);
        // All of them: those written in [trigger, trigger + 520 ms], ends included (a 20 ms flight
        // written 520 ms after the trigger began when the checkpoint ended), 53 of every 1,000
        // written in each of the 9 intervals; 40 of the 53 are the slow ones.
        assertThat(r.allAcrossCheckpoint()).isCloseTo(9 * 53 / 10_000.0, within(1e-9));
        assertThat(r.slowAcrossGcPause()).isEqualTo(0.0);
        assertThat(r.allAcrossGcPause()).isEqualTo(0.0);
        assertThat(r.checkpoints()).isEqualTo(9);
        assertThat(r.checkpointMedianSeconds()).isEqualTo(0.5);
        assertThat(r.checkpointMaxSyncSeconds()).isEqualTo(0.300);
        assertThat(r.checkpointMaxAsyncSeconds()).isEqualTo(0.150);
        assertThat(r.gcPauses()).isZero();
        assertThat(r.gcPauseMaxSeconds()).isNaN();
        // Bursts: the 40 slow ones after each checkpoint fall in one second; 5 of the 100 seconds
        // hold half of them.
        assertThat(r.slowHalfInSecondsFraction()).isEqualTo(0.05);
    }

    @Test
    void slowPredictionsAcrossACollectorPauseAreAttributedToItNotToCheckpoints() {
        // One 300 ms pause at 55 s: everything in flight across it is slow; checkpoints at 10 s
        // intervals see no more slow predictions than chance.
        LatencyTail.Samples samples = new LatencyTail.Samples();
        for (long t = 0; t < 100 * SECOND; t += 10) {
            boolean paused = t >= 55 * SECOND + 300 && t < 55 * SECOND + 320;
            samples.add(t, paused ? 0.320 : 0.020);
        }
        List<LatencyTail.Span> pauses = List.of(new LatencyTail.Span(55_000, 55_300));

        LatencyTail.Result r =
                LatencyTail.attribute(samples, THRESHOLD, checkpointsEveryTenSeconds(9), pauses);

        assertThat(r.slow()).isEqualTo(2);
        assertThat(r.slowAcrossGcPause()).isEqualTo(1.0);
        assertThat(r.slowAcrossCheckpoint()).isEqualTo(0.0);
        assertThat(r.gcPauses()).isEqualTo(1);
        assertThat(r.gcPauseTotalSeconds()).isCloseTo(0.3, within(1e-9));
    }

    @Test
    void aTailSpreadOverTheRunIsNotABurst() {
        // Every tenth prediction slow, in every second.
        LatencyTail.Samples samples = new LatencyTail.Samples();
        for (long t = 0; t < 100 * SECOND; t += 10) {
            samples.add(t, t % 100 == 0 ? 0.3 : 0.02);
        }
        LatencyTail.Result r = LatencyTail.attribute(samples, THRESHOLD, List.of(), List.of());
        assertThat(r.slow()).isEqualTo(1_000);
        assertThat(r.slowHalfInSecondsFraction()).isEqualTo(0.5);
    }

    @Test
    void aSpanInsideALongerOneStillOverlapsWhatTheLongerOneCovers() {
        // Spans sorted by start: [0, 10 s] then [1 s, 1.1 s]; a flight at 5 s overlaps the first
        // although the last span starting before it ended long before.
        List<LatencyTail.Span> nested =
                List.of(new LatencyTail.Span(0, 10 * SECOND), new LatencyTail.Span(1_000, 1_100));
        LatencyTail.Samples samples = new LatencyTail.Samples();
        samples.add(5 * SECOND, 0.5);
        samples.add(20 * SECOND, 0.5);

        LatencyTail.Result r = LatencyTail.attribute(samples, THRESHOLD, List.of(), nested);

        assertThat(r.slowAcrossGcPause()).isEqualTo(0.5);
    }

    @Test
    void theSecondsOfTheBurstsShowWhatTheMachineDidThenBesideTheWholeRun() {
        // 100 predictions a second for 100 s; the hypervisor took 0.9 of a core in seconds 29-30
        // and 69-70, and the 60 predictions written in second 30 and the 40 in second 70 were
        // slow. A 200 ms collector pause in second 50 slowed nothing.
        LatencyTail.Samples samples = new LatencyTail.Samples();
        for (long t = 0; t < 100 * SECOND; t += 10) {
            long inSecond = t % SECOND;
            boolean slow =
                    (t / SECOND == 30 && inSecond < 600) || (t / SECOND == 70 && inSecond < 400);
            samples.add(t, slow ? 0.400 : 0.020);
        }
        List<LatencyTail.Second> seconds = new ArrayList<>();
        for (long s = 0; s < 100; s++) {
            boolean stolen = s == 29 || s == 30 || s == 69 || s == 70;
            double steal = stolen ? 0.9 : 0.0;
            // Sampled a few ms after each whole second; other processes 0.1 core throughout.
            seconds.add(
                    new LatencyTail.Second(
                            s * SECOND + 3, (s + 1) * SECOND + 3, 1.2, 0.1, 0.3, 1.6, steal, 0.5));
        }
        List<LatencyTail.Span> pauses = List.of(new LatencyTail.Span(50_100, 50_300));

        LatencyTail.Result r =
                LatencyTail.attribute(
                        samples, THRESHOLD, checkpointsEveryTenSeconds(9), pauses, seconds);

        assertThat(r.slow()).isEqualTo(100);
        // Second 30 alone holds 60 of the 100: the burst is it and the second before.
        assertThat(r.bursts().epochSeconds()).containsExactly(30L);
        assertThat(r.bursts().fromEpochSecond()).isZero();
        assertThat(r.bursts().toEpochSecond()).isEqualTo(99);
        LatencyTail.Use burst = r.bursts().burst();
        assertThat(burst.seconds()).isEqualTo(2);
        assertThat(burst.stealCores()).isCloseTo(0.9, within(1e-9));
        assertThat(burst.otherCores()).isCloseTo(0.1, within(1e-9));
        assertThat(burst.jvmCores()).isCloseTo(1.2, within(1e-9));
        assertThat(burst.gcPauseMillisPerSecond()).isZero();
        // The checkpoint triggered at 30 s was in flight in second 30, not in 29.
        assertThat(burst.checkpointShare()).isEqualTo(0.5);
        LatencyTail.Use all = r.bursts().all();
        assertThat(all.seconds()).isEqualTo(100);
        assertThat(all.stealCores()).isCloseTo(4 * 0.9 / 100, within(1e-9));
        assertThat(all.gcPauseMillisPerSecond()).isCloseTo(2.0, within(1e-9));
        assertThat(all.checkpointShare()).isCloseTo(0.09, within(1e-9));
        assertThat(all.runQueueWaitCores()).isCloseTo(0.5, within(1e-9));
    }

    @Test
    void withoutSampledSecondsTheBurstsHaveNoResourceFigures() {
        LatencyTail.Samples samples = new LatencyTail.Samples();
        samples.add(5 * SECOND, 0.5);
        samples.add(6 * SECOND, 0.02);
        LatencyTail.Result r =
                LatencyTail.attribute(
                        samples, THRESHOLD, checkpointsEveryTenSeconds(1), List.of(), List.of());
        assertThat(r.bursts().burst().seconds()).isEqualTo(2);
        assertThat(r.bursts().burst().stealCores()).isNaN();
        assertThat(r.bursts().burst().checkpointShare()).isZero();
        assertThat(r.bursts().all().seconds()).isEqualTo(2);
    }

    @Test
    void nothingWrittenGivesNoFractions() {
        LatencyTail.Result r =
                LatencyTail.attribute(new LatencyTail.Samples(), THRESHOLD, List.of(), List.of());
        assertThat(r.predictions()).isZero();
        assertThat(r.slowAcrossCheckpoint()).isNaN();
        assertThat(r.checkpointMedianSeconds()).isNaN();
        assertThat(r.bursts().burst().seconds()).isZero();
        assertThat(r.bursts().all().jvmCores()).isNaN();
    }
}
