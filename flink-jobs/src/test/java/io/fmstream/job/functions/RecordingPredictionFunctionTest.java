package io.fmstream.job.functions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.fmstream.core.recording.RecordingAggregator;
import io.fmstream.core.records.PredictionRecord;
import io.fmstream.core.records.RecordingEnd;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class RecordingPredictionFunctionTest {

    private static final long S = 1_000_000L;
    private static final long REC = 1_800_000_000L * S;
    private static final Map<String, List<String>> TASKS =
            Map.of("rhythm", List.of("normal", "af"), "heart_rate", List.of());

    @Test
    void theEndBeforeItsWindowsOrAfterGivesTheSameOnePredictionPerTask() throws Exception {
        for (boolean endFirst : new boolean[] {true, false}) {
            try (var h = harness()) {
                List<float[]> rows = new ArrayList<>();
                if (endFirst) {
                    h.processElement2(new StreamRecord<>(end(5)));
                }
                for (int k = 0; k < 5; k++) {
                    float af = 0.1f * (k + 1);
                    rows.add(new float[] {1 - af, af});
                    h.processElement1(new StreamRecord<>(rhythm(k, 1 - af, af)));
                    h.processElement1(new StreamRecord<>(heartRate(k, 60 + k)));
                }
                if (!endFirst) {
                    h.processElement2(new StreamRecord<>(end(5)));
                }
                List<PredictionRecord> out = recordings(h);
                assertThat(out).hasSize(2).allMatch(p -> p.recording && p.windows == 5);
                PredictionRecord r =
                        out.stream().filter(p -> p.task.equals("rhythm")).findFirst().orElseThrow();
                RecordingAggregator.Classification c =
                        RecordingAggregator.classify(rows, 2).orElseThrow();
                assertThat((double) r.scores[1]).isCloseTo(c.probability(1), within(1e-6));
                assertThat(r.label).isEqualTo("normal");
                assertThat(r.windowStartMicros).isEqualTo(REC);
                assertThat(r.windowEndMicros).isEqualTo(REC + 30 * S);
                PredictionRecord hr =
                        out.stream()
                                .filter(p -> p.task.equals("heart_rate"))
                                .findFirst()
                                .orElseThrow();
                assertThat(hr.value).isCloseTo(62.0, within(1e-9));
                // Nothing is left behind for the finished recording.
                assertThat(h.numKeyedStateEntries()).isZero();
            }
        }
    }

    /**
     * The predictions sink reads this operator's output, so every window prediction must come out
     * of it: each one, unchanged, once, in the order received, whatever recording it belongs to (or
     * none), and a recording's own prediction after the window predictions it aggregates.
     */
    @Test
    void passesEveryWindowPredictionOnBeforeItsRecordingsPrediction() throws Exception {
        try (var h = harness()) {
            List<PredictionRecord> sent = new ArrayList<>();
            h.processElement2(new StreamRecord<>(end(2)));
            for (int k = 0; k < 2; k++) {
                sent.add(rhythm(k, 0.7f, 0.3f));
                sent.add(heartRate(k, 70));
            }
            PredictionRecord unrecorded = rhythm(7, 0.1f, 0.9f);
            unrecorded.recordingStartMicros = 0; // a window outside any recording
            sent.add(unrecorded);
            for (PredictionRecord p : sent) {
                h.processElement1(new StreamRecord<>(p, p.windowStartMicros / 1000));
            }
            List<PredictionRecord> out = all(h);
            List<PredictionRecord> windows = out.stream().filter(p -> !p.recording).toList();
            // Field for field (the harness copies what it collects), in order.
            assertThat(windows)
                    .usingRecursiveComparison()
                    .withComparatorForType(Double::compare, Double.class) // NaN equals NaN
                    .isEqualTo(sent);
            // The rhythm recording closes with rhythm's second window, heart rate's with its own.
            assertThat(out.stream().map(p -> (p.recording ? "recording " : "") + p.task).toList())
                    .containsExactly(
                            "rhythm",
                            "heart_rate",
                            "rhythm",
                            "recording rhythm",
                            "heart_rate",
                            "recording heart_rate",
                            "rhythm");
            List<Long> stamps = new ArrayList<>();
            for (Object o : h.getOutput()) {
                if (o instanceof StreamRecord<?> r
                        && !((PredictionRecord) r.getValue()).recording) {
                    stamps.add(r.getTimestamp());
                }
            }
            assertThat(stamps)
                    .containsExactlyElementsOf(
                            sent.stream().map(p -> p.windowStartMicros / 1000).toList());
        }
    }

    @Test
    void waitsForEveryWindowAndIgnoresWindowsOfOtherRecordings() throws Exception {
        try (var h = harness()) {
            h.processElement2(new StreamRecord<>(end(3)));
            h.processElement1(new StreamRecord<>(rhythm(0, 0.9f, 0.1f)));
            PredictionRecord other = rhythm(0, 0.2f, 0.8f);
            other.recordingStartMicros = REC + 100 * S;
            h.processElement1(new StreamRecord<>(other));
            h.processElement1(new StreamRecord<>(rhythm(1, 0.9f, 0.1f)));
            assertThat(recordings(h)).isEmpty();
            h.processElement1(new StreamRecord<>(rhythm(2, 0.9f, 0.1f)));
            assertThat(recordings(h)).hasSize(1);
            assertThat(recordings(h).get(0).label).isEqualTo("normal");
        }
    }

    @Test
    void aRecordingThatNeverEndsIsForgottenAfterTheIdleTimeCountedFromItsLastInput()
            throws Exception {
        long idle = 30 * 60 * 1000L;
        try (var h = harness()) {
            h.setProcessingTime(0);
            h.processElement1(new StreamRecord<>(rhythm(0, 0.9f, 0.1f)));
            // One timer for the device, however many predictions arrive.
            h.setProcessingTime(idle / 2);
            for (int k = 1; k < 4; k++) {
                h.processElement1(new StreamRecord<>(rhythm(k, 0.9f, 0.1f)));
                h.processElement1(new StreamRecord<>(heartRate(k, 60)));
            }
            assertThat(h.numProcessingTimeTimers()).isEqualTo(1);
            // The first deadline passes, but the device was active since: its state stays.
            h.setProcessingTime(idle);
            assertThat(h.numKeyedStateEntries()).isPositive();
            assertThat(h.numProcessingTimeTimers()).isEqualTo(1);
            // Idle for the whole time after its last input: everything of the device is gone.
            h.setProcessingTime(idle / 2 + idle);
            assertThat(h.numKeyedStateEntries()).isZero();
            assertThat(h.numProcessingTimeTimers()).isZero();
            // A window of the forgotten recording arriving later starts afresh, and the end
            // that then says how many windows it had still gives one prediction per task.
            h.processElement1(new StreamRecord<>(rhythm(4, 0.9f, 0.1f)));
            h.processElement1(new StreamRecord<>(heartRate(4, 60)));
            h.processElement2(new StreamRecord<>(end(1)));
            assertThat(recordings(h)).hasSize(2);
            assertThat(h.numKeyedStateEntries()).isZero();
            assertThat(h.numProcessingTimeTimers()).isZero();
        }
    }

    @Test
    void aSegmentLeftWithoutAnEndIsForgottenWhileTheDeviceStaysActive() throws Exception {
        long idle = 30 * 60 * 1000L;
        long next = REC + 3600 * S; // the device's next segment, an hour later in device time
        try (var h = harness()) {
            h.setProcessingTime(0);
            for (int k = 0; k < 3; k++) {
                h.processElement1(new StreamRecord<>(rhythm(k, 0.9f, 0.1f)));
            }
            // The device starts a new segment (a reboot, say) and keeps sending for two idle times.
            for (long t = idle / 4; t <= 2 * idle; t += idle / 4) {
                h.setProcessingTime(t);
                PredictionRecord p = rhythm((int) (t / (idle / 4)), 0.2f, 0.8f);
                p.recordingStartMicros = next;
                h.processElement1(new StreamRecord<>(p));
            }
            assertThat(h.numProcessingTimeTimers()).isEqualTo(1);
            // The first segment's aggregate is gone: its end, had it come, completes nothing.
            h.processElement2(new StreamRecord<>(end(3)));
            assertThat(recordings(h)).isEmpty();
            // The current segment's aggregate is whole: all 8 of its windows.
            h.processElement2(new StreamRecord<>(new RecordingEnd("d", next, next, next, 8)));
            assertThat(recordings(h)).hasSize(1);
            assertThat(recordings(h).get(0).windows).isEqualTo(8);
            assertThat(recordings(h).get(0).label).isEqualTo("af");
            // The first segment's late end waits for windows that will not come; it goes with the
            // device's next check, once nothing of its recording is left.
            h.setProcessingTime(3 * idle);
            assertThat(h.numKeyedStateEntries()).isZero();
        }
    }

    /**
     * A head that fails on windows leaves its task short of the end's count: the other tasks emit,
     * that task's prediction is given up and counted once the idle time has passed, and nothing of
     * the recording stays while the device keeps sending (a head failing on every window has no
     * aggregate at all, and its end stayed as long as the device).
     */
    @Test
    void aTaskWhoseHeadFailedIsGivenUpAndCountedWhileTheDeviceStaysActive() throws Exception {
        long idle = 30 * 60 * 1000L;
        RecordingPredictionFunction f = new RecordingPredictionFunction(TASKS, idle);
        try (var h = harness(f)) {
            // Heart rate fails on 1 of 5 windows of the first recording, then on every window.
            for (int r = 0; r < 20; r++) {
                h.setProcessingTime(r * idle / 4);
                long start = REC + r * 3600 * S;
                for (int k = 0; k < 5; k++) {
                    PredictionRecord rh = rhythm(k, 0.9f, 0.1f);
                    rh.recordingStartMicros = start;
                    h.processElement1(new StreamRecord<>(rh));
                    if (r == 0 && k < 4) {
                        PredictionRecord hr = heartRate(k, 60);
                        hr.recordingStartMicros = start;
                        h.processElement1(new StreamRecord<>(hr));
                    }
                }
                h.processElement2(
                        new StreamRecord<>(new RecordingEnd("d", start, start, start + S, 5)));
                // At most the last idle time's recordings are held (4 of them), 3 entries each.
                assertThat(h.numKeyedStateEntries())
                        .as("state after recording %d", r)
                        .isLessThan(20);
            }
            assertThat(recordings(h)).hasSize(20).allMatch(p -> p.task.equals("rhythm"));
            // The first recordings' ends are older than the idle time: given up, counted.
            assertThat(f.abandonedCount()).isBetween(15L, 17L);
            h.setProcessingTime(20 * idle);
            assertThat(h.numKeyedStateEntries()).isZero();
            assertThat(f.abandonedCount()).isEqualTo(20);
        }
    }

    /** A recording's predictions come out in the bundle's task order, on every JVM. */
    @Test
    void recordingPredictionsComeOutInTheBundlesTaskOrder() throws Exception {
        Map<String, List<String>> ordered = new java.util.LinkedHashMap<>();
        for (String task : List.of("t3", "t1", "t5", "t2", "t4", "t0")) {
            ordered.put(task, List.of());
        }
        try (var h = harness(new RecordingPredictionFunction(ordered, 30 * 60 * 1000L))) {
            for (String task : ordered.keySet()) {
                PredictionRecord p = base(0, task);
                p.scores = new float[0];
                p.value = 1;
                h.processElement1(new StreamRecord<>(p));
            }
            h.processElement2(new StreamRecord<>(end(1)));
            assertThat(recordings(h).stream().map(p -> p.task))
                    .containsExactlyElementsOf(ordered.keySet());
        }
    }

    private static KeyedTwoInputStreamOperatorTestHarness<
                    String, PredictionRecord, RecordingEnd, PredictionRecord>
            harness() throws Exception {
        return harness(new RecordingPredictionFunction(TASKS, 30 * 60 * 1000L));
    }

    private static KeyedTwoInputStreamOperatorTestHarness<
                    String, PredictionRecord, RecordingEnd, PredictionRecord>
            harness(RecordingPredictionFunction f) throws Exception {
        var h =
                new KeyedTwoInputStreamOperatorTestHarness<>(
                        new KeyedCoProcessOperator<>(f),
                        (PredictionRecord p) -> p.deviceId,
                        (RecordingEnd e) -> e.deviceId,
                        TypeInformation.of(String.class));
        h.open();
        return h;
    }

    private static RecordingEnd end(int windows) {
        return new RecordingEnd("d", REC, REC, REC + 30 * S, windows);
    }

    private static PredictionRecord base(int k, String task) {
        PredictionRecord p = new PredictionRecord();
        p.deviceId = "d";
        p.windowStartMicros = REC + k * 5 * S;
        p.windowEndMicros = p.windowStartMicros + 10 * S;
        p.task = task;
        p.headName = task + "-head";
        p.headVersion = "1";
        p.recordingStartMicros = REC;
        return p;
    }

    private static PredictionRecord rhythm(int k, float normal, float af) {
        PredictionRecord p = base(k, "rhythm");
        p.classification = true;
        p.scores = new float[] {normal, af};
        p.label = normal >= af ? "normal" : "af";
        p.value = Double.NaN;
        return p;
    }

    private static PredictionRecord heartRate(int k, double bpm) {
        PredictionRecord p = base(k, "heart_rate");
        p.scores = new float[0];
        p.value = bpm;
        return p;
    }

    /** The recording-level predictions emitted so far. */
    private static List<PredictionRecord> recordings(
            KeyedTwoInputStreamOperatorTestHarness<
                            String, PredictionRecord, RecordingEnd, PredictionRecord>
                    h) {
        return all(h).stream().filter(p -> p.recording).toList();
    }

    /** Everything emitted so far, in order. */
    private static List<PredictionRecord> all(
            KeyedTwoInputStreamOperatorTestHarness<
                            String, PredictionRecord, RecordingEnd, PredictionRecord>
                    h) {
        List<PredictionRecord> out = new ArrayList<>();
        for (Object o : h.getOutput()) {
            if (o instanceof StreamRecord<?> r) {
                out.add((PredictionRecord) r.getValue());
            }
        }
        return out;
    }
}
