package io.fmstream.job.functions;

import io.fmstream.core.batch.EmbeddingBatch;
import io.fmstream.core.model.ModelBundle;
import io.fmstream.core.records.EmbeddingRecord;
import io.fmstream.core.records.WindowRecord;
import io.fmstream.job.io.FlinkBundleFiles;
import io.fmstream.metrics.FmstreamMetrics;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.List;
import java.util.Map;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;

/**
 * What the two batching policies' encoder operators share: the bundle, one encoder call with its
 * wall and CPU time, and the emission of a call's embeddings with the metrics of the batch. The
 * policies differ only in when a batch is cut ({@link MicroBatchEmbedOperator}: on a deadline, in
 * the task thread; {@link ContinuousBatchEmbedOperator}: whenever the encoder is free, in a thread
 * of its own).
 */
public abstract class AbstractEmbedOperator extends AbstractStreamOperator<EmbeddingRecord>
        implements OneInputStreamOperator<WindowRecord, EmbeddingRecord>, BoundedOneInput {
    private static final long serialVersionUID = 1L;

    /** Why a batch was cut; a label of {@link FmstreamMetrics#BATCHES}. */
    public enum Trigger {
        /** The batch was full. */
        SIZE,
        /** Its oldest window had waited the longest allowed (deadline policy). */
        DEADLINE,
        /** A watermark was to be forwarded (deadline policy). */
        WATERMARK,
        /**
         * The input went idle: what is held goes out before the idle status, since a watermark
         * emitted after it would be dropped and windows would follow it.
         */
        IDLE,
        /** A checkpoint barrier was to be forwarded. */
        CHECKPOINT,
        /** The input ended. */
        END_OF_INPUT,
        /** The encoder was free: idle when the window came, or done with its previous call. */
        ENCODER_FREE
    }

    protected final int batchSize;
    private final String bundleUri;
    private final String encoderSha256;
    private final int configuredThreads;

    protected transient ModelBundle bundle;
    private transient Map<Trigger, Counter> batches;
    private transient Histogram batchSizes;
    private transient Histogram inferenceMicros;
    private transient Histogram inferenceCpuMicros;
    private transient Histogram waitMicros;
    private transient ThreadMXBean threadCpu;
    private transient Counter embeddings;

    /**
     * @param encoderSha256 the encoder the job was built with (its manifest at submission); checked
     *     at open
     */
    protected AbstractEmbedOperator(
            String bundleUri, String encoderSha256, int batchSize, int configuredThreads) {
        this.bundleUri = bundleUri;
        this.encoderSha256 = encoderSha256;
        this.batchSize = batchSize;
        this.configuredThreads = configuredThreads;
    }

    @Override
    public void open() throws Exception {
        super.open();
        bundle =
                ModelBundle.loadEncoder(
                        new FlinkBundleFiles(bundleUri),
                        OnnxThreads.resolve(configuredThreads, this),
                        encoderSha256);
        batches =
                FmstreamMetrics.countersPerConstant(
                        getMetricGroup(),
                        FmstreamMetrics.BATCHES,
                        FmstreamMetrics.TRIGGER,
                        Trigger.class,
                        t -> t.name().toLowerCase());
        batchSizes = histogram(FmstreamMetrics.BATCH_WINDOWS);
        inferenceMicros = histogram(FmstreamMetrics.INFERENCE_SECONDS);
        // The bundle in service, as labels of a constant 1: dashboards show it, alerts join on it.
        getMetricGroup()
                .addGroup(FmstreamMetrics.BUNDLE_ID, bundle.manifest().bundleId())
                .addGroup(FmstreamMetrics.BUNDLE_VERSION, bundle.manifest().version())
                .addGroup(FmstreamMetrics.ENCODER_SHA256, encoderSha256)
                .gauge(FmstreamMetrics.BUNDLE_INFO, () -> 1);
        inferenceCpuMicros = histogram(FmstreamMetrics.INFERENCE_CPU_SECONDS);
        waitMicros = histogram(FmstreamMetrics.ENCODER_WAIT_SECONDS);
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        threadCpu = mx.isCurrentThreadCpuTimeSupported() ? mx : null;
        embeddings = getMetricGroup().counter(FmstreamMetrics.EMBEDDINGS);
    }

    /** Registers one of the histograms {@link FmstreamMetrics} defines, under its own name. */
    private Histogram histogram(String name) {
        return getMetricGroup().histogram(name, FmstreamMetrics.histogram(name));
    }

    /** A new, empty batch of this operator's size for its encoder. */
    protected final EmbeddingBatch newBatch() {
        return new EmbeddingBatch(
                batchSize, bundle.encoder().inputLength(), bundle.encoder().embeddingDim());
    }

    /**
     * One encoder call's embeddings, in the batch's order, with when it started ({@link
     * System#nanoTime}) and its wall and CPU time.
     */
    protected static final class Encoded {
        final List<EmbeddingRecord> embeddings;
        final long startNanos;
        final long wallMicros;

        /** -1 where the JVM cannot tell a thread's CPU time. */
        final long cpuMicros;

        Encoded(
                List<EmbeddingRecord> embeddings,
                long startNanos,
                long wallMicros,
                long cpuMicros) {
            this.embeddings = embeddings;
            this.startNanos = startNanos;
            this.wallMicros = wallMicros;
            this.cpuMicros = cpuMicros;
        }
    }

    /**
     * Runs the encoder once over {@code batch} and empties it. Touches no metric and no output, so
     * any one thread may call it while the task thread goes on.
     */
    protected final Encoded encode(EmbeddingBatch batch) {
        // Wall time and CPU time of the same call: where they part, the thread waited for a core.
        // The wall-clock bracket encloses the CPU one, so the CPU reads' own cost (about a
        // microsecond each) lands in the wall time and CPU never reads above wall: with the
        // other order a call of a few microseconds (the fixture encoder) measured more CPU than
        // wall time.
        long start = System.nanoTime();
        long cpuStart = threadCpuNanos();
        List<EmbeddingRecord> out = batch.embed(bundle.encoder());
        long cpuEnd = threadCpuNanos();
        long wallMicros = (System.nanoTime() - start) / 1000;
        long cpuMicros = cpuStart >= 0 && cpuEnd >= 0 ? (cpuEnd - cpuStart) / 1000 : -1;
        return new Encoded(out, start, wallMicros, cpuMicros);
    }

    /**
     * Counts a finished call: its batch's size and trigger, its wall and CPU time, and each
     * window's wait from its arrival ({@code arrivalNanos}, {@link System#nanoTime}, by place in
     * the batch) to the call's start.
     */
    protected final void count(Encoded encoded, Trigger trigger, long[] arrivalNanos) {
        int n = encoded.embeddings.size();
        for (int i = 0; i < n; i++) {
            waitMicros.update(Math.max(0, encoded.startNanos - arrivalNanos[i]) / 1000);
        }
        inferenceMicros.update(encoded.wallMicros);
        if (encoded.cpuMicros >= 0) {
            inferenceCpuMicros.update(encoded.cpuMicros);
        }
        batchSizes.update(n);
        batches.get(trigger).inc();
        embeddings.inc(n);
    }

    /**
     * Emits a call's embeddings {@code from} (inclusive) {@code to} (exclusive), each with its
     * window's timestamp ({@code Long.MIN_VALUE}: none). Task thread only.
     */
    protected final void emit(Encoded encoded, long[] timestamps, int from, int to) {
        for (int i = from; i < to; i++) {
            long ts = timestamps[i];
            EmbeddingRecord e = encoded.embeddings.get(i);
            output.collect(
                    ts == Long.MIN_VALUE ? new StreamRecord<>(e) : new StreamRecord<>(e, ts));
        }
    }

    /** A record's timestamp as {@link #emit} takes it. */
    protected static long timestampOf(StreamRecord<?> element) {
        return element.hasTimestamp() ? element.getTimestamp() : Long.MIN_VALUE;
    }

    /**
     * Encodes and emits every window the operator holds, with anything held behind them (a
     * watermark), before the task thread goes on; {@code trigger} labels the calls it makes. Task
     * thread only.
     */
    protected abstract void emitHeld(Trigger trigger) throws Exception;

    @Override
    public void processWatermarkStatus(WatermarkStatus status) throws Exception {
        // Keep the stream's order: Flink's outputs drop a watermark emitted while the announced
        // status is idle, and windows emitted after the status would go onto an output downstream
        // already leaves out of its watermark. An input goes idle rarely (a partition falls
        // silent), so emitting what is held then costs nothing measurable.
        if (status.isIdle()) {
            emitHeld(Trigger.IDLE);
        }
        super.processWatermarkStatus(status);
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        // Records emitted after the barrier would escape the checkpoint: the operator has no state.
        emitHeld(Trigger.CHECKPOINT);
        super.prepareSnapshotPreBarrier(checkpointId);
    }

    @Override
    public void endInput() throws Exception {
        emitHeld(Trigger.END_OF_INPUT);
    }

    /** This thread's CPU time, ns, or -1 where the JVM cannot tell (the histogram stays empty). */
    private long threadCpuNanos() {
        return threadCpu == null ? -1 : threadCpu.getCurrentThreadCpuTime();
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
