package io.fmstream.job.functions;

import static io.fmstream.job.functions.Chunks.SECOND_MICROS;
import static io.fmstream.job.functions.Chunks.T0_MICROS;
import static io.fmstream.job.functions.Chunks.T0_MILLIS;
import static io.fmstream.job.functions.Chunks.appendMillis;
import static io.fmstream.job.functions.Chunks.chunk;
import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.core.records.ChunkRecord;
import io.fmstream.core.records.DeadLetterRecord;
import io.fmstream.core.records.WindowRecord;
import io.fmstream.core.window.StreamLimits;
import io.fmstream.core.window.WindowSpec;
import io.fmstream.schemas.DeadLetterReason;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.runtime.state.StateBackend;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.hashmap.HashMapStateBackend;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Harness tests of the window assembler. They run on the heap backend and (subclass) on RocksDB,
 * where every state read deserialises a fresh copy, so a change not written back is lost.
 */
class WindowAssemblerFunctionTest {

    private static final long IDLE_TIMEOUT_MILLIS = 30 * 60 * 1000L;
    private static final long LATENESS_MICROS = 60 * SECOND_MICROS;
    private static final WindowSpec SPEC =
            new WindowSpec(100.0, 10 * SECOND_MICROS, 5 * SECOND_MICROS, LATENESS_MICROS, 0.2f);

    private KeyedOneInputStreamOperatorTestHarness<String, ChunkRecord, WindowRecord> harness;

    @BeforeEach
    void setUp() throws Exception {
        harness =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        new KeyedProcessOperator<>(
                                new WindowAssemblerFunction(
                                        SPEC, StreamLimits.DEFAULTS, IDLE_TIMEOUT_MILLIS)),
                        c -> c.deviceId,
                        TypeInformation.of(String.class));
        harness.setStateBackend(stateBackend());
        harness.setProcessingTime(0);
        harness.open();
    }

    StateBackend stateBackend() {
        return new HashMapStateBackend();
    }

    @AfterEach
    void tearDown() throws Exception {
        harness.close();
    }

    @Test
    void emitsOneWindowPerHopPerDeviceAsSoonAsThatDevicesDataCoversIt() throws Exception {
        for (int second = 0; second < 21; second++) {
            send(chunk("a", 360, second, 1));
            send(chunk("b", 250, second, 1));
        }
        // 21 s of data: [0,10), [5,15), [10,20) are covered (plus the interpolator's look-ahead).
        assertThat(windowKeys())
                .containsExactlyInAnyOrder("a@0", "a@5", "a@10", "b@0", "b@5", "b@10");
        assertThat(harness.getOutput()).noneMatch(o -> o instanceof Watermark);
        assertThat(deadLetters()).isEmpty();
    }

    @Test
    void aLateDeviceStillGetsEveryWindowWhenTheWatermarkIsFarAhead() throws Exception {
        harness.processWatermark(new Watermark(T0_MILLIS + 10 * 60 * 1000));
        for (int second = 0; second < 31; second++) {
            send(chunk("late", 128, second, 1));
        }
        assertThat(windowKeys())
                .containsExactly("late@0", "late@5", "late@10", "late@15", "late@20");
        assertThat(deadLetters()).isEmpty();
    }

    @Test
    void closesAGapWhenTheWatermarkPassesItsEndPlusTheLateness() throws Exception {
        for (int second = 0; second < 10; second++) {
            send(chunk("d", 100, second, 1));
        }
        // Drop-out from 10 s to 11 s, then data to 30 s.
        for (int second = 11; second < 30; second++) {
            send(chunk("d", 100, second, 1));
        }
        // Only [15,25) is clear of the gap (and its interpolator reach): out at once.
        assertThat(windowKeys()).containsExactly("d@15");
        assertThat(harness.numEventTimeTimers()).isEqualTo(2); // gap expiry + end of input

        // The gap was seen when the chunk after it was appended (12 s: a live device appends a
        // chunk when its data ends); it expires the lateness later by the watermark.
        harness.processWatermark(new Watermark(T0_MILLIS + 12_000 + 60_000 - 1));
        assertThat(windowKeys()).containsExactly("d@15");
        harness.processWatermark(new Watermark(T0_MILLIS + 12_000 + 60_000));
        assertThat(windowKeys()).containsExactly("d@15", "d@0", "d@5", "d@10");
        assertThat(harness.numEventTimeTimers()).isEqualTo(1);

        send(chunk("d", 100, 10, 1));
        assertThat(deadLetters()).extracting(d -> d.reason).containsExactly(DeadLetterReason.LATE);
    }

    @Test
    void aDeviceThatRebootsSwitchesRateAndCorrectsItsClockLosesNoLaterChunk() throws Exception {
        for (int second = 0; second < 30; second++) {
            send(chunk("d", 250, second, 1));
        }
        // Reboot: the index restarts at 0, 40 s later.
        for (int second = 0; second < 30; second++) {
            send(shifted(chunk("d", 250, second, 1), 40 * SECOND_MICROS));
        }
        // Rate change to 500 Hz, index 0 again, at 80 s.
        for (int second = 0; second < 30; second++) {
            send(shifted(chunk("d", 500, second, 1), 80 * SECOND_MICROS));
        }
        // Clock corrected by +3 s while the index runs on.
        for (int second = 30; second < 60; second++) {
            send(shifted(chunk("d", 500, second, 1), 83 * SECOND_MICROS));
        }
        assertThat(deadLetters()).isEmpty();
        List<String> keys = windowKeys();
        assertThat(keys).doesNotHaveDuplicates();
        // Each segment's fully covered windows are there.
        assertThat(keys).contains("d@0", "d@15", "d@40", "d@55", "d@80", "d@95", "d@115", "d@130");
    }

    @Test
    void dropsExactResendsAndDeadLettersDifferingOverlaps() throws Exception {
        for (int second = 0; second < 12; second++) {
            send(chunk("d", 360, second, 1));
        }
        int windows = windowKeys().size();
        send(chunk("d", 360, 3, 1));
        assertThat(deadLetters()).isEmpty();
        ChunkRecord changed = chunk("d", 360, 3, 1);
        changed.samples[10] ^= 0x01;
        send(changed);
        send(chunk("d", 360, 3.5, 1));
        assertThat(deadLetters())
                .extracting(d -> d.reason)
                .containsExactly(DeadLetterReason.OVERLAP, DeadLetterReason.OVERLAP);
        assertThat(deadLetters().get(0).source.payload).isEqualTo(changed.source.payload);
        assertThat(windowKeys()).hasSize(windows);
    }

    @Test
    void flushesAndForgetsADeviceThatFellSilent() throws Exception {
        for (int second = 0; second < 22; second++) {
            send(chunk("quiet", 100, second, 1));
        }
        send(chunk("other", 100, 0, 1));
        assertThat(windowKeys()).containsExactly("quiet@0", "quiet@5", "quiet@10");
        assertThat(devicesWithState()).isEqualTo(2);
        assertThat(harness.numProcessingTimeTimers()).isEqualTo(2);

        harness.setProcessingTime(IDLE_TIMEOUT_MILLIS);
        // [15,25) has 7 s of 10 and [20,30) 2 s: both too incomplete, so dropped (counted).
        assertThat(windowKeys()).containsExactly("quiet@0", "quiet@5", "quiet@10");
        assertThat(devicesWithState()).isZero();
        assertThat(harness.numProcessingTimeTimers()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
    }

    @Test
    void aResendAfterTheIdleTimeoutEmitsNoWindowASecondTime() throws Exception {
        harness.setProcessingTime(1_000);
        for (int second = 0; second < 22; second++) {
            send(chunk("quiet", 100, second, 1));
        }
        assertThat(windowKeys()).containsExactly("quiet@0", "quiet@5", "quiet@10");
        harness.setProcessingTime(1_000 + IDLE_TIMEOUT_MILLIS);
        assertThat(devicesWithState()).isZero();

        // The device's retry queue sends [2 s, 22 s) again, the same content: a fresh state
        // emitted @5 and @10 again under the same keys.
        for (int second = 2; second < 22; second++) {
            send(chunk("quiet", 100, second, 1));
        }
        assertThat(windowKeys()).containsExactly("quiet@0", "quiet@5", "quiet@10");
        assertThat(deadLetters()).isEmpty();
        // New data after it still makes windows, from where the old state stopped on.
        for (int second = 22; second < 41; second++) {
            send(chunk("quiet", 100, second, 1));
        }
        assertThat(windowKeys())
                .containsExactly("quiet@0", "quiet@5", "quiet@10", "quiet@25", "quiet@30");
    }

    @Test
    void aDeviceThatSpeaksBeforeItsIdleTimeoutIsKeptAndItsOneTimerMovesToItsLastData()
            throws Exception {
        for (int second = 0; second < 12; second++) {
            send(chunk("d", 100, second, 1));
        }
        assertThat(harness.numProcessingTimeTimers()).isEqualTo(1);
        harness.setProcessingTime(IDLE_TIMEOUT_MILLIS / 2);
        for (int second = 12; second < 22; second++) {
            send(chunk("d", 100, second, 1));
        }
        // One idle timer per device, still due at the first chunk's time plus the timeout.
        assertThat(harness.numProcessingTimeTimers()).isEqualTo(1);

        harness.setProcessingTime(IDLE_TIMEOUT_MILLIS);
        // Not idle: its last data came half a timeout ago, so the timer moved there.
        assertThat(devicesWithState()).isEqualTo(1);
        assertThat(harness.numProcessingTimeTimers()).isEqualTo(1);
        harness.setProcessingTime(IDLE_TIMEOUT_MILLIS / 2 + IDLE_TIMEOUT_MILLIS - 1);
        assertThat(devicesWithState()).isEqualTo(1);

        harness.setProcessingTime(IDLE_TIMEOUT_MILLIS / 2 + IDLE_TIMEOUT_MILLIS);
        assertThat(windowKeys()).containsExactly("d@0", "d@5", "d@10");
        assertThat(devicesWithState()).isZero();
        assertThat(harness.numProcessingTimeTimers()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
    }

    @Test
    void aRestoreAfterDowntimeLongerThanTheIdleTimeoutKeepsDevicesForTheirBacklog()
            throws Exception {
        harness.setProcessingTime(1_000); // the data's processing time (0 reads as "unknown")
        for (int second = 0; second < 10; second++) {
            send(chunk("d", 100, second, 1));
        }
        for (int second = 11; second < 30; second++) {
            send(chunk("d", 100, second, 1));
        }
        assertThat(windowKeys()).containsExactly("d@15");
        var snapshot = harness.snapshot(1, 1);
        harness.close();

        // Restored 40 minutes later: the idle timer fell due while the job was down.
        harness =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        new KeyedProcessOperator<>(
                                new WindowAssemblerFunction(
                                        SPEC, StreamLimits.DEFAULTS, IDLE_TIMEOUT_MILLIS)),
                        c -> c.deviceId,
                        TypeInformation.of(String.class));
        harness.setStateBackend(stateBackend());
        long restart = IDLE_TIMEOUT_MILLIS + 10 * 60_000L;
        harness.setProcessingTime(restart);
        harness.initializeState(snapshot);
        harness.open();
        harness.setProcessingTime(restart + 1);
        assertThat(devicesWithState()).as("not flushed at the restore").isEqualTo(1);

        // The backlog brings the chunk the gap waited for: every window whole, none dead-lettered.
        send(chunk("d", 100, 10, 1));
        assertThat(windowKeys()).containsExactly("d@0", "d@5", "d@10");
        // (d@0 lacks only the interpolator's reach before the stream's first sample, 0.9 %; a
        // window across the 1 s gap would miss over 10 %)
        assertThat(windows()).allSatisfy(w -> assertThat(w.missingFraction).isLessThan(0.01f));
        assertThat(deadLetters()).isEmpty();

        // Still idle-flushed a whole timeout after the restart without data
        harness.setProcessingTime(restart + 1 + IDLE_TIMEOUT_MILLIS);
        assertThat(devicesWithState()).isZero();
    }

    @Test
    @org.junit.jupiter.api.Timeout(30)
    void aGapTimerOfAStateRestoredUnderAnotherHopDoesNotFireForEver() throws Exception {
        harness.setProcessingTime(1_000);
        for (int second = 0; second < 10; second++) {
            send(chunk("d", 100, second, 1));
        }
        for (int second = 11; second < 30; second++) {
            send(chunk("d", 100, second, 1));
        }
        var snapshot = harness.snapshot(1, 1);
        harness.close();

        WindowSpec doubled =
                new WindowSpec(
                        100.0, 10 * SECOND_MICROS, 10 * SECOND_MICROS, LATENESS_MICROS, 0.2f);
        harness =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        new KeyedProcessOperator<>(
                                new WindowAssemblerFunction(
                                        doubled, StreamLimits.DEFAULTS, IDLE_TIMEOUT_MILLIS)),
                        c -> c.deviceId,
                        TypeInformation.of(String.class));
        harness.setStateBackend(stateBackend());
        harness.setProcessingTime(2_000);
        harness.initializeState(snapshot);
        harness.open();
        // past the gap's expiry: the restored timer fires once and is not re-armed (it was
        // re-armed at the same passed time, and fired again for ever)
        harness.processWatermark(new Watermark(T0_MILLIS + 200_000));
        assertThat(harness.numEventTimeTimers()).isEqualTo(1); // end of input only
        // the device's next chunk starts it afresh on the 10 s grid
        for (int second = 30; second < 52; second++) {
            send(chunk("d", 100, second, 1));
        }
        assertThat(windows())
                .filteredOn(w -> w.windowStartMicros >= T0_MICROS + 30 * SECOND_MICROS)
                .extracting(w -> (w.windowStartMicros - T0_MICROS) / SECOND_MICROS)
                .containsExactly(30L, 40L);
    }

    @Test
    void theEndOfABoundedInputFlushesTrailingWindowsAndClearsState() throws Exception {
        for (int second = 0; second < 24; second++) {
            send(chunk("d", 100, second, 1));
        }
        send(chunk("d", 100, 24, 0.5));
        harness.processWatermark(new Watermark(Long.MAX_VALUE));
        // [15,25) misses 0.5 s plus the interpolator's edge: emitted with its missing fraction.
        assertThat(windowKeys()).containsExactly("d@0", "d@5", "d@10", "d@15");
        WindowRecord last = windows().get(3);
        assertThat(last.missingFraction).isBetween(0.05f, 0.07f);
        assertThat(devicesWithState()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
        assertThat(harness.numProcessingTimeTimers()).isZero();
    }

    /** Devices with assembler state; counted through the backend so it works on RocksDB as well. */
    private long devicesWithState() throws Exception {
        try (var keys =
                harness.getOperator()
                        .getKeyedStateBackend()
                        .getKeys("device-stream", VoidNamespace.INSTANCE)) {
            return keys.count();
        }
    }

    private static ChunkRecord shifted(ChunkRecord c, long micros) {
        c.firstSampleTimeMicros += micros;
        return c;
    }

    private void send(ChunkRecord c) throws Exception {
        harness.processElement(new StreamRecord<>(c, appendMillis(c)));
    }

    private List<WindowRecord> windows() {
        List<WindowRecord> result = new ArrayList<>();
        for (Object o : harness.getOutput()) {
            if (o instanceof StreamRecord) {
                result.add((WindowRecord) ((StreamRecord<?>) o).getValue());
            }
        }
        return result;
    }

    private List<String> windowKeys() {
        List<String> keys = new ArrayList<>();
        for (WindowRecord w : windows()) {
            keys.add(w.deviceId + "@" + (w.windowStartMicros - T0_MICROS) / SECOND_MICROS);
        }
        return keys;
    }

    private List<DeadLetterRecord> deadLetters() {
        List<DeadLetterRecord> result = new ArrayList<>();
        var side = harness.getSideOutput(DeadLetters.TAG);
        if (side != null) {
            for (StreamRecord<DeadLetterRecord> r : side) {
                result.add(r.getValue());
            }
        }
        return result;
    }
}
