package io.fmstream.metrics;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Flink configuration that exports metrics to Prometheus, one definition for the demo, the
 * tests, {@code bin/fmstream cluster} and docker/: Flink's own reporter for Flink's metrics
 * (checkpoints, records, Kafka lag, JVM) with {@code fmstream_*} excluded, and {@link
 * PrometheusReporter} for the job's catalogue metrics.
 */
public final class ReporterSettings {

    /** Default port of Flink's reporter (Flink's documented default). */
    public static final int FLINK_PORT = 9249;

    /** Default port of fmstream's reporter. */
    public static final int FMSTREAM_PORT = 9250;

    /**
     * For {@code classloader.parent-first-patterns.additional}: the job jar carries these classes
     * too; loaded from the cluster's class path, the job's histograms are the reporter's class.
     */
    public static final String PARENT_FIRST = "io.fmstream.metrics.";

    private ReporterSettings() {}

    /**
     * Both reporters on one interface, for a single process (the demo, the tests): Flink's metrics
     * through {@link BoundFlinkPrometheusReporter} (Flink's reporter itself cannot bind to one
     * interface), the job's through {@link PrometheusReporter}.
     *
     * @param host interface both reporters bind to
     * @param flinkPort port or range of the reporter with Flink's metrics
     * @param fmstreamPort port or range (e.g. {@code 9250-9259}) of fmstream's reporter
     */
    public static Map<String, String> flinkConfiguration(
            String host, String flinkPort, String fmstreamPort) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put(
                "metrics.reporter.prom.factory.class",
                BoundFlinkPrometheusReporter.Factory.class.getName());
        c.put("metrics.reporter.prom." + BoundFlinkPrometheusReporter.HOST, host);
        c.put("metrics.reporter.prom." + BoundFlinkPrometheusReporter.PORT, flinkPort);
        c.put("metrics.reporter.prom.filter.excludes", EXCLUDE_FMSTREAM);
        c.putAll(fmstreamOnly(host, fmstreamPort));
        return c;
    }

    /**
     * Flink's own reporter for Flink's metrics only, as a Flink image ships it; it binds to every
     * interface, which is what containers need (docker/).
     */
    public static Map<String, String> flinksOwn(String flinkPort) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put(
                "metrics.reporter.prom.factory.class",
                "org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
        c.put("metrics.reporter.prom.port", flinkPort);
        c.put("metrics.reporter.prom.filter.excludes", EXCLUDE_FMSTREAM);
        return c;
    }

    /**
     * Exported properly by the fmstream reporter; Flink's would export them a second time, as
     * gauges and summaries.
     */
    private static final String EXCLUDE_FMSTREAM = "*:fmstream_*";

    /**
     * fmstream's reporter alone, bound to {@code host}; on a cluster its jar must be in Flink's
     * {@code lib/} and {@code io.fmstream.metrics.} loaded parent-first ({@link #PARENT_FIRST}).
     */
    public static Map<String, String> fmstreamOnly(String host, String fmstreamPort) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("metrics.reporter.fmstream.factory.class", PrometheusReporterFactory.class.getName());
        c.put("metrics.reporter.fmstream." + PrometheusReporter.HOST, host);
        c.put("metrics.reporter.fmstream." + PrometheusReporter.PORT, fmstreamPort);
        return c;
    }
}
