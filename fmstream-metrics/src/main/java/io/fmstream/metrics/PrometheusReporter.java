package io.fmstream.metrics;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;

/**
 * Exports the metrics of {@link FmstreamMetrics#CATALOGUE} in the Prometheus text format, and only
 * those (Flink's own metrics stay with Flink's reporter; exclude {@code fmstream_*} there). Why a
 * reporter of our own: Flink's Prometheus reporter exports counters as gauges (so {@code rate()}
 * across restarts is wrong), histograms as per-subtask summaries over a sliding sample (no
 * fleet-wide percentile can be computed from them), bakes label keys into metric names, and cannot
 * bind to a chosen interface. Here counters are counters ({@code _total}), {@link BucketHistogram}s
 * are histograms ({@code _bucket}/{@code _sum}/{@code _count}) that add up across subtasks, labels
 * are the catalogue's plus job, operator and subtask, HELP is the catalogue's text, and the
 * endpoint binds to {@code host} (default loopback).
 *
 * <p>Configuration ({@code metrics.reporter.<name>.*}): {@code factory.class:
 * io.fmstream.metrics.PrometheusReporterFactory}, {@code host} (default 127.0.0.1), {@code port}
 * (default 9250; a range such as {@code 9250-9260} lets several TaskManagers share a machine).
 */
public final class PrometheusReporter implements MetricReporter {

    public static final String HOST = "host";
    public static final String PORT = "port";
    public static final String DEFAULT_PORT = "9250";

    private record Series(FmstreamMetrics.Metric def, Map<String, String> labels, Metric metric) {}

    /**
     * By metric and labels: one metric object may be registered in several groups (a non-capturing
     * lambda gauge is a single instance shared by every subtask).
     */
    private record Key(Metric metric, Map<String, String> labels) {}

    private final Map<Key, Series> series = new ConcurrentHashMap<>();
    private HttpServer server;

    @Override
    public void open(MetricConfig config) {
        String host = config.getString(HOST, "127.0.0.1");
        String ports = config.getString(PORT, DEFAULT_PORT);
        String[] range = ports.split("-", 2);
        int from = Integer.parseInt(range[0].trim());
        int to = range.length > 1 ? Integer.parseInt(range[1].trim()) : from;
        IOException last = null;
        for (int port = from; port <= to; port++) {
            try {
                server = HttpServer.create(new InetSocketAddress(host, port), 0);
                break;
            } catch (BindException e) {
                last = e;
            } catch (IOException e) {
                throw new IllegalStateException("fmstream Prometheus reporter: " + e, e);
            }
        }
        if (server == null) {
            throw new IllegalStateException(
                    "fmstream Prometheus reporter: no free port in " + ports + " on " + host, last);
        }
        server.createContext(
                "/metrics",
                exchange -> {
                    byte[] body = render().getBytes(StandardCharsets.UTF_8);
                    exchange.getResponseHeaders()
                            .set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                    exchange.sendResponseHeaders(200, body.length);
                    try (OutputStream out = exchange.getResponseBody()) {
                        out.write(body);
                    }
                });
        server.start();
    }

    /** The bound port (the first free one of the configured range). */
    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        if (server != null) {
            server.stop(0);
        }
    }

    @Override
    public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
        FmstreamMetrics.find(name)
                .ifPresent(
                        def -> {
                            Map<String, String> labels = labels(def, group);
                            series.put(new Key(metric, labels), new Series(def, labels, metric));
                        });
    }

    @Override
    public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {
        FmstreamMetrics.find(name)
                .ifPresent(def -> series.remove(new Key(metric, labels(def, group))));
    }

    private static Map<String, String> labels(FmstreamMetrics.Metric def, MetricGroup group) {
        Map<String, String> variables = group.getAllVariables();
        Map<String, String> labels = new LinkedHashMap<>();
        List<String> keys = new ArrayList<>(FmstreamMetrics.SCOPE_LABELS);
        keys.addAll(def.labels());
        for (String key : keys) {
            String value = variables.get("<" + key + ">");
            if (value != null) {
                labels.put(key, value);
            }
        }
        return labels;
    }

    /** The exposition text: one HELP/TYPE block per catalogue metric with series. */
    String render() {
        Map<FmstreamMetrics.Metric, List<Series>> byMetric = new LinkedHashMap<>();
        for (FmstreamMetrics.Metric m : FmstreamMetrics.CATALOGUE) {
            byMetric.put(m, new ArrayList<>());
        }
        for (Series s : series.values()) {
            byMetric.get(s.def()).add(s);
        }
        StringBuilder b = new StringBuilder();
        for (Map.Entry<FmstreamMetrics.Metric, List<Series>> e : byMetric.entrySet()) {
            if (e.getValue().isEmpty()) {
                continue;
            }
            FmstreamMetrics.Metric def = e.getKey();
            String name = def.exportedName();
            b.append("# HELP ").append(name).append(' ').append(escapeHelp(def.help()));
            b.append('\n');
            b.append("# TYPE ")
                    .append(name)
                    .append(' ')
                    .append(def.kind().name().toLowerCase())
                    .append('\n');
            for (Series s : e.getValue()) {
                write(b, name, s);
            }
        }
        return b.toString();
    }

    private static void write(StringBuilder b, String name, Series s) {
        Metric m = s.metric();
        if (m instanceof Counter c) {
            sample(b, name, s.labels(), null, c.getCount());
        } else if (m instanceof Gauge<?> g) {
            Object v = g.getValue();
            if (v instanceof Number n) {
                sample(b, name, s.labels(), null, n.doubleValue());
            }
        } else if (m instanceof BucketHistogram h) {
            double[] bounds = h.bounds();
            long[] cumulative = h.cumulativeCounts();
            for (int i = 0; i < cumulative.length; i++) {
                String le = i < bounds.length ? format(bounds[i]) : "+Inf";
                sample(b, name + "_bucket", s.labels(), le, cumulative[i]);
            }
            sample(b, name + "_sum", s.labels(), null, h.sum());
            sample(b, name + "_count", s.labels(), null, cumulative[cumulative.length - 1]);
        }
    }

    private static void sample(
            StringBuilder b, String name, Map<String, String> labels, String le, double value) {
        b.append(name);
        if (!labels.isEmpty() || le != null) {
            b.append('{');
            boolean first = true;
            for (Map.Entry<String, String> l : labels.entrySet()) {
                if (!first) {
                    b.append(',');
                }
                first = false;
                b.append(l.getKey()).append("=\"").append(escapeValue(l.getValue())).append('"');
            }
            if (le != null) {
                b.append(first ? "" : ",").append("le=\"").append(le).append('"');
            }
            b.append('}');
        }
        b.append(' ').append(format(value)).append('\n');
    }

    private static String format(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return Double.toString(v);
    }

    private static String escapeValue(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    private static String escapeHelp(String v) {
        return v.replace("\\", "\\\\").replace("\n", "\\n");
    }
}
