package io.fmstream.core.window;

import static io.fmstream.core.window.AssemblerFixtures.LATENESS;
import static io.fmstream.core.window.AssemblerFixtures.NO_WATERMARK;
import static io.fmstream.core.window.AssemblerFixtures.SECOND;
import static io.fmstream.core.window.AssemblerFixtures.T0;
import static io.fmstream.core.window.AssemblerFixtures.chunk;
import static io.fmstream.core.window.AssemblerFixtures.defaultSpec;
import static io.fmstream.core.window.AssemblerFixtures.shiftedClock;
import static io.fmstream.core.window.AssemblerFixtures.withSample;
import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.core.records.ChunkRecord;
import io.fmstream.core.records.WindowRecord;
import io.fmstream.core.signal.StreamingResampler;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class DeviceWindowAssemblerTest {

    private final DeviceWindowAssembler assembler = new DeviceWindowAssembler(defaultSpec());
    private final AssemblerFixtures.Collected out = new AssemblerFixtures.Collected();

    @Test
    void emitsOneWindowPerHopOnTheEpochGridOnceTheDevicesDataCoversIt() {
        DeviceStreamState s = feed("d1", 360, 0, 360 * 31, 360);
        // 31 s of data from T0: windows [0,10) .. [20,30) are covered; [25,35) is not yet.
        assertThat(out.startsInSeconds()).containsExactly(0L, 5L, 10L, 15L, 20L);
        for (WindowRecord w : out.windows) {
            assertThat(w.samples).hasSize(1000);
            assertThat(w.windowEndMicros - w.windowStartMicros).isEqualTo(10 * SECOND);
            assertThat(w.deviceId).isEqualTo("d1");
        }
        // The stream's first 0.1 s cannot be interpolated (no samples before it): 1 % missing.
        assertThat(out.windows.get(0).missingFraction).isBetween(0.005f, 0.02f);
        assertThat(out.windows.get(1).missingFraction).isZero();
        assertThat(s.pendingCount()).isZero();
    }

    @Test
    void readsSamplesInPlaceFromThePayloadAsFromTheirOwnArray() {
        // The job reads a chunk's samples in place from its Kafka payload. In order they are
        // consumed straight from there; behind a gap they wait as a copy. Both must give the
        // windows that chunks with their own sample arrays give, append times included.
        List<ChunkRecord> own = new java.util.ArrayList<>();
        List<ChunkRecord> inPlace = new java.util.ArrayList<>();
        for (int k = 0; k < 40; k++) {
            ChunkRecord c = chunk("d", 250, 250L * k, 250);
            c.source = new io.fmstream.core.records.SourceRef();
            c.source.appendTimeMillis = 1_000L * k;
            own.add(c);
            ChunkRecord p = chunk("d", 250, 250L * k, 250);
            byte[] payload = new byte[7 + c.samples.length + 5];
            java.util.Arrays.fill(payload, (byte) 0x5a); // not samples: must never be read
            System.arraycopy(c.samples, 0, payload, 7, c.samples.length);
            p.source = new io.fmstream.core.records.SourceRef();
            p.source.appendTimeMillis = 1_000L * k;
            p.source.payload = payload;
            p.samples = null;
            p.samplesOffset = 7;
            p.samplesLength = c.samples.length;
            inPlace.add(p);
        }
        // Chunks 20 and 21 swapped: 21 waits behind a gap, then 20 fills it.
        java.util.Collections.swap(own, 20, 21);
        java.util.Collections.swap(inPlace, 20, 21);
        AssemblerFixtures.Collected a = new AssemblerFixtures.Collected();
        AssemblerFixtures.Collected b = new AssemblerFixtures.Collected();
        DeviceStreamState sa = assembler.newState(own.get(0));
        DeviceStreamState sb = assembler.newState(inPlace.get(0));
        for (int k = 0; k < own.size(); k++) {
            assertThat(assembler.offer(sa, own.get(k), NO_WATERMARK, a).outcome())
                    .isEqualTo(assembler.offer(sb, inPlace.get(k), NO_WATERMARK, b).outcome());
        }
        assertThat(a.windows).hasSize(6);
        assertThat(b.windows).hasSameSizeAs(a.windows);
        for (int w = 0; w < a.windows.size(); w++) {
            assertThat(b.windows.get(w).windowStartMicros)
                    .isEqualTo(a.windows.get(w).windowStartMicros);
            assertThat(b.windows.get(w).samples).containsExactly(a.windows.get(w).samples);
            assertThat(b.windows.get(w).newestAppendTimeMillis)
                    .isEqualTo(a.windows.get(w).newestAppendTimeMillis)
                    .isPositive();
        }
        // A resend of an in-place chunk consumed in order is still recognised.
        assertThat(assembler.offer(sb, inPlace.get(30), NO_WATERMARK, b).outcome())
                .isEqualTo(ChunkOutcome.DUPLICATE);
        assertThat(sb.pendingCount()).isZero();
    }

    @Test
    void givesIdenticalWindowsWhateverTheChunkSize() {
        List<WindowRecord> reference = null;
        for (int chunkSize : new int[] {1, 37, 1000}) {
            AssemblerFixtures.Collected c = new AssemblerFixtures.Collected();
            DeviceStreamState s = null;
            for (long i = 0; i < 250 * 40; i += chunkSize) {
                ChunkRecord ch = chunk("d", 250, i, (int) Math.min(chunkSize, 250 * 40 - i));
                if (s == null) {
                    s = assembler.newState(ch);
                }
                assembler.offer(s, ch, NO_WATERMARK, c).outcome();
            }
            if (reference == null) {
                reference = c.windows;
                // 40 s of data: [30,40) still needs the interpolator's look-ahead.
                assertThat(reference).hasSize(6);
            } else {
                assertThat(c.windows).hasSameSizeAs(reference);
                for (int w = 0; w < reference.size(); w++) {
                    assertThat(c.windows.get(w).samples).containsExactly(reference.get(w).samples);
                    assertThat(c.windows.get(w).windowStartMicros)
                            .isEqualTo(reference.get(w).windowStartMicros);
                }
            }
        }
    }

    @Test
    void aDeviceUploadingItsBacklogLateLosesNothing() {
        // The watermark (from other devices) is 10 minutes ahead of this device's data.
        long watermark = T0 + 600 * SECOND;
        DeviceStreamState s = null;
        for (long i = 0; i < 128 * 60; i += 128) {
            ChunkRecord c = chunk("late", 128, i, 128);
            if (s == null) {
                s = assembler.newState(c);
            }
            assertThat(assembler.offer(s, c, watermark, out).outcome())
                    .isEqualTo(ChunkOutcome.ACCEPTED);
        }
        assertThat(out.startsInSeconds())
                .containsExactly(0L, 5L, 10L, 15L, 20L, 25L, 30L, 35L, 40L, 45L);
        assertThat(out.dropped).isEmpty();
    }

    @Test
    void waitsForAGapToFillWithinTheLatenessThenAcceptsTheMissingChunk() {
        DeviceStreamState s = feed("d", 100, 0, 100 * 10, 100);
        int before = out.windows.size();
        ChunkRecord afterGap = chunk("d", 100, 1100, 900);
        assertThat(assembler.offer(s, afterGap, T0 + 20 * SECOND, out).outcome())
                .isEqualTo(ChunkOutcome.PENDING);
        assertThat(out.windows).hasSize(before);
        assertThat(assembler.gapExpiryMicros(s)).isEqualTo(T0 + 11 * SECOND + LATENESS);

        assertThat(assembler.offer(s, chunk("d", 100, 1000, 100), T0 + 20 * SECOND, out).outcome())
                .isEqualTo(ChunkOutcome.ACCEPTED);
        assertThat(s.pendingCount()).isZero();
        // Data now covers 0-20 s without a hole: [10,20) waits for the interpolator's look-ahead.
        assertThat(out.startsInSeconds()).containsExactly(0L, 5L);
        assertThat(out.windows.get(1).missingFraction).isZero();
    }

    @Test
    void closesAGapWhenTheWatermarkPassesItsEndPlusLatenessAndMarksTheMissingFraction() {
        DeviceStreamState s = feed("d", 100, 0, 100 * 10, 100);
        // 1 s drop-out from 10 s to 11 s, then data up to 30 s.
        for (long i = 1100; i < 3000; i += 100) {
            assembler.offer(s, chunk("d", 100, i, 100), T0 + 15 * SECOND, out).outcome();
        }
        // [0,10) needs 0.09 s of look-ahead past the gap's start, so it waits; [15,25) does not
        // touch the gap and is out at once.
        assertThat(out.startsInSeconds()).containsExactly(15L);
        assembler.resolveGaps(s, T0 + 11 * SECOND + LATENESS - 1, out);
        assertThat(out.startsInSeconds()).containsExactly(15L);
        assembler.resolveGaps(s, T0 + 11 * SECOND + LATENESS, out);
        assertThat(out.startsInSeconds()).containsExactly(15L, 0L, 5L, 10L);
        // [5,15) and [10,20) each lose 1 s plus the interpolator's edges.
        assertThat(out.windows.get(2).missingFraction).isBetween(0.10f, 0.12f);
        assertThat(out.windows.get(3).missingFraction).isBetween(0.10f, 0.12f);
        assertThat(out.windows.get(0).missingFraction).isZero();
        assertThat(s.pendingCount()).isZero();

        // Data for the closed gap now arrives: it is late.
        assertThat(assembler.offer(s, chunk("d", 100, 1000, 100), T0 + 80 * SECOND, out).outcome())
                .isEqualTo(ChunkOutcome.LATE);
    }

    @Test
    void aBacklogGetsTheSameLatenessAsALiveDeviceBecauseTheWatermarkIsComparedWithAppendTimes() {
        // A phone uploads 30 s of data 10 minutes after recording it; the watermark (append time)
        // is 10 minutes ahead of the device's clock. Its chunk [10 s, 11 s) is overtaken by
        // the ones after it (another partition) and arrives 20 s later.
        long uploadDelayMillis = 600_000;
        DeviceStreamState s = null;
        for (long i = 0; i < 3000; i += 100) {
            if (i == 1000) {
                continue;
            }
            ChunkRecord c = chunk("d", 100, i, 100);
            c.source.appendTimeMillis += uploadDelayMillis;
            if (s == null) {
                s = assembler.newState(c);
            }
            long watermark = c.source.appendTimeMillis * 1000;
            assertThat(assembler.offer(s, c, watermark, out).taken()).isTrue();
        }
        ChunkRecord overtaken = chunk("d", 100, 1000, 100);
        overtaken.source.appendTimeMillis += uploadDelayMillis + 20_000;
        long watermark = overtaken.source.appendTimeMillis * 1000;
        // Not closed at once by a watermark minutes past the gap's device time: still accepted.
        assertThat(assembler.offer(s, overtaken, watermark, out).outcome())
                .isEqualTo(ChunkOutcome.ACCEPTED);
        // No window gap-filled (that would miss 10 %; [0, 10) lacks only the look-back at the
        // start).
        assertThat(out.windows).allMatch(w -> w.missingFraction < 0.02f);
        assertThat(out.startsInSeconds()).containsExactlyInAnyOrder(0L, 5L, 10L, 15L);
        // The gap's deadline is the lateness after the append time of the chunk that showed it.
        DeviceStreamState g = feed("g", 100, 0, 1000, 100);
        ChunkRecord after = chunk("g", 100, 1100, 100);
        after.source.appendTimeMillis += uploadDelayMillis;
        assembler.offer(g, after, after.source.appendTimeMillis * 1000, out);
        assertThat(assembler.gapExpiryMicros(g))
                .isEqualTo(after.source.appendTimeMillis * 1000 + LATENESS);
    }

    @Test
    void aBacklogLongerThanTheLatenessStillGivesAnOvertakenChunkTheLateness() {
        // 120 s uploaded within about a second, 10 minutes late, the watermark held back (another
        // partition); [10 s, 11 s) overtaken, arriving 2 s after the rest. The device's own
        // clock runs 60 s past the gap within the upload: that alone gave the gap up at once.
        long uploadMillis = T0 / 1000 + 600_000;
        DeviceStreamState s = null;
        for (long i = 0; i < 12_000; i += 100) {
            if (i == 1000) {
                continue;
            }
            ChunkRecord c = chunk("d", 100, i, 100);
            c.source.appendTimeMillis = uploadMillis + i / 100 * 8; // 8 ms apart
            if (s == null) {
                s = assembler.newState(c);
            }
            assertThat(assembler.offer(s, c, NO_WATERMARK, out).taken()).isTrue();
        }
        ChunkRecord overtaken = chunk("d", 100, 1000, 100);
        overtaken.source.appendTimeMillis = uploadMillis + 2_000;
        assertThat(assembler.offer(s, overtaken, NO_WATERMARK, out).outcome())
                .isEqualTo(ChunkOutcome.ACCEPTED);
        assertThat(out.windows).allMatch(w -> w.missingFraction < 0.02f);
        assertThat(out.startsInSeconds()).contains(0L, 5L, 10L);
        // and without the chunk, the gap goes once the device's newer data is the lateness
        // newer at the broker too
        DeviceStreamState g = null;
        AssemblerFixtures.Collected gOut = new AssemblerFixtures.Collected();
        for (long i = 0; i < 12_000; i += 100) {
            if (i == 1000) {
                continue;
            }
            ChunkRecord c = chunk("g", 100, i, 100);
            c.source.appendTimeMillis = uploadMillis + i / 100 * 8;
            if (g == null) {
                g = assembler.newState(c);
            }
            assembler.offer(g, c, NO_WATERMARK, gOut);
        }
        assertThat(gOut.startsInSeconds()).doesNotContain(0L, 5L, 10L);
        ChunkRecord minuteLater = chunk("g", 100, 12_000, 100);
        minuteLater.source.appendTimeMillis = uploadMillis + 62_000;
        assembler.offer(g, minuteLater, NO_WATERMARK, gOut);
        assertThat(gOut.startsInSeconds()).contains(0L, 5L, 10L);
    }

    @Test
    void dropsAWindowMissingMoreThanTheThresholdAsIncomplete() {
        DeviceStreamState s = feed("d", 100, 0, 100 * 10, 100);
        // 3 s drop-out from 10 s to 13 s.
        assembler.offer(s, chunk("d", 100, 1300, 1700), NO_WATERMARK, out).outcome();
        assembler.resolveGaps(s, T0 + 13 * SECOND + LATENESS, out);
        // [15,25) does not touch the gap: emitted as soon as its data is there.
        assertThat(out.startsInSeconds()).containsExactly(15L, 0L);
        assertThat(out.dropped).containsExactly(T0 + 5 * SECOND, T0 + 10 * SECOND);
    }

    @Test
    void dropsAnExactResendAsDuplicateAndRejectsADifferingOverlap() {
        DeviceStreamState s = feed("d", 360, 0, 3600, 360);
        ChunkRecord resend = chunk("d", 360, 720, 360);
        assertThat(assembler.offer(s, resend, NO_WATERMARK, out).outcome())
                .isEqualTo(ChunkOutcome.DUPLICATE);
        ChunkRecord changed = withSample(resend, 5, (short) 999);
        assertThat(assembler.offer(s, changed, NO_WATERMARK, out).outcome())
                .isEqualTo(ChunkOutcome.OVERLAP);
        ChunkRecord shifted = chunk("d", 360, 700, 360);
        assertThat(assembler.offer(s, shifted, NO_WATERMARK, out).outcome())
                .isEqualTo(ChunkOutcome.OVERLAP);
        assertThat(assembler.offer(s, shifted, NO_WATERMARK, out).detail()).contains("overlap");
    }

    @Test
    void aStateFromAnOlderReleaseKeepsItsHashesUntilItsNextSegmentAndStillSpotsResends() {
        // As an earlier release left it: the recent-chunk ring and a pending chunk hashed with
        // FNV-1a, and no hash version (0).
        DeviceStreamState s = feed("d", 100, 0, 1000, 100);
        s.hashVersion = 0;
        for (int i = 0; i < s.recentIndex.length; i++) {
            if (s.recentIndex[i] >= 0) {
                ChunkRecord c = chunk("d", 100, s.recentIndex[i], s.recentLength[i]);
                s.recentHash[i] = ContentHash.of(ContentHash.FNV1A, c.samples, c.gain, c.baseline);
            }
        }
        assertThat(assembler.offer(s, chunk("d", 100, 1200, 100), NO_WATERMARK, out).outcome())
                .isEqualTo(ChunkOutcome.PENDING);
        assertThat(s.pending[0].hash)
                .isEqualTo(
                        ContentHash.of(
                                ContentHash.FNV1A, chunk("d", 100, 1200, 100).samples, 200, 0));

        assertThat(assembler.offer(s, chunk("d", 100, 700, 100), NO_WATERMARK, out).outcome())
                .isEqualTo(ChunkOutcome.DUPLICATE);
        assertThat(assembler.offer(s, chunk("d", 100, 1200, 100), NO_WATERMARK, out).outcome())
                .isEqualTo(ChunkOutcome.DUPLICATE);
        assertThat(
                        assembler
                                .offer(
                                        s,
                                        withSample(chunk("d", 100, 700, 100), 5, (short) 999),
                                        NO_WATERMARK,
                                        out)
                                .outcome())
                .isEqualTo(ChunkOutcome.OVERLAP);

        // A reboot closes the segment (its hashes with it): the new one uses the current hash.
        ChunkRecord rebooted = shiftedClock(chunk("d", 100, 0, 100), 100 * SECOND);
        assertThat(assembler.offer(s, rebooted, NO_WATERMARK, out).outcome())
                .isEqualTo(ChunkOutcome.ACCEPTED);
        assertThat(out.segments).containsExactly(SegmentCause.REBOOT);
        assertThat(s.hashVersion).isEqualTo(ContentHash.XXH64);
        assertThat(
                        assembler
                                .offer(
                                        s,
                                        shiftedClock(chunk("d", 100, 0, 100), 100 * SECOND),
                                        NO_WATERMARK,
                                        out)
                                .outcome())
                .isEqualTo(ChunkOutcome.DUPLICATE);
    }

    @Test
    void detectsResendsAndOverlapsOfPendingChunksToo() {
        DeviceStreamState s = feed("d", 100, 0, 1000, 100);
        ChunkRecord ahead = chunk("d", 100, 1200, 100);
        assertThat(assembler.offer(s, ahead, NO_WATERMARK, out).outcome())
                .isEqualTo(ChunkOutcome.PENDING);
        assertThat(assembler.offer(s, chunk("d", 100, 1200, 100), NO_WATERMARK, out).outcome())
                .isEqualTo(ChunkOutcome.DUPLICATE);
        assertThat(assembler.offer(s, chunk("d", 100, 1250, 100), NO_WATERMARK, out).outcome())
                .isEqualTo(ChunkOutcome.OVERLAP);
    }

    @Test
    void aRebootStartsANewSegmentThatIsWindowedAfreshAndTheOldOneIsClosed() {
        // 60 s of data, then the device restarts 100 s later at index 0.
        DeviceStreamState s = feed("d", 100, 0, 6000, 100);
        assertThat(out.startsInSeconds())
                .containsExactly(0L, 5L, 10L, 15L, 20L, 25L, 30L, 35L, 40L, 45L);
        for (long i = 0; i < 3000; i += 100) {
            ChunkRecord c = shiftedClock(chunk("d", 100, i, 100), 160 * SECOND);
            assertThat(assembler.offer(s, c, NO_WATERMARK, out).outcome())
                    .isEqualTo(ChunkOutcome.ACCEPTED);
        }
        assertThat(out.segments).containsExactly(SegmentCause.REBOOT);
        assertThat(out.skippedWindows).isZero();
        // The old segment's trailing partial window [50,60) is closed (flushed); the new segment
        // starts at 160 s and covers [160,190).
        assertThat(out.startsInSeconds())
                .contains(45L, 160L, 165L, 170L, 175L)
                .doesNotHaveDuplicates()
                .isSorted();
        // A chunk sent before the reboot and delivered after it belongs to the closed segment.
        Offer late = assembler.offer(s, chunk("d", 100, 6000, 100), NO_WATERMARK, out);
        assertThat(late.outcome()).isEqualTo(ChunkOutcome.LATE);
        assertThat(late.detail()).contains("previous segment");
        assertThat(out.segments).hasSize(1);
    }

    @Test
    void aSecondLongSilenceOfADeviceWhoseIndexRunsOnStartsASegmentAgainAndIsNotRefusedAsLate() {
        // 60 s, 11 minutes of silence (lost, the index runs on), 60 s, the same again, 60 s.
        DeviceStreamState s = feed("d", 100, 0, 6000, 100);
        for (long from : new long[] {72_000, 144_000}) {
            for (long i = from; i < from + 6000; i += 100) {
                assertThat(assembler.offer(s, chunk("d", 100, i, 100), NO_WATERMARK, out).outcome())
                        .as("chunk at %d", i)
                        .isEqualTo(ChunkOutcome.ACCEPTED);
            }
        }
        assertThat(out.segments).containsExactly(SegmentCause.LONG_GAP, SegmentCause.LONG_GAP);
        // Windows in all three minutes: the third's [1440,1450) .. [1485,1495).
        assertThat(out.startsInSeconds()).contains(0L, 720L, 1440L, 1485L).doesNotHaveDuplicates();
        // A chunk of the first minute delivered now is still late.
        assertThat(assembler.offer(s, chunk("d", 100, 6000, 100), NO_WATERMARK, out).outcome())
                .isEqualTo(ChunkOutcome.LATE);
    }

    @Test
    void aClockJumpThatIsCorrectedBackStartsASegmentOnTheOldClockAndTheJumpsStragglersAreLate() {
        DeviceStreamState s = feed("d", 100, 0, 2900, 100);
        // [2900,3000) is held up on its way; the device's clock jumps 3 s ahead at 3000.
        ChunkRecord straggler = chunk("d", 100, 2900, 100);
        for (long i = 3000; i < 6000; i += 100) {
            ChunkRecord c = shiftedClock(chunk("d", 100, i, 100), 3 * SECOND);
            assertThat(assembler.offer(s, c, NO_WATERMARK, out).outcome())
                    .isEqualTo(ChunkOutcome.ACCEPTED);
        }
        // Sent on the old clock before the jump: late.
        Offer late = assembler.offer(s, straggler, NO_WATERMARK, out);
        assertThat(late.outcome()).isEqualTo(ChunkOutcome.LATE);
        assertThat(late.detail()).contains("previous segment");
        // The clock is corrected back at 6000: the old clock's line, but new samples.
        for (long i = 6000; i < 9000; i += 100) {
            assertThat(assembler.offer(s, chunk("d", 100, i, 100), NO_WATERMARK, out).outcome())
                    .as("chunk at %d", i)
                    .isEqualTo(ChunkOutcome.ACCEPTED);
        }
        assertThat(out.segments).containsExactly(SegmentCause.CLOCK_JUMP, SegmentCause.CLOCK_JUMP);
        // Windows on the jumped clock up to [50,60), then on the corrected one from [65,75)
        // ([60,70) held the jumped clock's last 3 s and was closed with it: its key is not reused).
        assertThat(out.startsInSeconds())
                .contains(50L, 65L, 75L)
                .doesNotContain(60L)
                .doesNotHaveDuplicates()
                .isSorted();
    }

    @Test
    void aRateChangeAndAForwardClockJumpEachStartASegmentAndLoseNoLaterChunk() {
        DeviceStreamState s = feed("d", 100, 0, 3000, 100);
        // The device switches to 250 Hz: its new index 0 at 40 s.
        for (long i = 0; i < 250 * 20; i += 250) {
            ChunkRecord c = shiftedClock(chunk("d", 250, i, 250), 40 * SECOND);
            assertThat(assembler.offer(s, c, NO_WATERMARK, out).taken()).isTrue();
        }
        // Then corrects its clock by +3 s while its index runs on.
        for (long i = 250 * 20; i < 250 * 40; i += 250) {
            ChunkRecord c = shiftedClock(chunk("d", 250, i, 250), 43 * SECOND);
            assertThat(assembler.offer(s, c, NO_WATERMARK, out).taken()).isTrue();
        }
        assertThat(out.segments).containsExactly(SegmentCause.RATE_CHANGE, SegmentCause.CLOCK_JUMP);
        assertThat(out.startsInSeconds()).doesNotHaveDuplicates().isSorted();
        assertThat(out.startsInSeconds()).contains(40L, 45L, 65L, 70L);
    }

    @Test
    void aSampleClockDriftingAgainstItsTimestampsIsFollowedWithoutASegmentOrALostWindow() {
        // A device stamps its chunks from a synchronised clock while its samples come from a
        // crystal off by +-100 ppm: 12 hours of 1-s chunks at 250 Hz. Each such device started a
        // CLOCK_JUMP segment every 2.8 hours, dropping the windows it left open.
        for (double ppm : new double[] {100, -100}) {
            AssemblerFixtures.Collected drifting = new AssemblerFixtures.Collected();
            DeviceStreamState s = drift(ppm, 12 * 3600, drifting);
            ChunkRecord last = drifted(ppm, 12 * 3600 - 1);
            assertThat(drifting.segments).as("segments at %s ppm", ppm).isEmpty();
            assertThat(drifting.dropped).isEmpty();
            assertThat(drifting.skippedWindows).isZero();
            // Consecutive windows, none missing, each after the first complete.
            List<Long> starts = drifting.startsInSeconds();
            for (int i = 1; i < starts.size(); i++) {
                assertThat(starts.get(i)).isEqualTo(starts.get(i - 1) + 5);
                assertThat(drifting.windows.get(i).missingFraction).isZero();
            }
            // The windows cover the device's 12 hours by its timestamps, not by its sample count
            // (4.3 s apart after 12 h at 100 ppm): the last window ends within a hop of the data.
            long dataEnd = last.firstSampleTimeMicros + SECOND;
            long lastEnd = drifting.windows.get(starts.size() - 1).windowEndMicros;
            assertThat(dataEnd - lastEnd).isBetween(0L, 5 * SECOND);
            // The stream's clock stays within the slip threshold (plus smoothing) of the device's.
            long implied = s.anchorMicros + Math.round(last.firstSampleIndex * 1e6 / 250);
            assertThat(Math.abs(last.firstSampleTimeMicros - implied))
                    .as("clock disagreement after 12 h at %s ppm, us", ppm)
                    .isLessThan(DeviceWindowAssembler.CLOCK_SLIP_MICROS + 10_000);
            // 4.32 s of drift in slips of one 4-ms sample; a fast sample clock (its samples
            // stamped earlier than their count implies) moves the anchor back.
            assertThat(Math.abs(drifting.slippedMicros)).isBetween(4_300_000L, 4_340_000L);
            assertThat(Long.signum(drifting.slippedMicros)).isEqualTo(-(int) Math.signum(ppm));
        }
    }

    @Test
    void aSampleClockOnePercentOffIsFollowedToo() {
        // An RC oscillator rather than a crystal: 2.5 samples a second at 250 Hz, more than one
        // slip per 1-s chunk.
        for (double ppm : new double[] {10_000, -10_000}) {
            AssemblerFixtures.Collected drifting = new AssemblerFixtures.Collected();
            DeviceStreamState s = drift(ppm, 3600, drifting);
            assertThat(drifting.segments).as("segments at %s ppm", ppm).isEmpty();
            assertThat(drifting.dropped).isEmpty();
            List<Long> starts = drifting.startsInSeconds();
            for (int i = 1; i < starts.size(); i++) {
                assertThat(starts.get(i)).isEqualTo(starts.get(i - 1) + 5);
            }
            ChunkRecord last = drifted(ppm, 3599);
            long implied = s.anchorMicros + Math.round(last.firstSampleIndex * 1e6 / 250);
            assertThat(Math.abs(last.firstSampleTimeMicros - implied))
                    .as("clock disagreement after 1 h at %s ppm, us", ppm)
                    .isLessThan(250_000L);
        }
    }

    /** Chunk {@code k} (1 s at 250 Hz) of a device whose sample clock is {@code ppm} fast. */
    private static ChunkRecord drifted(double ppm, long k) {
        ChunkRecord c = chunk("d", 250, 250 * k, 250);
        c.firstSampleTimeMicros = T0 + Math.round(k * 1e6 / (1 + ppm * 1e-6));
        return c;
    }

    /** {@code chunks} chunks of {@link #drifted} into a new state, each accepted. */
    private DeviceStreamState drift(double ppm, long chunks, AssemblerFixtures.Collected sink) {
        DeviceStreamState s = null;
        for (long k = 0; k < chunks; k++) {
            ChunkRecord c = drifted(ppm, k);
            if (s == null) {
                s = assembler.newState(c);
            }
            assertThat(assembler.offer(s, c, NO_WATERMARK, sink).taken()).isTrue();
        }
        return s;
    }

    @Test
    void timestampJitterWithoutDriftNeverSlipsAndChangesNoWindow() {
        // Timestamps taken after a radio link jitter by +-15 ms around the sample clock's time:
        // the windows are those of exact timestamps, bit for bit.
        AssemblerFixtures.Collected exact = new AssemblerFixtures.Collected();
        AssemblerFixtures.Collected jittered = new AssemblerFixtures.Collected();
        java.util.Random random = new java.util.Random(7);
        DeviceStreamState a = null;
        DeviceStreamState b = null;
        for (long k = 0; k < 3600; k++) {
            ChunkRecord c = chunk("d", 250, 250 * k, 250);
            ChunkRecord j =
                    shiftedClock(chunk("d", 250, 250 * k, 250), random.nextInt(30_001) - 15_000);
            if (a == null) {
                a = assembler.newState(c);
                b = assembler.newState(c);
            }
            assembler.offer(a, c, NO_WATERMARK, exact);
            assertThat(assembler.offer(b, j, NO_WATERMARK, jittered).taken()).isTrue();
        }
        assertThat(jittered.slippedMicros).isZero();
        assertThat(jittered.segments).isEmpty();
        assertSameWindows(jittered, exact);
    }

    @Test
    void oneStrayTimestampWithinTheToleranceNeitherSlipsNorChangesAWindow() {
        // A chunk retransmitted and stamped 0.9 s late, inside the 1-s clock tolerance.
        AssemblerFixtures.Collected exact = new AssemblerFixtures.Collected();
        AssemblerFixtures.Collected stray = new AssemblerFixtures.Collected();
        DeviceStreamState a = null;
        DeviceStreamState b = null;
        for (long k = 0; k < 600; k++) {
            ChunkRecord c = chunk("d", 250, 250 * k, 250);
            ChunkRecord d = chunk("d", 250, 250 * k, 250);
            if (k == 300) {
                shiftedClock(d, 900_000);
            }
            if (a == null) {
                a = assembler.newState(c);
                b = assembler.newState(d);
            }
            assembler.offer(a, c, NO_WATERMARK, exact);
            assertThat(assembler.offer(b, d, NO_WATERMARK, stray).taken()).isTrue();
        }
        assertThat(stray.slippedMicros).isZero();
        assertThat(stray.segments).isEmpty();
        assertSameWindows(stray, exact);
    }

    private static void assertSameWindows(
            AssemblerFixtures.Collected got, AssemblerFixtures.Collected expected) {
        assertThat(got.windows).hasSize(expected.windows.size());
        for (int i = 0; i < expected.windows.size(); i++) {
            assertThat(got.windows.get(i).windowStartMicros)
                    .isEqualTo(expected.windows.get(i).windowStartMicros);
            assertThat(got.windows.get(i).samples).containsExactly(expected.windows.get(i).samples);
        }
    }

    @Test
    void aBackwardClockJumpSkipsTheWindowsAlreadyClosedSoNoKeyIsReused() {
        DeviceStreamState s = feed("d", 100, 0, 3000, 100);
        assertThat(out.startsInSeconds()).containsExactly(0L, 5L, 10L, 15L);
        // The clock goes back 12 s while the index runs on: the new segment starts at 18 s.
        for (long i = 3000; i < 6000; i += 100) {
            ChunkRecord c = shiftedClock(chunk("d", 100, i, 100), -12 * SECOND);
            assertThat(assembler.offer(s, c, NO_WATERMARK, out).taken()).isTrue();
        }
        assertThat(out.segments).containsExactly(SegmentCause.CLOCK_JUMP);
        assertThat(out.skippedWindows).isGreaterThan(0);
        assertThat(out.startsInSeconds()).doesNotHaveDuplicates().isSorted();
        assertThat(out.startsInSeconds()).contains(30L, 35L).doesNotContain(25L);
    }

    @Test
    void windowsSkippedAfterABackwardJumpAreCountedAlikeWhenTheJumpsFirstChunkIsOvertaken() {
        // In order: the clock goes back 12 s at 3000, as above.
        DeviceStreamState s = feed("d", 100, 0, 3000, 100);
        for (long i = 3000; i < 6000; i += 100) {
            assembler.offer(
                    s, shiftedClock(chunk("d", 100, i, 100), -12 * SECOND), NO_WATERMARK, out);
        }
        long skippedInOrder = out.skippedWindows;
        List<Long> windowsInOrder = out.startsInSeconds();
        assertThat(skippedInOrder).isGreaterThan(0);
        // The same, but the jump's chunk at 3500 arrives first: the segment is anchored on it,
        // then re-anchored on 3000, which reaches back over one more closed window.
        AssemblerFixtures.Collected overtaken = new AssemblerFixtures.Collected();
        DeviceStreamState t = assembler.newState(chunk("d", 100, 0, 100));
        for (long i = 0; i < 3000; i += 100) {
            assembler.offer(t, chunk("d", 100, i, 100), NO_WATERMARK, overtaken);
        }
        List<Long> order = new ArrayList<>(List.of(3500L));
        for (long i = 3000; i < 6000; i += 100) {
            if (i != 3500) {
                order.add(i);
            }
        }
        for (long i : order) {
            ChunkRecord c = shiftedClock(chunk("d", 100, i, 100), -12 * SECOND);
            assertThat(assembler.offer(t, c, NO_WATERMARK, overtaken).taken()).isTrue();
        }
        assertThat(overtaken.segments).containsExactly(SegmentCause.CLOCK_JUMP);
        assertThat(overtaken.startsInSeconds()).isEqualTo(windowsInOrder);
        assertThat(overtaken.skippedWindows).isEqualTo(skippedInOrder);
    }

    @Test
    void aYearLongSilenceIsANewSegmentNotAYearOfMissingSamples() {
        DeviceStreamState s = feed("d", 2000, 0, 40_000, 2000);
        long yearSamples = 365L * 24 * 3600 * 2000;
        ChunkRecord later = chunk("d", 2000, yearSamples, 2000);
        long t0 = System.nanoTime();
        assertThat(assembler.offer(s, later, NO_WATERMARK, out).outcome())
                .isEqualTo(ChunkOutcome.ACCEPTED);
        assembler.resolveGaps(s, Long.MAX_VALUE, out);
        // Generous: a year of samples one by one would take minutes.
        assertThat(System.nanoTime() - t0).isLessThan(2_000_000_000L);
        assertThat(out.segments).containsExactly(SegmentCause.LONG_GAP);
    }

    @Test
    void holdsAtMostTheConfiguredNumberOfChunksBehindAGap() {
        DeviceWindowAssembler bounded =
                new DeviceWindowAssembler(
                        defaultSpec(),
                        new StreamLimits(StreamLimits.DEFAULTS.maxGapMicros(), 4, SECOND));
        ChunkRecord first = chunk("d", 100, 0, 100);
        DeviceStreamState s = bounded.newState(first);
        bounded.offer(s, first, NO_WATERMARK, out);
        for (long i = 200; i < 1000; i += 100) {
            bounded.offer(s, chunk("d", 100, i, 100), NO_WATERMARK, out);
            assertThat(s.pendingCount()).isLessThanOrEqualTo(4);
        }
        // The chunk [100,200) came too late: its gap was given up to bound the state.
        assertThat(bounded.offer(s, chunk("d", 100, 100, 100), NO_WATERMARK, out).outcome())
                .isEqualTo(ChunkOutcome.LATE);
    }

    @Test
    @Timeout(30)
    void aChunkThatFillsTheOldestGapWhenThePendingListIsFullIsConsumedNotStuckBehindTheHead() {
        DeviceWindowAssembler bounded =
                new DeviceWindowAssembler(
                        defaultSpec(),
                        new StreamLimits(StreamLimits.DEFAULTS.maxGapMicros(), 4, SECOND));
        // The same 31 s in order: the reference.
        AssemblerFixtures.Collected inOrder = new AssemblerFixtures.Collected();
        DeviceStreamState r = bounded.newState(chunk("d", 100, 0, 100));
        for (long i = 0; i < 3100; i += 100) {
            bounded.offer(r, chunk("d", 100, i, 100), NO_WATERMARK, inOrder);
        }
        // [100,200) overtaken by four chunks, which fill the pending list; it arrives fifth.
        DeviceStreamState s = bounded.newState(chunk("d", 100, 0, 100));
        bounded.offer(s, chunk("d", 100, 0, 100), NO_WATERMARK, out);
        for (long i = 200; i < 600; i += 100) {
            assertThat(bounded.offer(s, chunk("d", 100, i, 100), NO_WATERMARK, out).outcome())
                    .isEqualTo(ChunkOutcome.PENDING);
        }
        assertThat(s.pendingCount()).isEqualTo(4);
        assertThat(bounded.offer(s, chunk("d", 100, 100, 100), NO_WATERMARK, out).outcome())
                .isEqualTo(ChunkOutcome.ACCEPTED);
        assertThat(s.pendingCount()).isZero();
        for (long i = 600; i < 3100; i += 100) {
            assertThat(bounded.offer(s, chunk("d", 100, i, 100), NO_WATERMARK, out).outcome())
                    .isEqualTo(ChunkOutcome.ACCEPTED);
        }
        // Nothing was given up: the windows are those of the stream in order, value for value.
        assertThat(out.startsInSeconds()).isEqualTo(inOrder.startsInSeconds()).hasSize(5);
        for (int w = 0; w < out.windows.size(); w++) {
            assertThat(out.windows.get(w).missingFraction)
                    .isEqualTo(inOrder.windows.get(w).missingFraction);
            assertThat(out.windows.get(w).samples).isEqualTo(inOrder.windows.get(w).samples);
        }
    }

    @Test
    @Timeout(30)
    void aChunkInsideTheOldestGapWhenThePendingListIsFullGivesUpOnlyThePartBeforeIt() {
        DeviceWindowAssembler bounded =
                new DeviceWindowAssembler(
                        defaultSpec(),
                        new StreamLimits(StreamLimits.DEFAULTS.maxGapMicros(), 4, SECOND));
        DeviceStreamState s = bounded.newState(chunk("d", 100, 0, 100));
        bounded.offer(s, chunk("d", 100, 0, 100), NO_WATERMARK, out);
        // The gap [100,300): its second half arrives when four chunks behind it fill the list.
        for (long i = 300; i < 700; i += 100) {
            bounded.offer(s, chunk("d", 100, i, 100), NO_WATERMARK, out);
        }
        assertThat(bounded.offer(s, chunk("d", 100, 200, 100), NO_WATERMARK, out).outcome())
                .isEqualTo(ChunkOutcome.ACCEPTED);
        assertThat(s.pendingCount()).isZero();
        // Its first half is now behind the head: late, and the stream runs on.
        assertThat(bounded.offer(s, chunk("d", 100, 100, 100), NO_WATERMARK, out).outcome())
                .isEqualTo(ChunkOutcome.LATE);
        for (long i = 700; i < 3100; i += 100) {
            assertThat(bounded.offer(s, chunk("d", 100, i, 100), NO_WATERMARK, out).outcome())
                    .isEqualTo(ChunkOutcome.ACCEPTED);
        }
        // One second of ten missing in the first window, plus the interpolator's edges; none in
        // the windows after it.
        assertThat(out.startsInSeconds()).containsExactly(0L, 5L, 10L, 15L, 20L);
        assertThat(out.windows.get(0).missingFraction).isBetween(0.1f, 0.15f);
        for (int w = 1; w < 5; w++) {
            assertThat(out.windows.get(w).missingFraction).isZero();
        }
    }

    @Test
    void anEndOfRecordingFlagClosesEveryWindowAtOnceAndTheNextRecordingStartsAfresh() {
        // A 30 s spot check in 1 s chunks, the last one flagged.
        DeviceStreamState s = null;
        for (long i = 0; i < 3000; i += 100) {
            ChunkRecord c = chunk("d", 100, i, 100);
            c.endOfRecording = i == 2900;
            if (s == null) {
                s = assembler.newState(c);
            }
            assertThat(assembler.offer(s, c, NO_WATERMARK, out).outcome())
                    .isEqualTo(ChunkOutcome.ACCEPTED);
        }
        // All five windows, the last one gap-filled by the interpolator's missing edge.
        assertThat(out.startsInSeconds()).containsExactly(0L, 5L, 10L, 15L, 20L);
        assertThat(out.windows.get(4).missingFraction).isBetween(0.001f, 0.05f);
        // A resend of the flagged chunk is a duplicate, not a new recording.
        ChunkRecord resend = chunk("d", 100, 2900, 100);
        resend.endOfRecording = true;
        assertThat(assembler.offer(s, resend, NO_WATERMARK, out).outcome())
                .isEqualTo(ChunkOutcome.DUPLICATE);
        // The next spot check, 60 s later, index from 0 again.
        for (long i = 0; i < 3000; i += 100) {
            ChunkRecord c = shiftedClock(chunk("d", 100, i, 100), 60 * SECOND);
            c.endOfRecording = i == 2900;
            assertThat(assembler.offer(s, c, NO_WATERMARK, out).outcome())
                    .isEqualTo(ChunkOutcome.ACCEPTED);
        }
        assertThat(out.segments).containsExactly(SegmentCause.NEW_RECORDING);
        assertThat(out.startsInSeconds())
                .containsExactly(0L, 5L, 10L, 15L, 20L, 60L, 65L, 70L, 75L, 80L);
    }

    @Test
    void anEndOfRecordingFlagBehindAGapWaitsForTheGapLikeAnyChunk() {
        ChunkRecord first = chunk("d", 100, 0, 1000);
        DeviceStreamState s = assembler.newState(first);
        assembler.offer(s, first, NO_WATERMARK, out);
        ChunkRecord last = chunk("d", 100, 1100, 1900);
        last.endOfRecording = true;
        assertThat(assembler.offer(s, last, NO_WATERMARK, out).outcome())
                .isEqualTo(ChunkOutcome.PENDING);
        // Only the window that does not touch the gap is out; the recording is not closed.
        assertThat(out.startsInSeconds()).containsExactly(15L);
        // The gap fills: everything closes at once.
        assertThat(assembler.offer(s, chunk("d", 100, 1000, 100), NO_WATERMARK, out).outcome())
                .isEqualTo(ChunkOutcome.ACCEPTED);
        assertThat(out.startsInSeconds()).containsExactly(15L, 0L, 5L, 10L, 20L);
    }

    @Test
    @Timeout(10)
    void aStateRestoredUnderAnotherGeometryStartsAfreshAfterItsLastClosedWindow() {
        // 63 s under a 5 s hop and 10 s windows, with [60 s, 61 s) missing
        DeviceStreamState before = feedSkipping("d", 6300, 6000);
        long lastStart = out.startsInSeconds().get(out.startsInSeconds().size() - 1);
        for (WindowSpec other :
                List.of(
                        new WindowSpec(100.0, 10 * SECOND, 10 * SECOND, LATENESS, 0.2f), // hop x2
                        new WindowSpec(100.0, 10 * SECOND, 2_500_000, LATENESS, 0.2f), // hop / 2
                        new WindowSpec(100.0, 20 * SECOND, 5 * SECOND, LATENESS, 0.2f))) {
            DeviceStreamState s = copyOf(before);
            DeviceWindowAssembler restored = new DeviceWindowAssembler(other);
            AssemblerFixtures.Collected after = new AssemblerFixtures.Collected();
            // a timer before the next chunk: nothing (the old windows cannot complete here)
            restored.resolveGaps(s, Long.MAX_VALUE, after);
            assertThat(after.windows).isEmpty();
            for (long i = 6300; i < 12_000; i += 100) {
                assertThat(
                                restored.offer(s, chunk("d", 100, i, 100), NO_WATERMARK, after)
                                        .outcome())
                        .as(other.toString())
                        .isEqualTo(ChunkOutcome.ACCEPTED);
            }
            assertThat(after.segments).containsExactly(SegmentCause.GEOMETRY_CHANGE);
            // windows on the new grid, none before the old geometry's last closed one's successor
            assertThat(after.startsInSeconds())
                    .as(other.toString())
                    .isNotEmpty()
                    .allSatisfy(start -> assertThat(start).isGreaterThan(lastStart));
            assertThat(after.windows)
                    .allSatisfy(
                            w -> {
                                assertThat(w.samples).hasSize(other.windowSamples());
                                assertThat((w.windowStartMicros - T0) % other.hopMicros()).isZero();
                            });
        }
    }

    /** 1 s chunks at 100 Hz from index 0 to {@code end}, the one at {@code skipped} left out. */
    private DeviceStreamState feedSkipping(String device, long end, long skipped) {
        DeviceStreamState s = null;
        for (long i = 0; i < end; i += 100) {
            if (i == skipped) {
                continue;
            }
            ChunkRecord c = chunk(device, 100, i, 100);
            if (s == null) {
                s = assembler.newState(c);
            }
            assembler.offer(s, c, NO_WATERMARK, out);
        }
        return s;
    }

    private static DeviceStreamState copyOf(DeviceStreamState s) {
        // the state as a restore would hand it over: its own arrays
        DeviceStreamState c = new DeviceStreamState();
        for (java.lang.reflect.Field f : DeviceStreamState.class.getFields()) {
            try {
                Object v = f.get(s);
                if (v instanceof float[] a) {
                    v = a.clone();
                } else if (v instanceof long[] a) {
                    v = a.clone();
                } else if (v instanceof int[] a) {
                    v = a.clone();
                } else if (v instanceof Object[] a) {
                    v = a.clone();
                } else if (v instanceof StreamingResampler.State r) {
                    StreamingResampler.State rc = new StreamingResampler.State();
                    rc.anchorMicros = r.anchorMicros;
                    rc.historyStart = r.historyStart;
                    rc.history = r.history.clone();
                    rc.historyLength = r.historyLength;
                    rc.nextOut = r.nextOut;
                    v = rc;
                }
                if (!java.lang.reflect.Modifier.isFinal(f.getModifiers())) {
                    f.set(c, v);
                }
            } catch (IllegalAccessException e) {
                throw new AssertionError(e);
            }
        }
        return c;
    }

    @Test
    void aResendOfThePreviousRecordingsLastChunkDoesNotTakeTheNextOneOver() {
        DeviceStreamState s = null;
        for (long i = 0; i < 3000; i += 100) {
            ChunkRecord c = chunk("d", 100, i, 100);
            c.endOfRecording = i == 2900;
            if (s == null) {
                s = assembler.newState(c);
            }
            assembler.offer(s, c, NO_WATERMARK, out);
        }
        // the next recording, two minutes on, its index running on
        assertThat(assembler.offer(s, chunk("d", 100, 15_000, 100), NO_WATERMARK, out).outcome())
                .isEqualTo(ChunkOutcome.ACCEPTED);
        ChunkRecord resend = chunk("d", 100, 2900, 100);
        resend.endOfRecording = true;
        assertThat(assembler.offer(s, resend, NO_WATERMARK, out).outcome())
                .isEqualTo(ChunkOutcome.LATE);
        for (long i = 15_100; i < 18_000; i += 100) {
            ChunkRecord c = chunk("d", 100, i, 100);
            c.endOfRecording = i == 17_900;
            assertThat(assembler.offer(s, c, NO_WATERMARK, out).outcome())
                    .isEqualTo(ChunkOutcome.ACCEPTED);
        }
        // the second recording starts where it started, whole, nothing skipped
        assertThat(out.recordings).hasSize(2);
        assertThat((out.recordings.get(1).recordingStartMicros - T0) / SECOND).isEqualTo(150);
        assertThat(out.recordings.get(1).windows).isEqualTo(5);
        assertThat(out.skippedWindows).isZero();
    }

    @Test
    void theNextRecordingIsNotTakenIntoOneWhoseEndWaitsBehindAGap() {
        // Recording 1: 30 s whose chunk [28 s, 29 s) is lost, its flagged last chunk waiting.
        DeviceStreamState s = null;
        for (long i = 0; i < 3000; i += 100) {
            if (i == 2800) {
                continue;
            }
            ChunkRecord c = chunk("d", 100, i, 100);
            c.endOfRecording = i == 2900;
            if (s == null) {
                s = assembler.newState(c);
            }
            assembler.offer(s, c, NO_WATERMARK, out);
        }
        assertThat(out.recordings).isEmpty();
        // Recording 2, two minutes later, the device's index running on (same clock).
        for (long i = 15_000; i < 18_000; i += 100) {
            ChunkRecord c = chunk("d", 100, i, 100);
            c.endOfRecording = i == 17_900;
            assertThat(assembler.offer(s, c, NO_WATERMARK, out).outcome())
                    .isEqualTo(ChunkOutcome.ACCEPTED);
        }
        assertThat(out.segments).containsExactly(SegmentCause.NEW_RECORDING);
        assertThat(out.recordings).hasSize(2);
        assertThat((out.recordings.get(0).recordingStartMicros - T0) / SECOND).isZero();
        assertThat((out.recordings.get(1).recordingStartMicros - T0) / SECOND).isEqualTo(150);
        assertThat(out.recordings.get(1).windows).isEqualTo(5);
        assertThat(out.startsInSeconds()).containsSubsequence(150L, 155L, 160L, 165L, 170L);
    }

    @Test
    void aGapBlocksOnlyTheWindowsItTouchesAndTheOutputIsTheSameInEveryArrivalOrder() {
        // Reference: 60 s in order.
        AssemblerFixtures.Collected inOrder = new AssemblerFixtures.Collected();
        DeviceStreamState r = null;
        for (long i = 0; i < 6000; i += 100) {
            ChunkRecord c = chunk("d", 100, i, 100);
            if (r == null) {
                r = assembler.newState(c);
            }
            assembler.offer(r, c, NO_WATERMARK, inOrder);
        }
        // The same with [20 s, 21 s) lost and delivered last.
        DeviceStreamState s = null;
        for (long i = 0; i < 6000; i += 100) {
            if (i == 2000) {
                continue;
            }
            ChunkRecord c = chunk("d", 100, i, 100);
            if (s == null) {
                s = assembler.newState(c);
            }
            assembler.offer(s, c, NO_WATERMARK, out);
        }
        // [10,20) reaches 0.08 s into the gap through the interpolator; [25,35) on do not touch it.
        assertThat(out.startsInSeconds()).containsExactly(0L, 5L, 25L, 30L, 35L, 40L, 45L);
        assertThat(assembler.offer(s, chunk("d", 100, 2000, 100), NO_WATERMARK, out).outcome())
                .isEqualTo(ChunkOutcome.ACCEPTED);
        assertThat(out.startsInSeconds())
                .containsExactlyInAnyOrderElementsOf(inOrder.startsInSeconds())
                .doesNotHaveDuplicates();
        for (WindowRecord w : inOrder.windows) {
            WindowRecord same =
                    out.windows.stream()
                            .filter(x -> x.windowStartMicros == w.windowStartMicros)
                            .findFirst()
                            .orElseThrow();
            assertThat(same.samples)
                    .as("window at %d", w.windowStartMicros)
                    .containsExactly(w.samples);
            assertThat(same.missingFraction).isEqualTo(w.missingFraction);
        }
    }

    @Test
    void aStreamsFirstChunksOvertakingEachOtherGiveTheSameWindowsAsInOrder() {
        // A producer that changed partitioner, or a backlog read from two partitions: the
        // device's third chunk arrives first, then its second, then its first.
        AssemblerFixtures.Collected inOrder = new AssemblerFixtures.Collected();
        DeviceStreamState r = feedInto(inOrder, new long[] {500, 600, 700});
        long[] overtaken = {700, 600, 500};
        DeviceStreamState s = null;
        for (long i : overtaken) {
            ChunkRecord c = chunk("d", 100, i, 100);
            if (s == null) {
                s = assembler.newState(c);
            }
            Offer o = assembler.offer(s, c, NO_WATERMARK, out);
            assertThat(o.outcome()).as("chunk at %d", i).isEqualTo(ChunkOutcome.ACCEPTED);
        }
        for (long i = 800; i < 3000; i += 100) {
            assembler.offer(s, chunk("d", 100, i, 100), NO_WATERMARK, out);
            assembler.offer(r, chunk("d", 100, i, 100), NO_WATERMARK, inOrder);
        }
        assertThat(out.segments).isEmpty();
        assertThat(out.startsInSeconds()).containsExactly(5L, 10L, 15L);
        assertSameWindows(out.windows, inOrder.windows);
        // Once a window is decided the segment's start is final: an earlier chunk is late.
        Offer late = assembler.offer(s, chunk("d", 100, 400, 100), NO_WATERMARK, out);
        assertThat(late.outcome()).isEqualTo(ChunkOutcome.LATE);
    }

    @Test
    void aChunkThatOvertookTheStartWithAGapBetweenStillAnchorsTheStreamAndFillsTheGapLater() {
        AssemblerFixtures.Collected inOrder = new AssemblerFixtures.Collected();
        DeviceStreamState r = feedInto(inOrder, new long[] {0, 100, 200, 300, 400});
        // Index 300 and 400 arrive first, then 0; [100, 300) is a gap until it arrives.
        DeviceStreamState s = null;
        for (long i : new long[] {300, 400, 0, 200, 100}) {
            ChunkRecord c = chunk("d", 100, i, 100);
            if (s == null) {
                s = assembler.newState(c);
            }
            assertThat(assembler.offer(s, c, NO_WATERMARK, out).taken())
                    .as("chunk at %d", i)
                    .isTrue();
        }
        for (long i = 500; i < 2500; i += 100) {
            assembler.offer(s, chunk("d", 100, i, 100), NO_WATERMARK, out);
            assembler.offer(r, chunk("d", 100, i, 100), NO_WATERMARK, inOrder);
        }
        assertThat(out.startsInSeconds()).containsExactly(0L, 5L, 10L);
        assertSameWindows(out.windows, inOrder.windows);
    }

    @Test
    void aNewSegmentsFirstChunksOvertakingEachOtherReAnchorItWithoutAnotherSegment() {
        DeviceStreamState s = feed("d", 100, 0, 3000, 100);
        int before = out.windows.size();
        // The device reboots 100 s later; its second chunk after the reboot arrives first.
        for (long i : new long[] {100, 0}) {
            ChunkRecord c = shiftedClock(chunk("d", 100, i, 100), 130 * SECOND);
            assertThat(assembler.offer(s, c, NO_WATERMARK, out).outcome())
                    .isEqualTo(ChunkOutcome.ACCEPTED);
        }
        for (long i = 200; i < 1500; i += 100) {
            ChunkRecord c = shiftedClock(chunk("d", 100, i, 100), 130 * SECOND);
            assertThat(assembler.offer(s, c, NO_WATERMARK, out).outcome())
                    .isEqualTo(ChunkOutcome.ACCEPTED);
        }
        assertThat(out.segments).containsExactly(SegmentCause.REBOOT);
        assertThat(out.windows.subList(before, out.windows.size()))
                .extracting(w -> (w.windowStartMicros - T0) / SECOND)
                .contains(130L)
                .doesNotHaveDuplicates();
        assertThat(out.windows.get(out.windows.size() - 1).recordingStartMicros)
                .isEqualTo(T0 + 130 * SECOND);
    }

    private DeviceStreamState feedInto(AssemblerFixtures.Collected sink, long[] indices) {
        DeviceStreamState st = null;
        for (long i : indices) {
            ChunkRecord c = chunk("d", 100, i, 100);
            if (st == null) {
                st = assembler.newState(c);
            }
            assembler.offer(st, c, NO_WATERMARK, sink);
        }
        return st;
    }

    private static void assertSameWindows(List<WindowRecord> actual, List<WindowRecord> expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (WindowRecord w : expected) {
            WindowRecord same =
                    actual.stream()
                            .filter(x -> x.windowStartMicros == w.windowStartMicros)
                            .findFirst()
                            .orElseThrow();
            assertThat(same.samples)
                    .as("window at %d", w.windowStartMicros)
                    .containsExactly(w.samples);
            assertThat(same.missingFraction).isEqualTo(w.missingFraction);
            assertThat(same.recordingStartMicros).isEqualTo(w.recordingStartMicros);
        }
    }

    @Test
    void windowsEmittedAheadOfAGapAreNotEmittedAgainWhenTheGapExpires() {
        DeviceStreamState s = feedSkipping("d", 6000, 2000);
        assembler.resolveGaps(s, T0 + 21 * SECOND + LATENESS, out);
        // [10,20) misses the look-ahead into the gap, [15,25) and [20,30) 1 s plus the edges.
        assertThat(out.startsInSeconds())
                .containsExactly(0L, 5L, 25L, 30L, 35L, 40L, 45L, 10L, 15L, 20L);
        assertThat(out.windows.get(7).missingFraction).isBetween(0.001f, 0.02f);
        assertThat(out.windows.get(8).missingFraction).isBetween(0.1f, 0.15f);
        assertThat(s.emittedAhead).isEmpty();
    }

    @Test
    void pendingChunksOfAStateWrittenBy01AreMovedIntoTheNewShapeAndStillUsed() {
        // Reference: a gap at [10 s, 11 s) filled in order.
        AssemblerFixtures.Collected reference = new AssemblerFixtures.Collected();
        DeviceStreamState r = feedInto("d", reference, 0, 1000);
        assembler.offer(r, chunk("d", 100, 1100, 1900), NO_WATERMARK, reference);
        assembler.offer(r, chunk("d", 100, 1000, 100), NO_WATERMARK, reference);
        // The same state as the 0.1 release stored it: the chunk after the gap in the legacy
        // parallel arrays.
        AssemblerFixtures.Collected legacyOut = new AssemblerFixtures.Collected();
        DeviceStreamState legacy = feedInto("d", legacyOut, 0, 1000);
        ChunkRecord after = chunk("d", 100, 1100, 1900);
        legacy.pendingIndex = new long[] {after.firstSampleIndex};
        legacy.pendingSamples = new byte[][] {after.samples};
        legacy.pendingGain = new double[] {after.gain};
        legacy.pendingBaseline = new int[] {after.baseline};
        legacy.pendingAppendMillis = new long[] {after.source.appendTimeMillis};
        legacy.pendingHash =
                new long[] {
                    ContentHash.of(ContentHash.FNV1A, after.samples, after.gain, after.baseline)
                };
        legacy.hashVersion = ContentHash.FNV1A;
        assertThat(
                        assembler
                                .offer(legacy, chunk("d", 100, 1000, 100), NO_WATERMARK, legacyOut)
                                .outcome())
                .isEqualTo(ChunkOutcome.ACCEPTED);
        assertThat(legacy.pendingIndex).isEmpty();
        assertThat(legacy.pendingCount()).isZero();
        assertThat(legacyOut.startsInSeconds())
                .containsExactlyInAnyOrderElementsOf(reference.startsInSeconds());
    }

    private DeviceStreamState feedInto(
            String device, AssemblerFixtures.Collected sink, long from, long to) {
        return AssemblerFixtures.offerAll(assembler, null, device, from, to, sink);
    }

    @Test
    void refusesAChunkThatWouldOpenASegmentBeforeTheCurrentOnesStart() {
        DeviceStreamState s = feed("d", 100, 0, 3000, 100);
        Offer o =
                assembler.offer(
                        s,
                        shiftedClock(chunk("d", 100, 3000, 100), -40 * SECOND),
                        NO_WATERMARK,
                        out);
        assertThat(o.outcome()).isEqualTo(ChunkOutcome.INCONSISTENT);
        assertThat(o.detail()).contains("before the current segment");
        assertThat(out.segments).isEmpty();
    }

    @Test
    void flushEmitsTheTrailingPartialWindowsOfASilentDevice() {
        DeviceStreamState s = feed("d", 100, 0, 100 * 23, 100);
        assertThat(out.startsInSeconds()).containsExactly(0L, 5L, 10L);
        assembler.flush(s, out);
        // [15,25) has 8 s of 10 (20 % missing plus edges: dropped); [20,30) has 3 s: dropped.
        assertThat(out.startsInSeconds()).containsExactly(0L, 5L, 10L);
        assertThat(out.dropped).containsExactly(T0 + 15 * SECOND, T0 + 20 * SECOND);

        AssemblerFixtures.Collected other = new AssemblerFixtures.Collected();
        DeviceStreamState t = null;
        for (long i = 0; i < 100 * 24 + 50; i += 50) {
            ChunkRecord c = chunk("e", 100, i, 50);
            if (t == null) {
                t = assembler.newState(c);
            }
            assembler.offer(t, c, NO_WATERMARK, other).outcome();
        }
        assembler.flush(t, other);
        assertThat(other.startsInSeconds()).containsExactly(0L, 5L, 10L, 15L);
        assertThat(other.windows.get(3).missingFraction).isBetween(0.05f, 0.07f);
    }

    @Test
    void doesNotConsiderWindowsThatBeganLongBeforeTheDeviceStarted() {
        // Device starts at T0 + 2 s: [0,10) would miss 20 % plus the interpolator's edge, so it
        // is never a candidate; [5,15) is the first window.
        DeviceStreamState s = null;
        for (long i = 200; i < 100 * 20; i += 100) {
            ChunkRecord c = chunk("d", 100, i, 100);
            if (s == null) {
                s = assembler.newState(c);
            }
            assembler.offer(s, c, NO_WATERMARK, out).outcome();
        }
        assertThat(out.dropped).isEmpty();
        assertThat(out.startsInSeconds()).containsExactly(5L);
    }

    private DeviceStreamState feed(
            String device, double rate, long fromIndex, long toIndex, int chunkSize) {
        DeviceStreamState s = null;
        for (long i = fromIndex; i < toIndex; i += chunkSize) {
            ChunkRecord c = chunk(device, rate, i, (int) Math.min(chunkSize, toIndex - i));
            if (s == null) {
                s = assembler.newState(c);
            }
            ChunkOutcome outcome = assembler.offer(s, c, NO_WATERMARK, out).outcome();
            assertThat(outcome).isEqualTo(ChunkOutcome.ACCEPTED);
        }
        return s;
    }

    @Test
    void manyDistinctRatesKeepABoundedSetOfEnginesAndChangeNoDevicesSamples() {
        // 40 devices at 40 distinct rates (what a faulty firmware could send), interleaved chunk
        // by chunk with a device at 360 Hz that shows up after the first eight rates.
        AssemblerFixtures.Collected alone = new AssemblerFixtures.Collected();
        DeviceWindowAssembler fresh = new DeviceWindowAssembler(defaultSpec());
        DeviceStreamState own = null;
        DeviceStreamState watched = null;
        java.util.Map<String, DeviceStreamState> others = new java.util.HashMap<>();
        for (int c = 0; c < 31; c++) {
            for (int d = 0; d < 40; d++) {
                double rate = 200 + 7.25 * d;
                ChunkRecord other = chunk("odd-" + d, rate, c * 100L, 100);
                DeviceStreamState st =
                        others.computeIfAbsent(other.deviceId, k -> assembler.newState(other));
                assembler.offer(st, other, NO_WATERMARK, new AssemblerFixtures.Collected());
                if (d == 10) {
                    ChunkRecord mine = chunk("watched", 360, c * 360L, 360);
                    if (watched == null) {
                        watched = assembler.newState(mine);
                        own = fresh.newState(mine);
                    }
                    assembler.offer(watched, mine, NO_WATERMARK, out);
                    fresh.offer(own, chunk("watched", 360, c * 360L, 360), NO_WATERMARK, alone);
                }
                assertThat(assembler.enginesHeld())
                        .isLessThanOrEqualTo(DeviceWindowAssembler.MAX_ENGINES);
            }
        }
        assertThat(alone.windows).hasSize(5);
        assertThat(out.windows).hasSameSizeAs(alone.windows);
        for (int w = 0; w < alone.windows.size(); w++) {
            assertThat(out.windows.get(w).samples).containsExactly(alone.windows.get(w).samples);
        }
    }
}
