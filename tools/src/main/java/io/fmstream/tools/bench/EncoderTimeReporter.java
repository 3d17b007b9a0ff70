package io.fmstream.tools.bench;

import io.fmstream.metrics.BucketHistogram;
import io.fmstream.metrics.FmstreamMetrics;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * The benchmarks' view of the encoder's own time inside a running job (and of the heads' calls):
 * every encoder operator's {@link FmstreamMetrics#INFERENCE_SECONDS} histogram (wall time of each
 * ONNX Runtime call) as the in-process cluster registers it, so a run can say how many of its
 * seconds went to the encoder and compare that, per window, with the roof measured alone. The same
 * figure a deployment reads as {@code rate(fmstream_inference_seconds_sum)}; here it is read in the
 * JVM, since the benchmark's cluster runs in it.
 */
public final class EncoderTimeReporter implements MetricReporter {

    /** The histograms of the operators registered since the last {@link #reset}. */
    private static final Set<BucketHistogram> HISTOGRAMS = ConcurrentHashMap.newKeySet();

    /** Their CPU-time twins ({@link FmstreamMetrics#INFERENCE_CPU_SECONDS}). */
    private static final Set<BucketHistogram> CPU_HISTOGRAMS = ConcurrentHashMap.newKeySet();

    /** The heads' windows-per-call histograms, likewise. */
    private static final Set<BucketHistogram> HEAD_HISTOGRAMS = ConcurrentHashMap.newKeySet();

    /** The encoders' windows-per-call histograms ({@link FmstreamMetrics#BATCH_WINDOWS}). */
    private static final Set<BucketHistogram> BATCH_HISTOGRAMS = ConcurrentHashMap.newKeySet();

    /** Their windows' waits before their calls ({@link FmstreamMetrics#ENCODER_WAIT_SECONDS}). */
    private static final Set<BucketHistogram> WAIT_HISTOGRAMS = ConcurrentHashMap.newKeySet();

    /** Adds this reporter to a cluster's configuration. */
    static void install(Configuration conf) {
        conf.setString("metrics.reporter.bench-encoder.factory.class", Factory.class.getName());
    }

    /** Forgets the histograms of earlier runs; call before submitting a measured run. */
    public static void reset() {
        HISTOGRAMS.clear();
        CPU_HISTOGRAMS.clear();
        HEAD_HISTOGRAMS.clear();
        BATCH_HISTOGRAMS.clear();
        WAIT_HISTOGRAMS.clear();
    }

    /**
     * Encoder seconds and calls, summed over every encoder operator registered since {@link
     * #reset}, and how many operators that was; and the heads' calls and the windows they scored.
     */
    public static Totals totals() {
        double seconds = 0;
        long calls = 0;
        for (BucketHistogram h : HISTOGRAMS) {
            seconds += h.sum();
            calls += h.getCount();
        }
        double cpuSeconds = 0;
        for (BucketHistogram h : CPU_HISTOGRAMS) {
            cpuSeconds += h.sum();
        }
        long headCalls = 0;
        double headWindows = 0;
        for (BucketHistogram h : HEAD_HISTOGRAMS) {
            headCalls += h.getCount();
            headWindows += h.sum();
        }
        double encoded = 0;
        for (BucketHistogram h : BATCH_HISTOGRAMS) {
            encoded += h.sum();
        }
        double waitSeconds = 0;
        for (BucketHistogram h : WAIT_HISTOGRAMS) {
            waitSeconds += h.sum();
        }
        return new Totals(
                seconds,
                cpuSeconds,
                calls,
                HISTOGRAMS.size(),
                headCalls,
                Math.round(headWindows),
                Math.round(encoded),
                waitSeconds);
    }

    /**
     * What {@link #totals} read: seconds inside encoder calls (wall time) and the calling threads'
     * CPU seconds in them, the calls, the operators; the head calls of all tasks and the window
     * predictions they made; the windows the encoder calls took, and the seconds those windows
     * waited before their calls.
     */
    public record Totals(
            double seconds,
            double cpuSeconds,
            long calls,
            int operators,
            long headCalls,
            long headWindows,
            long encodedWindows,
            double waitSeconds) {}

    @Override
    public void open(MetricConfig config) {}

    @Override
    public void close() {}

    @Override
    public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
        if (FmstreamMetrics.INFERENCE_SECONDS.equals(name) && metric instanceof BucketHistogram h) {
            HISTOGRAMS.add(h);
        }
        if (FmstreamMetrics.INFERENCE_CPU_SECONDS.equals(name)
                && metric instanceof BucketHistogram h) {
            CPU_HISTOGRAMS.add(h);
        }
        if (FmstreamMetrics.HEAD_BATCH_WINDOWS.equals(name)
                && metric instanceof BucketHistogram h) {
            HEAD_HISTOGRAMS.add(h);
        }
        if (FmstreamMetrics.BATCH_WINDOWS.equals(name) && metric instanceof BucketHistogram h) {
            BATCH_HISTOGRAMS.add(h);
        }
        if (FmstreamMetrics.ENCODER_WAIT_SECONDS.equals(name)
                && metric instanceof BucketHistogram h) {
            WAIT_HISTOGRAMS.add(h);
        }
    }

    @Override
    public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {
        // Kept: a bounded run's operators close before its driver reads the totals.
    }

    /** {@code metrics.reporter.<name>.factory.class}; found by Flink through ServiceLoader. */
    public static final class Factory implements MetricReporterFactory {
        @Override
        public MetricReporter createMetricReporter(Properties properties) {
            return new EncoderTimeReporter();
        }
    }
}
