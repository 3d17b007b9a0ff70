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
     * @param host interface fmstream's reporter binds to (Flink's reporter has no such option and
     *     binds to every interface: firewall it, or drop it where Flink's metrics are not needed)
     * @param flinkPort port or range of Flink's reporter
     * @param fmstreamPort port or range (e.g. {@code 9250-9259}) of fmstream's reporter
     */
    public static Map<String, String> flinkConfiguration(
            String host, String flinkPort, String fmstreamPort) {
        Map<String, String> c = new LinkedHashMap<>(flinksOwn(flinkPort));
        c.putAll(fmstreamOnly(host, fmstreamPort));
        return c;
    }

    /** Flink's reporter for Flink's metrics only; it binds to every interface. */
    public static Map<String, String> flinksOwn(String flinkPort) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put(
                "metrics.reporter.prom.factory.class",
                "org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
        c.put("metrics.reporter.prom.port", flinkPort);
        // Exported properly by the fmstream reporter; Flink's would export them a second time,
        // as gauges and summaries.
        c.put("metrics.reporter.prom.filter.excludes", "*:fmstream_*");
        return c;
    }

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
