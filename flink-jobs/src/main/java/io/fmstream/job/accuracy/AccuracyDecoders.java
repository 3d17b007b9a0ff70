package io.fmstream.job.accuracy;

import io.fmstream.core.accuracy.TruthSpan;
import io.fmstream.core.records.SourceRef;
import io.fmstream.metrics.FmstreamMetrics;
import io.fmstream.schemas.GroundTruth;
import io.fmstream.schemas.HeadKind;
import io.fmstream.schemas.Prediction;
import io.fmstream.schemas.PredictionScope;
import io.fmstream.schemas.codec.DecodeException;
import io.fmstream.schemas.codec.RecordCodec;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The accuracy job's inputs decoded from their topics. A record that does not decode is counted
 * ({@code fmstream_accuracy_unscored{reason="undecodable"}}) and skipped: the accuracy job only
 * reads, it has no dead-letter topic of its own, and the inference job's outputs always decode.
 */
final class AccuracyDecoders {

    private AccuracyDecoders() {}

    /** Decodes one record type and converts it; counts and skips what does not decode. */
    abstract static class Decoder<A extends SpecificRecordBase, T>
            extends ProcessFunction<SourceRef, T> {
        private static final long serialVersionUID = 1L;
        private final Class<A> type;
        private transient RecordCodec<A> codec;
        private transient Counter undecodable;

        Decoder(Class<A> type) {
            this.type = type;
        }

        @Override
        public void open(OpenContext openContext) {
            codec = RecordCodec.forType(type);
            undecodable =
                    getRuntimeContext()
                            .getMetricGroup()
                            .addGroup(FmstreamMetrics.REASON, "undecodable")
                            .counter(FmstreamMetrics.ACCURACY_UNSCORED);
        }

        @Override
        public void processElement(SourceRef r, Context ctx, Collector<T> out) {
            A record;
            try {
                record = codec.decode(r.payload);
            } catch (DecodeException e) {
                undecodable.inc();
                return;
            }
            out.collect(convert(record));
        }

        abstract T convert(A record);
    }

    static final class Predictions extends Decoder<Prediction, PendingPrediction> {
        private static final long serialVersionUID = 1L;

        Predictions() {
            super(Prediction.class);
        }

        @Override
        PendingPrediction convert(Prediction p) {
            PendingPrediction q = new PendingPrediction();
            q.deviceId = p.getDeviceId();
            q.windowStartMicros = p.getWindowStartMicros();
            q.windowEndMicros = p.getWindowEndMicros();
            q.recording = p.getScope() == PredictionScope.RECORDING;
            q.task = p.getTask();
            q.headName = p.getHeadName();
            q.headVersion = p.getHeadVersion();
            q.encoderSha256 = p.getEncoderId().getSha256();
            if (p.getKind() == HeadKind.CLASSIFICATION) {
                q.label = p.getLabel();
            } else {
                q.value = p.getValue() == null ? Double.NaN : p.getValue();
            }
            return q;
        }
    }

    static final class Truths extends Decoder<GroundTruth, TruthSpan> {
        private static final long serialVersionUID = 1L;

        Truths() {
            super(GroundTruth.class);
        }

        @Override
        TruthSpan convert(GroundTruth g) {
            return new TruthSpan(
                    g.getDeviceId(),
                    g.getSpanStartMicros(),
                    g.getSpanEndMicros(),
                    g.getHeartRateBpm() == null ? Double.NaN : g.getHeartRateBpm(),
                    g.getRhythm().name(),
                    g.getNoiseRmsMv() == null ? Double.NaN : g.getNoiseRmsMv());
        }
    }
}
