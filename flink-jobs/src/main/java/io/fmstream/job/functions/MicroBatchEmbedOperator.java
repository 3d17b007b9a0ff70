package io.fmstream.job.functions;

import io.fmstream.core.batch.EmbeddingBatch;
import io.fmstream.core.model.ModelBundle;
import io.fmstream.core.records.EmbeddingRecord;
import io.fmstream.core.records.WindowRecord;
import io.fmstream.job.io.FlinkBundleFiles;
import io.fmstream.metrics.FmstreamMetrics;
import java.util.List;
import java.util.Map;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Embeds windows from many devices with one encoder call per micro-batch.
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
public class MicroBatchEmbedOperator extends AbstractStreamOperator<EmbeddingRecord>
        implements OneInputStreamOperator<WindowRecord, EmbeddingRecord>, BoundedOneInput {
    private static final long serialVersionUID = 1L;

    /** Why a batch was flushed; a label of {@link FmstreamMetrics#BATCHES}. */
    public enum Trigger {
        SIZE,
        DEADLINE,
        WATERMARK,
        CHECKPOINT,
        END_OF_INPUT
    }

    private final String bundleUri;
    private final String encoderSha256;
    private final int batchSize;
    private final long maxDelayMillis;
    private final int configuredThreads;

    private transient ModelBundle bundle;
    private transient EmbeddingBatch batch;

    /** Each buffered window's timestamp (Long.MIN_VALUE: none), by its place in the batch. */
    private transient long[] timestamps;

    private transient long batchGeneration;
    private transient Map<Trigger, Counter> batches;
    private transient Histogram batchSizes;
    private transient Histogram inferenceMicros;
    private transient Histogram inferenceCpuMicros;
    private transient java.lang.management.ThreadMXBean threadCpu;
    private transient Counter embeddings;

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
        this.bundleUri = bundleUri;
        this.encoderSha256 = encoderSha256;
        this.batchSize = batchSize;
        this.maxDelayMillis = maxDelayMillis;
        this.configuredThreads = configuredThreads;
    }

    @Override
    public void open() throws Exception {
        super.open();
        bundle = ModelBundle.load(new FlinkBundleFiles(bundleUri), onnxThreads(), encoderSha256);
        batch =
                new EmbeddingBatch(
                        batchSize, bundle.encoder().inputLength(), bundle.encoder().embeddingDim());
        timestamps = new long[batchSize];
        batches =
                FmstreamMetrics.countersPerConstant(
                        getMetricGroup(),
                        FmstreamMetrics.BATCHES,
                        FmstreamMetrics.TRIGGER,
                        Trigger.class,
                        t -> t.name().toLowerCase());
        batchSizes =
                getMetricGroup()
                        .histogram(
                                FmstreamMetrics.BATCH_WINDOWS,
                                FmstreamMetrics.histogram(FmstreamMetrics.BATCH_WINDOWS));
        inferenceMicros =
                getMetricGroup()
                        .histogram(
                                FmstreamMetrics.INFERENCE_SECONDS,
                                FmstreamMetrics.histogram(FmstreamMetrics.INFERENCE_SECONDS));
        // The bundle in service, as labels of a constant 1: dashboards show it, alerts join on it.
        getMetricGroup()
                .addGroup(FmstreamMetrics.BUNDLE_ID, bundle.manifest().bundleId())
                .addGroup(FmstreamMetrics.BUNDLE_VERSION, bundle.manifest().version())
                .addGroup(FmstreamMetrics.ENCODER_SHA256, encoderSha256)
                .gauge(FmstreamMetrics.BUNDLE_INFO, () -> 1);
        inferenceCpuMicros =
                getMetricGroup()
                        .histogram(
                                FmstreamMetrics.INFERENCE_CPU_SECONDS,
                                FmstreamMetrics.histogram(FmstreamMetrics.INFERENCE_CPU_SECONDS));
        java.lang.management.ThreadMXBean mx =
                java.lang.management.ManagementFactory.getThreadMXBean();
        threadCpu = mx.isCurrentThreadCpuTimeSupported() ? mx : null;
        embeddings = getMetricGroup().counter(FmstreamMetrics.EMBEDDINGS);
    }

    /** This thread's CPU time, ns, or -1 where the JVM cannot tell (the histogram stays empty). */
    private long threadCpuNanos() {
        return threadCpu == null ? -1 : threadCpu.getCurrentThreadCpuTime();
    }

    /** Threads of the TaskManager-wide ONNX Runtime pool: configured, or cores divided by slots. */
    private int onnxThreads() {
        return OnnxThreads.resolve(configuredThreads, this);
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
                                    flush(Trigger.DEADLINE);
                                }
                            });
        }
        timestamps[batch.size()] = element.hasTimestamp() ? element.getTimestamp() : Long.MIN_VALUE;
        if (batch.add(element.getValue())) {
            flush(Trigger.SIZE);
        }
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        flush(Trigger.WATERMARK);
        super.processWatermark(mark);
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        flush(Trigger.CHECKPOINT);
        super.prepareSnapshotPreBarrier(checkpointId);
    }

    @Override
    public void endInput() {
        flush(Trigger.END_OF_INPUT);
    }

    private void flush(Trigger trigger) {
        if (batch.isEmpty()) {
            return;
        }
        int n = batch.size();
        // Wall time and CPU time of the same call: where they part, the thread waited for a core.
        // The wall-clock bracket encloses the CPU one, so the CPU reads' own cost (about a
        // microsecond each) lands in the wall time and CPU never reads above wall: with the
        // other order a call of a few microseconds (the fixture encoder) measured more CPU than
        // wall time.
        long start = System.nanoTime();
        long cpuStart = threadCpuNanos();
        List<EmbeddingRecord> out = batch.embed(bundle.encoder());
        long cpuEnd = threadCpuNanos();
        inferenceMicros.update((System.nanoTime() - start) / 1000);
        if (cpuStart >= 0 && cpuEnd >= 0) {
            inferenceCpuMicros.update((cpuEnd - cpuStart) / 1000);
        }
        batchSizes.update(n);
        batches.get(trigger).inc();
        embeddings.inc(n);
        for (int i = 0; i < n; i++) {
            long ts = timestamps[i];
            StreamRecord<EmbeddingRecord> record =
                    ts == Long.MIN_VALUE
                            ? new StreamRecord<>(out.get(i))
                            : new StreamRecord<>(out.get(i), ts);
            output.collect(record);
        }
        batchGeneration++;
    }

    @Override
    public void close() throws Exception {
        try {
            if (bundle != null) {
                bundle.close();
            }
        } finally {
            super.close();
        }
    }
}
