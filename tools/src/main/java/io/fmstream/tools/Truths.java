package io.fmstream.tools;

import io.fmstream.data.sim.GroundTruthSpan;
import io.fmstream.schemas.GroundTruth;
import io.fmstream.schemas.Rhythm;

/** The simulator's ground truth on the wire. */
final class Truths {

    private Truths() {}

    static GroundTruth toAvro(GroundTruthSpan span, String source) {
        return GroundTruth.newBuilder()
                .setDeviceId(span.deviceId())
                .setSpanStartMicros(span.startMicros())
                .setSpanEndMicros(span.endMicros())
                .setHeartRateBpm(span.meanHeartRateBpm())
                .setRhythm(Rhythm.valueOf(span.rhythm().name()))
                .setRhythmFraction((float) span.rhythmFraction())
                .setNoiseRmsMv((float) span.noiseRmsMv())
                .setDroppedFraction((float) span.droppedFraction())
                .setSource(source)
                .build();
    }
}
