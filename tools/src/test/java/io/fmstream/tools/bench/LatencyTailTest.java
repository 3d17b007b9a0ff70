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
    void nothingWrittenGivesNoFractions() {
        LatencyTail.Result r =
                LatencyTail.attribute(new LatencyTail.Samples(), THRESHOLD, List.of(), List.of());
        assertThat(r.predictions()).isZero();
        assertThat(r.slowAcrossCheckpoint()).isNaN();
        assertThat(r.checkpointMedianSeconds()).isNaN();
    }
}
