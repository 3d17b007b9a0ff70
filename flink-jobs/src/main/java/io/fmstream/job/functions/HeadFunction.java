package io.fmstream.job.functions;

import io.fmstream.core.model.HeadKind;
import io.fmstream.core.model.HeadRunner;
import io.fmstream.core.model.ModelBundle;
import io.fmstream.core.records.EmbeddingRecord;
import io.fmstream.core.records.PredictionRecord;
import io.fmstream.job.io.FlinkBundleFiles;
import io.fmstream.metrics.FmstreamMetrics;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFlatMapFunction;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.operators.StreamingRuntimeContext;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One downstream task: applies its head to every embedding. Each task is its own operator, so tasks
 * run as parallel branches over the one embedding stream and the encoder runs once per window
 * however many tasks there are. The ONNX session is shared with every other operator of the
 * TaskManager that uses the same file.
 *
 * <p>A head that fails on a window (an ONNX Runtime error: a graph that loads but cannot run, a
 * kernel failing) costs that task's prediction of that window, not the job: the failure is counted
 * ({@code fmstream_head_failures_total{task}}) and logged, and the other tasks go on. Rethrowing
 * would restart the whole job, and since such failures repeat on every window, every task would
 * stop in a restart loop because of one head. Nothing is lost for good: the window's embedding is
 * on the embeddings topic, to be scored again once the head is fixed, and {@code
 * FmstreamTaskWithoutPredictions} pages when a task predicts nothing.
 */
public class HeadFunction extends RichFlatMapFunction<EmbeddingRecord, PredictionRecord> {
    private static final long serialVersionUID = 1L;

    private static final Logger LOG = LoggerFactory.getLogger(HeadFunction.class);

    /** A failing head is logged at most this often (with the count since), not per window. */
    private static final long LOG_EVERY_MILLIS = 60_000;

    private final String bundleUri;
    private final String encoderSha256;
    private final String task;
    private final int onnxThreads;

    private transient ModelBundle bundle;
    private transient HeadRunner head;
    private transient float[][] single;

    /** Predictions by label (the manifest's labels; "value" for a regression head). */
    private transient java.util.Map<String, Counter> predictions;

    private transient org.apache.flink.metrics.MetricGroup byTask;

    private transient Counter failures;
    private transient long failuresSinceLog;
    private transient long lastFailureLogMillis;

    /**
     * @param encoderSha256 the encoder the job was built with (its manifest at submission); checked
     *     at open
     */
    public HeadFunction(String bundleUri, String encoderSha256, String task, int onnxThreads) {
        this.bundleUri = bundleUri;
        this.encoderSha256 = encoderSha256;
        this.task = task;
        this.onnxThreads = onnxThreads;
    }

    static final String REGRESSION_LABEL = "value";

    @Override
    public void open(OpenContext openContext) {
        int threads =
                OnnxThreads.resolve(
                        onnxThreads,
                        ((StreamingRuntimeContext) getRuntimeContext())
                                .getTaskManagerRuntimeInfo()
                                .getConfiguration());
        bundle = ModelBundle.load(new FlinkBundleFiles(bundleUri), threads, encoderSha256);
        head =
                bundle.head(task)
                        .orElseThrow(
                                () ->
                                        new IllegalStateException(
                                                "bundle "
                                                        + bundleUri
                                                        + " has no head for task "
                                                        + task));
        single = new float[1][];
        predictions = new java.util.HashMap<>();
        byTask = getRuntimeContext().getMetricGroup().addGroup(FmstreamMetrics.TASK, task);
        List<String> labels =
                head.kind() == HeadKind.CLASSIFICATION ? head.labels() : List.of(REGRESSION_LABEL);
        for (String label : labels) {
            predictions.put(
                    label,
                    byTask.addGroup(FmstreamMetrics.LABEL, label)
                            .counter(FmstreamMetrics.PREDICTIONS));
        }
        failures = byTask.counter(FmstreamMetrics.HEAD_FAILURES);
        lastFailureLogMillis = Long.MIN_VALUE;
    }

    @Override
    public void flatMap(EmbeddingRecord e, Collector<PredictionRecord> out) {
        single[0] = e.embedding;
        float[] output;
        try {
            output = head.apply(single)[0];
        } catch (RuntimeException failure) {
            failed(e, failure);
            return;
        }
        out.collect(predict(e, output));
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
        String counted = p.classification ? p.label : REGRESSION_LABEL;
        // A row of NaN scores has no label: counted as "none" (registered when first seen).
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
    public void close() {
        if (bundle != null) {
            bundle.close();
        }
    }
}
