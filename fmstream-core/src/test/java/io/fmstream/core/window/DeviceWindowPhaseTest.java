package io.fmstream.core.window;

import static io.fmstream.core.window.AssemblerFixtures.LATENESS;
import static io.fmstream.core.window.AssemblerFixtures.NO_WATERMARK;
import static io.fmstream.core.window.AssemblerFixtures.SECOND;
import static io.fmstream.core.window.AssemblerFixtures.T0;
import static io.fmstream.core.window.AssemblerFixtures.chunk;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fmstream.core.records.ChunkRecord;
import io.fmstream.core.records.WindowRecord;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/** {@link WindowPhase#DEVICE}: each device's windows on its own phase of the epoch grid. */
class DeviceWindowPhaseTest {

    private static final WindowSpec PHASED =
            new WindowSpec(100.0, 10 * SECOND, 5 * SECOND, LATENESS, 0.2f, WindowPhase.DEVICE);

    /** Windows at every model-rate sample: a phased window must be one of them, bit for bit. */
    private static final WindowSpec EVERY_SAMPLE =
            new WindowSpec(100.0, 10 * SECOND, SECOND / 100, LATENESS, 0.2f, WindowPhase.EPOCH);

    @Test
    void aDevicesPhaseIsTheCrc32OfItsIdModuloTheHopInSamplesTheSameOnEveryCall() {
        for (String device : List.of("d1", "ecg-000042", "wearable/ü-7", "")) {
            CRC32 crc = new CRC32();
            crc.update(device.getBytes(StandardCharsets.UTF_8));
            int expected = (int) (crc.getValue() % 500);
            assertThat(PHASED.phaseSamples(device)).as(device).isEqualTo(expected);
            assertThat(PHASED.phaseMicros(device)).isEqualTo(expected * 10_000L);
            assertThat(AssemblerFixtures.defaultSpec().phaseSamples(device)).isZero();
        }
        // Python: zlib.crc32(b"d1") % 500 (a consumer recomputing a device's grid).
        assertThat(PHASED.phaseSamples("d1")).isEqualTo((int) (0x1196bc66L % 500));
    }

    @Test
    void aPhaseIsAWholeNumberOfSamplesAndMicrosecondsAtRatesWithoutWholeMicrosecondSamples() {
        // 300 Hz: one sample is 3333.3 us; three are 10,000 us, so phases step by 3 samples.
        WindowSpec spec =
                new WindowSpec(300.0, 10 * SECOND, 5 * SECOND, LATENESS, 0.2f, WindowPhase.DEVICE);
        for (int d = 0; d < 200; d++) {
            int p = spec.phaseSamples("device-" + d);
            assertThat(p % 3).isZero();
            assertThat(p).isBetween(0, 1499);
            assertThat(spec.phaseMicros(p)).isEqualTo(p / 3 * 10_000L);
        }
        assertThatThrownBy(() -> new WindowSpec(100.0, 10 * SECOND, 5 * SECOND, 0, 0.2f, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("phase");
    }

    @Test
    void aFleetsPhasesSpreadEvenlyOverTheHop() {
        int devices = 5000;
        int[] perSecond = new int[5];
        for (int d = 0; d < devices; d++) {
            perSecond[(int) (PHASED.phaseMicros(String.format("ecg-%06d", d)) / SECOND)]++;
        }
        // 1,000 expected per second of the hop; a binomial's 4 sigma is about 113.
        for (int n : perSecond) {
            assertThat(n).isBetween(880, 1120);
        }
    }

    @Test
    void phasedWindowsAreTheDevicesStreamCutAtItsPhaseBitForBit() {
        String device = "d1";
        int phase = PHASED.phaseSamples(device);
        assertThat(phase).isNotZero();
        AssemblerFixtures.Collected phased = feed(new DeviceWindowAssembler(PHASED), device, 6000);
        AssemblerFixtures.Collected every =
                feed(new DeviceWindowAssembler(EVERY_SAMPLE), device, 6000);
        Map<Long, WindowRecord> byStart = new HashMap<>();
        for (WindowRecord w : every.windows) {
            byStart.put(w.windowStartMicros, w);
        }
        // 60 s of data: windows starting at phase, phase + 5 s, ... that 60 s covers (with the
        // interpolator's look-ahead), and the first, missing the stream's first 0.1 s, too.
        assertThat(phased.windows).hasSizeBetween(9, 11);
        for (int i = 0; i < phased.windows.size(); i++) {
            WindowRecord w = phased.windows.get(i);
            assertThat(w.windowStartMicros).isEqualTo(T0 + i * 5 * SECOND + phase * 10_000L);
            assertThat(w.windowEndMicros - w.windowStartMicros).isEqualTo(10 * SECOND);
            WindowRecord same = byStart.get(w.windowStartMicros);
            assertThat(same).as("window at %d", w.windowStartMicros).isNotNull();
            assertThat(w.samples).containsExactly(same.samples);
            assertThat(w.missingFraction).isEqualTo(same.missingFraction);
        }
    }

    @Test
    void withAGapDeliveredLastThePhasedWindowsAreTheSameAsInOrder() {
        DeviceWindowAssembler assembler = new DeviceWindowAssembler(PHASED);
        String device = "ecg-000042";
        AssemblerFixtures.Collected inOrder = feed(assembler, device, 6000);
        AssemblerFixtures.Collected out = new AssemblerFixtures.Collected();
        DeviceStreamState s = null;
        for (long i = 0; i < 6000; i += 100) {
            if (i == 2000) {
                continue;
            }
            ChunkRecord c = chunk(device, 100, i, 100);
            if (s == null) {
                s = assembler.newState(c);
            }
            assembler.offer(s, c, NO_WATERMARK, out);
        }
        // Windows clear of [20 s, 21 s) went out ahead of it; the rest wait for it.
        assertThat(out.windows.size()).isLessThan(inOrder.windows.size());
        assembler.offer(s, chunk(device, 100, 2000, 100), NO_WATERMARK, out);
        assertThat(out.windows).hasSameSizeAs(inOrder.windows);
        for (WindowRecord w : inOrder.windows) {
            List<WindowRecord> same =
                    out.windows.stream()
                            .filter(x -> x.windowStartMicros == w.windowStartMicros)
                            .toList();
            assertThat(same).as("window at %d", w.windowStartMicros).hasSize(1);
            assertThat(same.get(0).samples).containsExactly(w.samples);
        }
    }

    @Test
    void twoDevicesInOneAssemblerEachKeepTheirOwnPhase() {
        DeviceWindowAssembler assembler = new DeviceWindowAssembler(PHASED);
        AssemblerFixtures.Collected out = new AssemblerFixtures.Collected();
        DeviceStreamState a = null;
        DeviceStreamState b = null;
        // Interleaved, as one keyed operator sees them.
        for (long i = 0; i < 3000; i += 100) {
            ChunkRecord ca = chunk("a", 100, i, 100);
            ChunkRecord cb = chunk("b", 100, i, 100);
            if (a == null) {
                a = assembler.newState(ca);
                b = assembler.newState(cb);
            }
            assembler.offer(a, ca, NO_WATERMARK, out);
            assembler.offer(b, cb, NO_WATERMARK, out);
        }
        assertThat(PHASED.phaseMicros("a")).isNotEqualTo(PHASED.phaseMicros("b"));
        assertThat(out.windows).isNotEmpty();
        for (WindowRecord w : out.windows) {
            assertThat(Math.floorMod(w.windowStartMicros - T0, 5 * SECOND))
                    .as("%s at %d", w.deviceId, w.windowStartMicros)
                    .isEqualTo(PHASED.phaseMicros(w.deviceId));
        }
        // a (phase 4.07 s) also has the window starting 0.93 s before its data (9.3 % missing);
        // b's (1.81 s) one before it would miss 31.9 %.
        assertThat(out.windows.stream().filter(w -> w.deviceId.equals("a")).count()).isEqualTo(5);
        assertThat(out.windows.stream().filter(w -> w.deviceId.equals("b")).count()).isEqualTo(4);
    }

    @Test
    void aStateFromBeforeGridsWereRecordedCompletesItsWindowsOnItsJobsGridThenMovesOn() {
        String device = "d1";
        long phaseMicros = PHASED.phaseMicros(device);
        assertThat(phaseMicros).isNotZero();
        // The old job (epoch grid) consumed 23 s: the windows from 15 s on are open.
        DeviceWindowAssembler old = new DeviceWindowAssembler(AssemblerFixtures.defaultSpec());
        AssemblerFixtures.Collected before = new AssemblerFixtures.Collected();
        DeviceStreamState s = AssemblerFixtures.offerAll(old, null, device, 0, 2300, before);
        s.gridPhase = null; // as a savepoint written before the field existed restores it
        // The same stream through the old job alone: what the restored windows must be.
        AssemblerFixtures.Collected reference = new AssemblerFixtures.Collected();
        AssemblerFixtures.offerAll(old, null, device, 0, 4200, reference);

        // Restored into a job configured with the per-device phase, which does not set the
        // option (so the grid of unrecorded states is the epoch grid, as JobSettings decides).
        DeviceWindowAssembler restored = restoredInto(PHASED, WindowPhase.EPOCH);
        AssemblerFixtures.Collected after = new AssemblerFixtures.Collected();
        AssemblerFixtures.offerAll(restored, s, device, 2300, 4200, after);
        assertThat(s.gridPhase).as("recorded once resolved").isZero();
        List<WindowRecord> all = new java.util.ArrayList<>(before.windows);
        all.addAll(after.windows);
        assertThat(all).hasSameSizeAs(reference.windows);
        for (int i = 0; i < all.size(); i++) {
            assertThat(all.get(i).windowStartMicros)
                    .isEqualTo(reference.windows.get(i).windowStartMicros);
            assertThat(all.get(i).samples).containsExactly(reference.windows.get(i).samples);
        }
        assertThat(after.windows).isNotEmpty();

        // Its next segment (after a silence longer than the maximum gap) takes the device's phase.
        long later = 4200 + 11 * 60 * 100;
        AssemblerFixtures.offerAll(restored, s, device, later, later + 3000, after);
        assertThat(after.segments).containsExactly(SegmentCause.LONG_GAP);
        assertThat(s.gridPhase).isEqualTo(PHASED.phaseSamples(device));
        List<WindowRecord> moved =
                after.windows.stream()
                        .filter(w -> w.windowStartMicros >= T0 + later * 10_000L - 5 * SECOND)
                        .toList();
        assertThat(moved).hasSizeGreaterThanOrEqualTo(4);
        assertOnGrid(moved, phaseMicros);
        all.addAll(moved);
        assertThat(all.stream().map(w -> w.windowStartMicros).toList())
                .as("a window's key (device, start) is never reused")
                .isSorted()
                .doesNotHaveDuplicates();
    }

    @Test
    void aRecordedGridOutlivesAChangeOfTheConfiguredPhaseUntilTheDevicesNextSegment() {
        String device = "d1";
        long phaseMicros = PHASED.phaseMicros(device);
        AssemblerFixtures.Collected out = new AssemblerFixtures.Collected();
        DeviceStreamState s =
                AssemblerFixtures.offerAll(
                        new DeviceWindowAssembler(PHASED), null, device, 0, 2300, out);
        // Restored into a job on the epoch grid: whatever it would assume for an unrecorded state,
        // the state says where its windows are.
        DeviceWindowAssembler epoch =
                restoredInto(AssemblerFixtures.defaultSpec(), WindowPhase.EPOCH);
        AssemblerFixtures.offerAll(epoch, s, device, 2300, 4200, out);
        assertThat(out.windows).hasSizeGreaterThanOrEqualTo(6);
        assertOnGrid(out.windows, phaseMicros);
        int kept = out.windows.size();
        // A reboot (the index starts again, with a timestamp 70 s on) starts the epoch grid.
        ChunkRecord reboot = chunk(device, 100, 0, 100);
        reboot.firstSampleTimeMicros = T0 + 70 * SECOND;
        epoch.offer(s, reboot, NO_WATERMARK, out);
        for (long i = 100; i < 3000; i += 100) {
            ChunkRecord c = chunk(device, 100, i, 100);
            c.firstSampleTimeMicros = T0 + 70 * SECOND + i * 10_000L;
            epoch.offer(s, c, NO_WATERMARK, out);
        }
        assertThat(out.segments).containsExactly(SegmentCause.REBOOT);
        assertThat(s.gridPhase).isZero();
        // The old segment's open windows close on its grid first (as a flush would).
        List<WindowRecord> moved =
                out.windows.stream().filter(w -> w.windowStartMicros >= T0 + 60 * SECOND).toList();
        assertOnGrid(out.windows.subList(kept, out.windows.size() - moved.size()), phaseMicros);
        assertThat(moved).hasSizeGreaterThanOrEqualTo(4);
        assertOnGrid(moved, 0);
        assertThat(out.windows.stream().map(w -> w.windowStartMicros).toList())
                .isSorted()
                .doesNotHaveDuplicates();
    }

    @Test
    void anUnrecordedStateOfAJobThatSetTheDevicePhaseKeepsItsPhase() {
        String device = "ecg-000042";
        AssemblerFixtures.Collected out = new AssemblerFixtures.Collected();
        DeviceStreamState s =
                AssemblerFixtures.offerAll(
                        new DeviceWindowAssembler(PHASED), null, device, 0, 2300, out);
        s.gridPhase = null;
        DeviceWindowAssembler restored =
                restoredInto(AssemblerFixtures.defaultSpec(), WindowPhase.DEVICE);
        AssemblerFixtures.offerAll(restored, s, device, 2300, 4200, out);
        assertThat(out.windows).hasSizeGreaterThanOrEqualTo(6);
        assertOnGrid(out.windows, PHASED.phaseMicros(device));
        assertThatThrownBy(
                        () -> new DeviceWindowAssembler(PHASED, StreamLimits.DEFAULTS, true, null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static AssemblerFixtures.Collected feed(
            DeviceWindowAssembler assembler, String device, long samples) {
        AssemblerFixtures.Collected c = new AssemblerFixtures.Collected();
        AssemblerFixtures.offerAll(assembler, null, device, 0, samples, c);
        return c;
    }

    /** The job's assembler for {@code spec}, with the grid of states that recorded none. */
    private static DeviceWindowAssembler restoredInto(WindowSpec spec, WindowPhase unrecorded) {
        return new DeviceWindowAssembler(spec, StreamLimits.DEFAULTS, true, unrecorded);
    }

    /** Every one of {@code windows} starts at {@code phaseMicros} into a 5-s hop. */
    private static void assertOnGrid(List<WindowRecord> windows, long phaseMicros) {
        for (WindowRecord w : windows) {
            assertThat(Math.floorMod(w.windowStartMicros - T0, 5 * SECOND))
                    .as("%s at %d", w.deviceId, w.windowStartMicros)
                    .isEqualTo(phaseMicros);
        }
    }
}
