package io.fmstream.job.io;

import io.fmstream.core.records.PredictionRecord;
import io.fmstream.schemas.HeadKind;
import io.fmstream.schemas.Prediction;
import io.fmstream.schemas.codec.RecordCodec;
import java.util.ArrayList;
import java.util.List;

/** PredictionRecord to a Prediction on the predictions topic (all tasks, keyed by device). */
public final class PredictionSerializer extends LatencyTrackingSerializer<PredictionRecord> {
    private static final long serialVersionUID = 1L;

    private final EncoderIdentity encoder;
    private transient RecordCodec<Prediction> codec;

    public PredictionSerializer(String topic, EncoderIdentity encoder) {
        super(topic);
        this.encoder = encoder;
    }

    @Override
    void openCodec() {
        codec = RecordCodec.forType(Prediction.class);
    }

    @Override
    byte[] key(PredictionRecord p) {
        return utf8(p.deviceId);
    }

    @Override
    long originAppendTimeMillis(PredictionRecord p) {
        return p.newestAppendTimeMillis;
    }

    @Override
    byte[] encode(PredictionRecord p, long nowMillis) {
        List<Float> scores = new ArrayList<>(p.scores.length);
        for (float s : p.scores) {
            scores.add(s);
        }
        return codec.encode(
                Prediction.newBuilder()
                        .setDeviceId(p.deviceId)
                        .setWindowStartMicros(p.windowStartMicros)
                        .setWindowEndMicros(p.windowEndMicros)
                        .setTask(p.task)
                        .setHeadName(p.headName)
                        .setHeadVersion(p.headVersion)
                        .setEncoderId(encoder.toAvro())
                        .setKind(p.classification ? HeadKind.CLASSIFICATION : HeadKind.REGRESSION)
                        .setLabel(p.label)
                        .setScores(scores)
                        .setValue(p.classification ? null : p.value)
                        .setMissingFraction(p.missingFraction)
                        .setNewestChunkAppendTimeMillis(p.newestAppendTimeMillis)
                        .setEmitTimeMillis(nowMillis)
                        .setScope(
                                p.recording
                                        ? io.fmstream.schemas.PredictionScope.RECORDING
                                        : io.fmstream.schemas.PredictionScope.WINDOW)
                        .setWindows(p.windows)
                        .build());
    }
}
