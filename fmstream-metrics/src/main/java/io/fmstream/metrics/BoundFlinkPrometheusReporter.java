package io.fmstream.metrics;

import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.exporter.HTTPServer;
import java.io.IOException;
import java.lang.reflect.Field;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.Properties;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.prometheus.AbstractPrometheusReporter;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * Flink's own Prometheus reporter (same metric names, labels and conversion: everything is {@link
 * AbstractPrometheusReporter}'s) served on a chosen interface. Why: Flink's {@code
 * PrometheusReporter} has no bind-address option and listens on every interface ({@code new
 * InetSocketAddress(port)}), and the demo must bind nothing beyond loopback. The registry the
 * abstract reporter fills is package-private, hence the one reflective read; {@code
 * BoundFlinkPrometheusReporterTest} fails if a Flink upgrade renames it.
 *
 * <p>Configuration ({@code metrics.reporter.<name>.*}): {@code factory.class:
 * io.fmstream.metrics.BoundFlinkPrometheusReporter$Factory}, {@code host} (default 127.0.0.1),
 * {@code port} (default 9249, or a range {@code 9249-9259}). Filters ({@code filter.excludes}) work
 * as for Flink's reporter: Flink applies them before the reporter sees a metric.
 */
public final class BoundFlinkPrometheusReporter extends AbstractPrometheusReporter {

    public static final String HOST = "host";
    public static final String PORT = "port";

    private static final Field REGISTRY = registryField();

    private HTTPServer server;

    @Override
    public void open(MetricConfig config) {
        super.open(config);
        String host = config.getString(HOST, "127.0.0.1");
        String ports = config.getString(PORT, String.valueOf(ReporterSettings.FLINK_PORT));
        String[] range = ports.split("-", 2);
        int from = Integer.parseInt(range[0].trim());
        int to = range.length > 1 ? Integer.parseInt(range[1].trim()) : from;
        CollectorRegistry registry = registry();
        IOException last = null;
        for (int port = from; port <= to && server == null; port++) {
            try {
                server = new HTTPServer(new InetSocketAddress(host, port), registry, true);
            } catch (BindException e) {
                last = e;
            } catch (IOException e) {
                throw new IllegalStateException(
                        "Flink Prometheus reporter on " + host + ": " + e, e);
            }
        }
        if (server == null) {
            throw new IllegalStateException(
                    "Flink Prometheus reporter: no free port in " + ports + " on " + host, last);
        }
        log.info("Flink's metrics for Prometheus on {}:{}", host, server.getPort());
    }

    /** The bound port (the first free one of the configured range). */
    public int port() {
        return server.getPort();
    }

    @Override
    public void close() {
        if (server != null) {
            server.stop();
        }
        super.close();
    }

    private CollectorRegistry registry() {
        try {
            return (CollectorRegistry) REGISTRY.get(this);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Field registryField() {
        try {
            Field f = AbstractPrometheusReporter.class.getDeclaredField("registry");
            f.setAccessible(true);
            return f;
        } catch (NoSuchFieldException e) {
            throw new IllegalStateException(
                    "Flink's AbstractPrometheusReporter has no 'registry' field any more (Flink"
                            + " upgraded?): use Flink's PrometheusReporterFactory instead",
                    e);
        }
    }

    /** {@code metrics.reporter.<name>.factory.class} for this reporter. */
    public static final class Factory implements MetricReporterFactory {
        @Override
        public MetricReporter createMetricReporter(Properties properties) {
            return new BoundFlinkPrometheusReporter();
        }
    }
}
