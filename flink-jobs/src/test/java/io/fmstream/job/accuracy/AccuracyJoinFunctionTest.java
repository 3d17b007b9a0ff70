package io.fmstream.job.accuracy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.core.accuracy.TruthSpan;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class AccuracyJoinFunctionTest {

    private static final long S = 1_000_000L;
    private static final long T0 = 1_800_000_000L * S;
    private static final long HORIZON = 10 * 60 * 1000L;

    @Test
    void aDeviceWhoseTruthAndPredictionsStopIsForgottenAfterAHorizonOfSilence() throws Exception {
        try (var h = harness()) {
            h.setProcessingTime(0);
            h.processElement2(new StreamRecord<>(span(0, 60)));
            h.processElement1(new StreamRecord<>(prediction(10)));
            h.processElement1(new StreamRecord<>(prediction(20)));
            assertThat(scored(h)).hasSize(2);
            // Still active half a horizon later: its spans stay for the predictions to come.
            h.setProcessingTime(HORIZON / 2);
            h.processElement1(new StreamRecord<>(prediction(30)));
            h.setProcessingTime(HORIZON);
            assertThat(h.numKeyedStateEntries()).isPositive();
            assertThat(h.numProcessingTimeTimers()).isEqualTo(1);
            // Then silence: after a horizon of it, nothing of the device is left, timer included.
            h.setProcessingTime(HORIZON / 2 + 2 * HORIZON);
            assertThat(h.numKeyedStateEntries()).isZero();
            assertThat(h.numProcessingTimeTimers()).isZero();
            assertThat(scored(h)).hasSize(3);
        }
    }

    @Test
    void aPredictionWaitingForTruthKeepsItsDeviceUntilItsHorizonAndIsScoredWhenTruthComes()
            throws Exception {
        try (var h = harness()) {
            h.setProcessingTime(0);
            h.processElement2(new StreamRecord<>(span(0, 10)));
            h.processElement1(new StreamRecord<>(prediction(20)));
            assertThat(scored(h)).isEmpty();
            h.setProcessingTime(HORIZON - 1);
            assertThat(h.numKeyedStateEntries()).isPositive();
            h.processElement2(new StreamRecord<>(span(10, 60)));
            assertThat(scored(h)).hasSize(1);
            assertThat(scored(h).get(0).truthLabel).isEqualTo("normal");
            assertThat(scored(h).get(0).agree).isEqualTo(1);
        }
    }

    private static KeyedTwoInputStreamOperatorTestHarness<
                    String, PendingPrediction, TruthSpan, ScoredPrediction>
            harness() throws Exception {
        var h =
                new KeyedTwoInputStreamOperatorTestHarness<>(
                        new KeyedCoProcessOperator<>(new AccuracyJoinFunction(HORIZON)),
                        (PendingPrediction p) -> p.deviceId,
                        (TruthSpan t) -> t.deviceId,
                        TypeInformation.of(String.class));
        h.open();
        return h;
    }

    private static TruthSpan span(long fromSecond, long toSecond) {
        return new TruthSpan("d", T0 + fromSecond * S, T0 + toSecond * S, 70, "NORMAL", 0.01);
    }

    /** The rhythm prediction of the 10-s window starting {@code second} s after T0. */
    private static PendingPrediction prediction(long second) {
        PendingPrediction p = new PendingPrediction();
        p.deviceId = "d";
        p.windowStartMicros = T0 + (second - 10) * S;
        p.windowEndMicros = T0 + second * S;
        p.task = "rhythm";
        p.headName = "rhythm-head";
        p.headVersion = "1";
        p.encoderSha256 = "0".repeat(64);
        p.label = "normal";
        return p;
    }

    private static List<ScoredPrediction> scored(
            KeyedTwoInputStreamOperatorTestHarness<
                            String, PendingPrediction, TruthSpan, ScoredPrediction>
                    h) {
        List<ScoredPrediction> out = new ArrayList<>();
        for (Object o : h.getOutput()) {
            if (o instanceof StreamRecord<?> r) {
                out.add((ScoredPrediction) r.getValue());
            }
        }
        return out;
    }
}
