package io.fmstream.job.functions;

import io.fmstream.core.ingest.ChunkValidator;
import io.fmstream.core.ingest.ValidationRules;
import io.fmstream.core.records.ChunkRecord;
import io.fmstream.core.records.SourceRef;
import io.fmstream.metrics.FmstreamMetrics;
import io.fmstream.schemas.SignalType;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/** Adapter: decodes and validates raw sensor records; rejects go to the dead-letter side output. */
public class DecodeValidateFunction extends ProcessFunction<SourceRef, ChunkRecord> {
    private static final long serialVersionUID = 1L;

    private final ValidationRules rules;
    private final SignalType served;
    private transient ChunkValidator validator;
    private transient DeadLetters deadLetters;
    private transient Counter recordsIn;
    private transient Counter valid;

    /**
     * @param served the signal type of the bundle's encoder (its manifest's {@code signalType})
     */
    public DecodeValidateFunction(ValidationRules rules, SignalType served) {
        this.rules = rules;
        this.served = served;
    }

    @Override
    public void open(OpenContext openContext) {
        validator = new ChunkValidator(rules, served);
        deadLetters = new DeadLetters(getRuntimeContext().getMetricGroup());
        recordsIn = getRuntimeContext().getMetricGroup().counter(FmstreamMetrics.RECORDS_IN);
        valid = getRuntimeContext().getMetricGroup().counter(FmstreamMetrics.CHUNKS_VALID);
    }

    @Override
    public void processElement(SourceRef raw, Context ctx, Collector<ChunkRecord> out) {
        recordsIn.inc();
        ChunkValidator.Result result = validator.validate(raw);
        if (result.chunk != null) {
            valid.inc();
            out.collect(result.chunk);
        } else {
            deadLetters.count(result.deadLetter);
            ctx.output(DeadLetters.TAG, result.deadLetter);
        }
    }
}
