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
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.operators.StreamingRuntimeContext;

/**
 * One downstream task: applies its head to every embedding. Each task is its own operator, so tasks
 * run as parallel branches over the one embedding stream and the encoder runs once per window
 * however many tasks there are. The ONNX session is shared with every other operator of the
 * TaskManager that uses the same file.
 */
public class HeadFunction extends RichMapFunction<EmbeddingRecord, PredictionRecord> {
    private static final long serialVersionUID = 1L;

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
    }

    @Override
    public PredictionRecord map(EmbeddingRecord e) {
        single[0] = e.embedding;
        float[] output = head.apply(single)[0];
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
