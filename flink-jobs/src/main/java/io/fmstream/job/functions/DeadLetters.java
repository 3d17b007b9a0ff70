package io.fmstream.job.functions;

import io.fmstream.core.records.DeadLetterRecord;
import io.fmstream.metrics.FmstreamMetrics;
import io.fmstream.schemas.DeadLetterReason;
import java.util.Map;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.util.OutputTag;

/**
 * The dead-letter side output and its per-reason counters, shared by the operators that reject
 * input.
 */
public final class DeadLetters {

    /** Side output of every operator that rejects input. */
    public static final OutputTag<DeadLetterRecord> TAG = new OutputTag<>("dead-letters") {};

    private final Map<DeadLetterReason, Counter> counters;

    /** Registers one counter per reason so every series exists (at 0) from the start. */
    public DeadLetters(MetricGroup operatorGroup) {
        counters =
                FmstreamMetrics.countersPerConstant(
                        operatorGroup,
                        FmstreamMetrics.DEAD_LETTERS,
                        FmstreamMetrics.REASON,
                        DeadLetterReason.class,
                        DeadLetterReason::name);
    }

    public void count(DeadLetterRecord record) {
        counters.get(record.reason).inc();
    }
}
