package io.fmstream.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class PrometheusReporterTest {

    /** A metric group with Flink's scope variables, as an operator's group has. */
    private static final class Group extends UnregisteredMetricsGroup {
        private final Map<String, String> variables = new HashMap<>();

        Group(String... keyValues) {
            variables.put("<job_name>", "fmstream");
            variables.put("<job_id>", "0123");
            variables.put("<operator_name>", "Decode \"and\" validate");
            variables.put("<subtask_index>", "1");
            variables.put("<tm_id>", "taskmanager-1"); // not a label: it changes on restart
            variables.put("<host>", "localhost");
            for (int i = 0; i < keyValues.length; i += 2) {
                variables.put("<" + keyValues[i] + ">", keyValues[i + 1]);
            }
        }

        @Override
        public Map<String, String> getAllVariables() {
            return variables;
        }
    }

    @Test
    void exportsCountersAsCountersAndHistogramsWithBucketsOnlyForCatalogueMetrics()
            throws Exception {
        PrometheusReporter reporter = new PrometheusReporter();
        MetricConfig config = new MetricConfig();
        config.setProperty(PrometheusReporter.PORT, "0");
        reporter.open(config);
        try {
            SimpleCounter late = new SimpleCounter();
            late.inc(3);
            reporter.notifyOfAddedMetric(
                    late, FmstreamMetrics.DEAD_LETTERS, new Group("reason", "LATE"));
            reporter.notifyOfAddedMetric(
                    new SimpleCounter(), "numRecordsIn", new Group()); // Flink's own: not here
            BucketHistogram latency =
                    FmstreamMetrics.histogram(FmstreamMetrics.WRITTEN_LATENCY_SECONDS);
            latency.update(120); // ms
            latency.update(250); // exactly on a bound: counts as <= 0.25
            latency.update(4_000);
            reporter.notifyOfAddedMetric(
                    latency,
                    FmstreamMetrics.WRITTEN_LATENCY_SECONDS,
                    new Group("topic", "fmstream.predictions.v1"));

            String text = scrape(reporter.port());

            assertThat(text)
                    .contains("# TYPE fmstream_dead_letters_total counter")
                    .contains(
                            "fmstream_dead_letters_total{job_name=\"fmstream\",job_id=\"0123\","
                                    + "operator_name=\"Decode \\\"and\\\" validate\","
                                    + "subtask_index=\"1\",reason=\"LATE\"} 3")
                    .contains("# TYPE fmstream_written_latency_seconds histogram")
                    .contains("topic=\"fmstream.predictions.v1\",le=\"0.1\"} 0")
                    .contains("topic=\"fmstream.predictions.v1\",le=\"0.25\"} 2")
                    .contains("topic=\"fmstream.predictions.v1\",le=\"5\"} 3")
                    .contains("topic=\"fmstream.predictions.v1\",le=\"+Inf\"} 3")
                    .contains("fmstream_written_latency_seconds_sum{")
                    .contains("} 4.37\n")
                    .doesNotContain("numRecordsIn")
                    .doesNotContain("tm_id")
                    .doesNotContain("# HELP fmstream_written_latency_seconds fmstream_");
            promtoolCheck(text);

            // One gauge object in two subtasks' groups: two series.
            org.apache.flink.metrics.Gauge<Integer> one = () -> 1;
            Group g0 = new Group("bundle_id", "b");
            g0.getAllVariables().put("<subtask_index>", "0");
            reporter.notifyOfAddedMetric(one, FmstreamMetrics.BUNDLE_INFO, g0);
            reporter.notifyOfAddedMetric(
                    one, FmstreamMetrics.BUNDLE_INFO, new Group("bundle_id", "b"));
            assertThat(
                            scrape(reporter.port())
                                    .lines()
                                    .filter(l -> l.startsWith("fmstream_bundle_info{")))
                    .hasSize(2);

            reporter.notifyOfRemovedMetric(
                    late, FmstreamMetrics.DEAD_LETTERS, new Group("reason", "LATE"));
            assertThat(scrape(reporter.port())).doesNotContain("fmstream_dead_letters_total");
        } finally {
            reporter.close();
        }
    }

    @Test
    void statisticsInterpolateWithinBucketsForFlinksOtherReporters() {
        BucketHistogram h = new BucketHistogram(new double[] {1, 2, 4}, 1);
        for (int i = 0; i < 4; i++) {
            h.update(1);
        }
        for (int i = 0; i < 4; i++) {
            h.update(3);
        }
        assertThat(h.getCount()).isEqualTo(8);
        assertThat(h.getStatistics().getMean()).isEqualTo(2.0);
        assertThat(h.getStatistics().getQuantile(0.5)).isEqualTo(1.0);
        assertThat(h.getStatistics().getQuantile(0.75)).isEqualTo(3.0);
        assertThat(h.cumulativeCounts()).containsExactly(4, 4, 8, 8);
    }

    private static String scrape(int port) throws Exception {
        HttpResponse<String> r =
                HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(
                                                URI.create("http://127.0.0.1:" + port + "/metrics"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type"))
                .hasValue("text/plain; version=0.0.4; charset=utf-8");
        return r.body();
    }

    /** Debian's promtool lints the exposition (types, HELP, counter suffixes, units). */
    static void promtoolCheck(String text) throws Exception {
        Path promtool = Path.of("/usr/bin/promtool");
        if (!Files.isExecutable(promtool)) {
            if ("true".equals(System.getenv("CI"))) {
                fail("promtool is not installed (apt-get install prometheus)");
            }
            Assumptions.assumeTrue(false, "promtool is not installed");
        }
        Process p =
                new ProcessBuilder(promtool.toString(), "check", "metrics")
                        .redirectErrorStream(true)
                        .start();
        try (var in = p.getOutputStream()) {
            in.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("promtool check metrics:%n%s", out).isZero();
    }
}
