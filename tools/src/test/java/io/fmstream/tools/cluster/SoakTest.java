package io.fmstream.tools.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SoakTest {

    @Test
    void sawTeethAndRestartDipsAreBoundedAndACycleOverCycleClimbIsGrowing() {
        List<Soak.Sample> flat = new ArrayList<>();
        List<Soak.Sample> climbing = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            double minutes = i * 0.25;
            // Heap saw-teeth around 300 MB (garbage collections), a dip after each kill (every
            // 5 min), no trend.
            double sinceKill = minutes % 5;
            double heap = sinceKill < 0.5 ? 50 : 300 + (i % 8) * 10;
            flat.add(new Soak.Sample(minutes, heap, 120, 100, 900, 400, 50, 100, 0, ""));
            // Resident memory climbing 10 MB a minute from 900 MB, whatever the kills do; the
            // heap after GC 0.5 MB a minute, with no figure right after each kill (a restarted
            // TaskManager that has not collected yet).
            double afterGc = sinceKill < 0.3 ? Double.NaN : 120 + 0.5 * minutes;
            climbing.add(
                    new Soak.Sample(
                            minutes, heap, afterGc, 100, 900 + 10 * minutes, 400, 50, 100, 0, ""));
        }
        assertThat(Soak.lastOverFirstCycle(flat, Soak.Sample::heapMb, 5, 1))
                .isCloseTo(1.0, within(0.05));
        // First cycle (1-5 min) mean 930 MB, last (11-15 min) 1,030 MB.
        assertThat(Soak.lastOverFirstCycle(climbing, Soak.Sample::rssMb, 5, 1))
                .isCloseTo(1029.5 / 929.5, within(0.01));
        assertThat(Soak.lastOverFirstCycle(flat.subList(0, 10), Soak.Sample::heapMb, 5, 1)).isNaN();

        // Per minute, by least squares from minute 5 on, without the minute after a kill: the
        // slopes put in, the saw-teeth and restart dips gone.
        List<Soak.Sample> killed = new ArrayList<>();
        for (Soak.Sample s : climbing) {
            boolean kill = s.minutes() % 5 == 0 && s.minutes() > 0;
            // What a restarted TaskManager looks like: resident memory refilled from 300 MB.
            double rss = s.minutes() % 5 < 1 && s.minutes() >= 5 ? 300 : s.rssMb();
            killed.add(
                    new Soak.Sample(
                            s.minutes(),
                            s.heapMb(),
                            s.heapAfterGcMb(),
                            s.liveHeapMb(),
                            rss,
                            400,
                            50,
                            100,
                            0,
                            kill ? "kill -9 taskmanager-1" : ""));
        }
        assertThat(Soak.slopePerMinute(killed, Soak.Sample::rssMb, 5))
                .isCloseTo(10.0, within(1e-9));
        assertThat(Soak.slopePerMinute(climbing, Soak.Sample::heapAfterGcMb, 5))
                .isCloseTo(0.5, within(1e-9));
        assertThat(Soak.slopePerMinute(flat, Soak.Sample::heapAfterGcMb, 0))
                .isCloseTo(0.0, within(1e-9));
        // Heap saw-teeth with the restart dips (left out after each kill): no trend.
        assertThat(Soak.slopePerMinute(killed, Soak.Sample::heapMb, 5)).isCloseTo(0.0, within(1.0));
        assertThat(Soak.slopePerMinute(flat.subList(0, 10), Soak.Sample::rssMb, 5)).isNaN();
    }

    @Test
    void theLiveHeapGrowsByWhatTheForcedFullCollectionsLeftAndAFullCollectionIsNoKill() {
        List<Soak.Sample> samples = new ArrayList<>();
        for (int i = 0; i <= 60; i++) {
            double minutes = i * 0.25;
            // What young collections leave climbs 10 MB a minute (old garbage no marking cycle
            // has collected); what is live grows 0.2 MB a minute: 100 MB at minute 5, 102 at 15.
            String event = i == 20 || i == 60 ? Soak.FULL_GC_EVENT : "";
            double live = event.isEmpty() ? 90 : 100 + 0.2 * (minutes - 5);
            // Resident memory steps up 120 MB at minute 13.75 as G1 commits heap for the old
            // garbage, and is back where it was once the last full collection shrinks the heap.
            double rss = minutes >= 13.75 && event.isEmpty() ? 1020 : 900;
            samples.add(
                    new Soak.Sample(
                            minutes, 300, 120 + 10 * minutes, live, rss, 400, 50, 100, 0, event));
        }
        assertThat(Soak.liveHeapGrowthPerMinute(samples)).isCloseTo(0.2, within(1e-9));
        assertThat(Soak.growthBetweenForcedCollections(samples, Soak.Sample::rssMb))
                .isCloseTo(0.0, within(1e-9));
        assertThat(Soak.slopePerMinute(samples, Soak.Sample::rssMb, 5)).isGreaterThan(5);
        // A full collection is not a kill: the minute after it stays in the slopes.
        assertThat(Soak.slopePerMinute(samples, Soak.Sample::heapAfterGcMb, 5))
                .isCloseTo(10.0, within(1e-9));
        assertThat(samples.stream().noneMatch(Soak::isKill)).isTrue();

        // A kill between the two collections: a restarted TaskManager's refill is not growth.
        List<Soak.Sample> killed = new ArrayList<>(samples);
        killed.set(40, killedAt(killed.get(40)));
        assertThat(Soak.liveHeapGrowthPerMinute(killed)).isNaN();
        // Only one forced collection (a run shorter than --steady-after): no figure.
        assertThat(Soak.liveHeapGrowthPerMinute(samples.subList(0, 40))).isNaN();
    }

    @Test
    void residentGrowthIsSplitIntoTheHeapsRangeAndANativeLeakOutsideIt() {
        List<Soak.Sample> touched = new ArrayList<>();
        List<Soak.Sample> leaking = new ArrayList<>();
        List<Soak.Sample> unknown = new ArrayList<>();
        for (int i = 0; i <= 60; i++) {
            double minutes = i * 0.25;
            String event = i == 20 || i == 60 ? Soak.FULL_GC_EVENT : "";
            // The last forced collection compacts into heap pages never written before: +42 MB
            // resident, all of it inside the heap's range; outside it 450 MB, flat.
            double inHeap = i == 60 ? 442 : 400;
            touched.add(
                    new Soak.Sample(
                            minutes, 300, 120, 100, 450 + inHeap, inHeap, 50, 100, 0, event));
            // A native leak: 3 MB a minute outside the heap, the heap's pages flat.
            double outside = 450 + 3 * minutes;
            leaking.add(
                    new Soak.Sample(minutes, 300, 120, 100, outside + 400, 400, 50, 100, 0, event));
            unknown.add(
                    new Soak.Sample(minutes, 300, 120, 100, 900, Double.NaN, 50, 100, 0, event));
        }
        // Process resident memory reads both as growth (the target's own figure stays as it is).
        assertThat(Soak.growthBetweenForcedCollections(touched, Soak.Sample::rssMb))
                .isCloseTo(4.2, within(1e-9));
        assertThat(Soak.growthBetweenForcedCollections(touched, Soak::outsideHeapMb))
                .isCloseTo(0.0, within(1e-9));
        assertThat(Soak.residentSplit(touched, 1024, 5))
                .contains("between the forced full collections")
                .contains("inside the Java heap's reserved range +4.20 MB per minute")
                .contains("maximum of 1024 MB")
                .contains("outside it +0.00 MB per minute")
                .contains("under 1 MB per minute");
        assertThat(Soak.residentSplit(leaking, 1024, 5))
                .contains("inside the Java heap's reserved range +0.00 MB per minute")
                .contains("outside it +3.00 MB per minute")
                .contains("GROWING");
        assertThat(Soak.residentSplit(unknown, Double.NaN, 5)).isEmpty();
        // A kill between the forced collections: least-squares slopes instead.
        List<Soak.Sample> killed = new ArrayList<>(leaking);
        killed.set(40, killedAt(killed.get(40)));
        assertThat(Soak.residentSplit(killed, 1024, 5))
                .contains("least-squares slopes from minute 5 on")
                .contains("outside it +3.00 MB per minute");
    }

    /** {@code s} as the sample right after TaskManager 1 was killed and started again. */
    private static Soak.Sample killedAt(Soak.Sample s) {
        return new Soak.Sample(
                s.minutes(),
                s.heapMb(),
                s.heapAfterGcMb(),
                s.liveHeapMb(),
                s.rssMb(),
                s.heapResidentMb(),
                s.checkpointKb(),
                s.checkpointMs(),
                s.lag(),
                Soak.KILL_EVENT + "1");
    }
}
