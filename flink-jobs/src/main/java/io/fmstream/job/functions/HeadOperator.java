package io.fmstream.job.functions;

import io.fmstream.core.model.HeadKind;
import io.fmstream.core.model.HeadRunner;
import io.fmstream.core.model.ModelBundle;
import io.fmstream.core.records.EmbeddingRecord;
import io.fmstream.core.records.PredictionRecord;
import io.fmstream.job.io.FlinkBundleFiles;
import io.fmstream.metrics.FmstreamMetrics;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailbox;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One downstream task: applies its head to every embedding. Each task is its own operator, so tasks
 * run as parallel branches over the one embedding stream and the encoder runs once per window
 * however many tasks there are. The ONNX session is shared with every other operator of the
 * TaskManager that uses the same file.
 *
 * <p><b>One head call per encoder batch, not per window.</b> The encoder emits a whole micro-batch
 * at once, and an ONNX Runtime call costs 7-10 µs whatever its size, several times what a head's
 * arithmetic costs per window (0.4-0.6 µs at 64 windows per call against 7-10 µs at one, measured
 * on ecg-fm-v2's three heads). So the operator collects what arrives and applies the head once, in
 * a mail it puts into the task's mailbox when the first embedding arrives: the task thread runs
 * mails before it reads its next input record, so the mail runs right after the encoder has emitted
 * its batch, with no timer and no added wait. (That relies on the heads being chained to the
 * encoder, as {@code FmstreamJob} builds them: behind a network edge the task would run the mail
 * after each record it reads, one call per window as before, correct but not faster.) It also
 * flushes when {@code maxBatch} embeddings are waiting, before it forwards a watermark, before a
 * checkpoint barrier ({@link #prepareSnapshotPreBarrier}: Flink calls it along the chain from its
 * head, so the encoder has emitted into this buffer before this flush) and at the end of input. The
 * buffer is therefore empty at every barrier and the operator has no state; {@link #snapshotState}
 * fails the checkpoint rather than let a buffered embedding escape it.
 *
 * <p>A head that fails on a window (an ONNX Runtime error: a graph that loads but cannot run, a
 * kernel failing) costs that task's prediction of that window, not the job: when a batch call
 * fails, each of its windows is tried alone, so only the windows that fail on their own go without
 * a prediction; each is counted ({@code fmstream_head_failures_total{task}}) and logged, and the
 * other tasks go on. Rethrowing would restart the whole job, and since such failures repeat on
 * every window, every task would stop in a restart loop because of one head. Nothing is lost for
 * good: the window's embedding is on the embeddings topic, to be scored again once the head is
 * fixed, and {@code FmstreamTaskWithoutPredictions} pages when a task predicts nothing.
 */
public class HeadOperator extends AbstractStreamOperator<PredictionRecord>
        implements OneInputStreamOperator<EmbeddingRecord, PredictionRecord>, BoundedOneInput {
    private static final long serialVersionUID = 2L;

    private static final Logger LOG = LoggerFactory.getLogger(HeadOperator.class);

    /** A failing head is logged at most this often (with the count since), not per window. */
    private static final long LOG_EVERY_MILLIS = 60_000;

    static final String REGRESSION_LABEL = "value";

    private final String bundleUri;
    private final String encoderSha256;
    private final ModelBundle.HeadIdentity builtWith;
    private final String task;
    private final int onnxThreads;
    private final int maxBatch;

    private transient ModelBundle bundle;
    private transient HeadRunner head;
    private transient MailboxExecutor mailbox;

    /** Embeddings waiting for the next head call, with their records' timestamps. */
    private transient List<EmbeddingRecord> pending;

    private transient long[] timestamps;
    private transient boolean flushScheduled;

    /** Predictions by label (the manifest's labels; "value" for a regression head). */
    private transient java.util.Map<String, Counter> predictions;

    private transient org.apache.flink.metrics.MetricGroup byTask;

    private transient Counter failures;
    private transient Histogram batchSizes;
    private transient long failuresSinceLog;
    private transient long lastFailureLogMillis;

    /**
     * Set once a batch failed where each of its windows alone did not: no batches since, until
     * {@link #RETRY_BATCH_AFTER_WINDOWS} windows later, when a batch is tried again (the failure
     * may have been passing, an allocation under load, and one call per window costs the head about
     * 15 times as much).
     */
    private transient boolean oneAtATime;

    /** Windows scored one at a time since the last batch was tried. */
    private transient long aloneSinceBatchTried;

    /** Whether the switch to one call per window has been logged (once per operator). */
    private transient boolean switchLogged;

    static final long RETRY_BATCH_AFTER_WINDOWS = 10_000;

    private long retryBatchAfterWindows = RETRY_BATCH_AFTER_WINDOWS;

    /** Tests: try a batch again sooner than {@link #RETRY_BATCH_AFTER_WINDOWS} windows. */
    HeadOperator retryBatchAfter(long windows) {
        this.retryBatchAfterWindows = windows;
        return this;
    }

    /**
     * @param encoderSha256 the encoder the job was built with (its manifest at submission); checked
     *     at open
     * @param maxBatch the most embeddings one head call takes (the job passes the encoder's batch
     *     size, so one encoder batch is one head call)
     */
    public HeadOperator(
            String bundleUri, String encoderSha256, String task, int onnxThreads, int maxBatch) {
        this(bundleUri, encoderSha256, task, null, onnxThreads, maxBatch);
    }

    /**
     * @param builtWith the head the job was built with (its manifest entry at submission), which
     *     the head opened must be: a head replaced behind the URI is refused; null: not checked
     */
    public HeadOperator(
            String bundleUri,
            String encoderSha256,
            String task,
            ModelBundle.HeadIdentity builtWith,
            int onnxThreads,
            int maxBatch) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be >= 1, got " + maxBatch);
        }
        this.bundleUri = bundleUri;
        this.encoderSha256 = encoderSha256;
        this.builtWith = builtWith;
        this.task = task;
        this.onnxThreads = onnxThreads;
        this.maxBatch = maxBatch;
    }

    @Override
    public void open() throws Exception {
        super.open();
        int threads = OnnxThreads.resolve(onnxThreads, this);
        // Its own head only: the encoder's operator reads and verifies the encoder.
        bundle =
                ModelBundle.loadHead(
                        new FlinkBundleFiles(bundleUri), threads, encoderSha256, task, builtWith);
        head = bundle.heads().get(0);
        mailbox =
                getContainingTask()
                        .getMailboxExecutorFactory()
                        .createExecutor(TaskMailbox.MIN_PRIORITY);
        pending = new ArrayList<>(maxBatch);
        timestamps = new long[maxBatch];
        predictions = new java.util.HashMap<>();
        byTask = getMetricGroup().addGroup(FmstreamMetrics.TASK, task);
        List<String> labels =
                head.kind() == HeadKind.CLASSIFICATION ? head.labels() : List.of(REGRESSION_LABEL);
        for (String label : labels) {
            predictions.put(
                    label,
                    byTask.addGroup(FmstreamMetrics.LABEL, label)
                            .counter(FmstreamMetrics.PREDICTIONS));
        }
        failures = byTask.counter(FmstreamMetrics.HEAD_FAILURES);
        batchSizes =
                byTask.histogram(
                        FmstreamMetrics.HEAD_BATCH_WINDOWS,
                        FmstreamMetrics.histogram(FmstreamMetrics.HEAD_BATCH_WINDOWS));
        lastFailureLogMillis = Long.MIN_VALUE;
    }

    @Override
    public void processElement(StreamRecord<EmbeddingRecord> element) {
        timestamps[pending.size()] =
                element.hasTimestamp() ? element.getTimestamp() : Long.MIN_VALUE;
        pending.add(element.getValue());
        if (pending.size() == maxBatch) {
            flush();
        } else if (!flushScheduled) {
            flushScheduled = true;
            mailbox.execute(this::flushFromMail, "head %s: apply to the waiting embeddings", task);
        }
    }

    private void flushFromMail() {
        flushScheduled = false;
        flush();
    }

    /** Whether this head has been found unable to take batches (see {@link #flush}). */
    boolean scoresOneAtATime() {
        return oneAtATime;
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        flush();
        super.processWatermark(mark);
    }

    @Override
    public void processWatermarkStatus(WatermarkStatus status) throws Exception {
        // Predictions of embeddings that came before the input went idle go out before the idle
        // status, as they would from a head that held nothing.
        if (status.isIdle()) {
            flush();
        }
        super.processWatermarkStatus(status);
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        flush();
        super.prepareSnapshotPreBarrier(checkpointId);
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        if (!pending.isEmpty()) {
            // Records emitted now would follow the barrier: fail the checkpoint, lose nothing.
            throw new IllegalStateException(
                    "head "
                            + task
                            + ": "
                            + pending.size()
                            + " embedding(s) still buffered at the checkpoint barrier");
        }
        super.snapshotState(context);
    }

    @Override
    public void endInput() {
        flush();
    }

    @Override
    public void finish() throws Exception {
        flush();
        super.finish();
    }

    private void flush() {
        int n = pending.size();
        if (n == 0) {
            return;
        }
        float[][] outputs = null;
        RuntimeException batchFailure = null;
        if (oneAtATime && n > 1 && aloneSinceBatchTried >= retryBatchAfterWindows) {
            oneAtATime = false;
            aloneSinceBatchTried = 0;
        }
        if (!oneAtATime) {
            float[][] rows = new float[n][];
            for (int i = 0; i < n; i++) {
                rows[i] = pending.get(i).embedding;
            }
            try {
                outputs = head.apply(rows);
                batchSizes.update(n);
            } catch (RuntimeException failure) {
                // Which windows fail on their own? Only those go without a prediction.
                batchFailure = failure;
            }
        }
        int failedAlone = 0;
        float[][] single = new float[1][];
        for (int i = 0; i < n; i++) {
            EmbeddingRecord e = pending.get(i);
            float[] scores;
            if (outputs != null) {
                scores = outputs[i];
            } else {
                single[0] = e.embedding;
                try {
                    scores = head.apply(single)[0];
                    batchSizes.update(1);
                    aloneSinceBatchTried++;
                } catch (RuntimeException failure) {
                    failed(e, failure);
                    failedAlone++;
                    continue;
                }
            }
            PredictionRecord p = predict(e, scores);
            long ts = timestamps[i];
            output.collect(
                    ts == Long.MIN_VALUE ? new StreamRecord<>(p) : new StreamRecord<>(p, ts));
        }
        if (batchFailure != null && failedAlone == 0 && n > 1) {
            // Every window ran alone, so the head cannot take batches (an export that only runs
            // one row although its batch axis is declared dynamic; one declared fixed is refused
            // at load), or a passing failure: correct, but one call per window for the next
            // RETRY_BATCH_AFTER_WINDOWS windows. Said once.
            if (!switchLogged) {
                LOG.warn(
                        "Head {} ({}) of task {} failed on a batch of {} embeddings that it scores"
                                + " one at a time: it now makes one call per window, and tries a"
                                + " batch again every {} windows",
                        head.name(),
                        head.version(),
                        task,
                        n,
                        retryBatchAfterWindows,
                        batchFailure);
                switchLogged = true;
            }
            oneAtATime = true;
            aloneSinceBatchTried = 0;
        }
        pending.clear();
    }

    private void failed(EmbeddingRecord e, RuntimeException failure) {
        failures.inc();
        failuresSinceLog++;
        long now = System.currentTimeMillis();
        if (lastFailureLogMillis == Long.MIN_VALUE
                || now - lastFailureLogMillis >= LOG_EVERY_MILLIS) {
            LOG.error(
                    "Head {} ({} {}) of task {} failed: {} window(s) without a prediction since the"
                            + " last such line (one a minute at most), the latest of device {} at"
                            + " {}; the other tasks go on",
                    head.name(),
                    head.version(),
                    head.sha256(),
                    task,
                    failuresSinceLog,
                    e.deviceId,
                    java.time.Instant.EPOCH.plus(
                            e.windowStartMicros, java.time.temporal.ChronoUnit.MICROS),
                    failure);
            lastFailureLogMillis = now;
            failuresSinceLog = 0;
        }
    }

    private PredictionRecord predict(EmbeddingRecord e, float[] output) {
        PredictionRecord p = new PredictionRecord();
        p.deviceId = e.deviceId;
        p.windowStartMicros = e.windowStartMicros;
        p.windowEndMicros = e.windowEndMicros;
        p.task = head.task();
        p.headName = head.name();
        p.headVersion = head.version();
        p.missingFraction = e.missingFraction;
        p.newestAppendTimeMillis = e.newestAppendTimeMillis;
        p.recordingStartMicros = e.recordingStartMicros;
        if (head.kind() == HeadKind.CLASSIFICATION) {
            p.classification = true;
            p.scores = output;
            p.label = head.label(output);
            p.value = Double.NaN;
        } else {
            p.classification = false;
            p.scores = new float[0];
            p.value = output[0];
        }
        String counted =
                p.classification ? p.label : Double.isFinite(p.value) ? REGRESSION_LABEL : null;
        // A row of NaN scores has no label, nor a NaN value a use: counted as "none" (registered
        // when first seen), which FmstreamTaskWithoutPredictions does not count as predicting.
        predictions
                .computeIfAbsent(
                        counted == null ? "none" : counted,
                        l ->
                                byTask.addGroup(FmstreamMetrics.LABEL, l)
                                        .counter(FmstreamMetrics.PREDICTIONS))
                .inc();
        return p;
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
