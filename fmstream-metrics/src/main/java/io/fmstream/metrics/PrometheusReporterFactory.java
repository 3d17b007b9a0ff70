package io.fmstream.metrics;

import java.util.Properties;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * {@code metrics.reporter.fmstream.factory.class: io.fmstream.metrics.PrometheusReporterFactory}.
 */
public final class PrometheusReporterFactory implements MetricReporterFactory {
    @Override
    public MetricReporter createMetricReporter(Properties properties) {
        return new PrometheusReporter();
    }
}
