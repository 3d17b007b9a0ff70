package io.fmstream.job.functions;

import io.fmstream.core.batch.EmbeddingBatch;
import io.fmstream.core.records.WindowRecord;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Embeds windows from many devices with one encoder call per micro-batch, cut on a deadline ({@code
 * fmstream.batch.policy=DEADLINE}; the default since 643013b is {@code CONTINUOUS}, {@link
 * ContinuousBatchEmbedOperator}), in the task thread.
 *
 * <p>A batch is flushed when it is full, when its oldest window has waited {@code maxDelayMillis}
 * (processing-time timer), before a watermark is forwarded (so no window falls behind the watermark
 * it was emitted under), at end of input, and in {@link #prepareSnapshotPreBarrier}: records
 * emitted there still precede the checkpoint barrier, so nothing buffered can escape a checkpoint
 * (records emitted in {@code snapshotState} would follow the barrier and be lost on failure).
 * Because the buffer is always empty at a barrier, the operator has no state. Each output keeps its
 * window's timestamp.
 *
 * <p>Flink's AsyncWaitOperator is not used: it calls the model once per record and cannot share one
 * call across records.
 */
public class MicroBatchEmbedOperator extends AbstractEmbedOperator {
    private static final long serialVersionUID = 1L;

    private final long maxDelayMillis;

    private transient EmbeddingBatch batch;

    /** Each buffered window's timestamp (Long.MIN_VALUE: none), by its place in the batch. */
    private transient long[] timestamps;

    /** Each buffered window's arrival, {@link System#nanoTime}, by its place in the batch. */
    private transient long[] arrivals;

    private transient long batchGeneration;

    /**
     * @param encoderSha256 the encoder the job was built with (its manifest at submission); checked
     *     at open
     */
    public MicroBatchEmbedOperator(
            String bundleUri,
            String encoderSha256,
            int batchSize,
            long maxDelayMillis,
            int configuredThreads) {
        super(bundleUri, encoderSha256, batchSize, configuredThreads);
        this.maxDelayMillis = maxDelayMillis;
    }

    @Override
    public void open() throws Exception {
        super.open();
        batch = newBatch();
        timestamps = new long[batchSize];
        arrivals = new long[batchSize];
    }

    @Override
    public void processElement(StreamRecord<WindowRecord> element) {
        if (batch.isEmpty()) {
            long generation = batchGeneration;
            long deadline = getProcessingTimeService().getCurrentProcessingTime() + maxDelayMillis;
            getProcessingTimeService()
                    .registerTimer(
                            deadline,
                            time -> {
                                // A timer from a batch that was already flushed by another trigger
                                // is stale.
                                if (generation == batchGeneration && !batch.isEmpty()) {
                                    emitHeld(Trigger.DEADLINE);
                                }
                            });
        }
        timestamps[batch.size()] = timestampOf(element);
        arrivals[batch.size()] = System.nanoTime();
        if (batch.add(element.getValue())) {
            emitHeld(Trigger.SIZE);
        }
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        emitHeld(Trigger.WATERMARK);
        super.processWatermark(mark);
    }

    @Override
    protected void emitHeld(Trigger trigger) {
        if (batch.isEmpty()) {
            return;
        }
        Encoded encoded = encode(batch);
        count(encoded, trigger, arrivals);
        emit(encoded, timestamps, 0, encoded.embeddings.size());
        batchGeneration++;
    }
}
