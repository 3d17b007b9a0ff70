package io.fmstream.tools.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fmstream.data.RepositoryLayout;
import io.fmstream.metrics.FmstreamMetrics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docker/grafana/dashboards/fmstream.json checked without Grafana (none runs here): every panel
 * queries the provisioned Prometheus data source, every expression parses (promtool), uses only
 * series that exist (the metric catalogue, the recording rules, Flink metrics the rules use too)
 * and masks nothing ({@code or vector(0)} would draw a flat line where data is missing).
 */
class GrafanaDashboardTest {

    static final Path DASHBOARD =
            RepositoryLayout.root().resolve("docker/grafana/dashboards/fmstream.json");
    private static final Path RULES =
            RepositoryLayout.root().resolve("docker/prometheus/rules/fmstream.rules.yml");

    /** Flink's own metrics the dashboard and the rules read (Flink's reporter names). */
    static final Set<String> FLINK_METRICS =
            Set.of(
                    "flink_jobmanager_job_lastCheckpointDuration",
                    "flink_jobmanager_job_numberOfFailedCheckpoints",
                    "flink_jobmanager_job_numberOfCompletedCheckpoints",
                    "flink_jobmanager_job_numRestarts");

    /** Every panel expression of the dashboard. */
    static List<String> expressions() throws Exception {
        List<String> exprs = new ArrayList<>();
        for (JsonNode panel : new ObjectMapper().readTree(DASHBOARD.toFile()).get("panels")) {
            for (JsonNode target : panel.get("targets")) {
                exprs.add(target.get("expr").asText());
            }
        }
        return exprs;
    }

    @Test
    void everyPanelQueriesTheProvisionedDataSource() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        String datasources =
                Files.readString(
                        RepositoryLayout.root()
                                .resolve("docker/grafana/provisioning/datasources/prometheus.yml"));
        assertThat(datasources).contains("uid: prometheus");
        assertThat(dashboard.get("panels").size()).isGreaterThanOrEqualTo(12);
        for (JsonNode panel : dashboard.get("panels")) {
            String title = panel.get("title").asText();
            assertThat(panel.at("/datasource/uid").asText()).as(title).isEqualTo("prometheus");
            assertThat(panel.get("targets").size()).as(title).isPositive();
            for (JsonNode t : panel.get("targets")) {
                assertThat(t.at("/datasource/uid").asText()).as(title).isEqualTo("prometheus");
            }
        }
    }

    @Test
    void everyExpressionUsesExistingSeriesAndMasksNothing() throws Exception {
        Set<String> known = new LinkedHashSet<>(FLINK_METRICS);
        // The committed-latency probe's histogram (bin/fmstream probe).
        for (String suffix : List.of("_bucket", "_sum", "_count")) {
            known.add("fmstream_committed_latency_seconds" + suffix);
        }
        // Its watch of the sinks' transactions.
        known.addAll(io.fmstream.tools.ProbeCommand.Probe.TRANSACTION_GAUGES);
        // And of the job's consumer-group lag.
        known.add(io.fmstream.tools.ProbeCommand.Probe.GROUP_LAG);
        for (FmstreamMetrics.Metric m : FmstreamMetrics.CATALOGUE) {
            known.add(m.exportedName());
            if (m.kind() == FmstreamMetrics.Kind.HISTOGRAM) {
                for (String suffix : List.of("_bucket", "_sum", "_count")) {
                    known.add(m.name() + suffix);
                }
            }
        }
        Matcher record =
                Pattern.compile("(?m)^\\s*- record: (\\S+)$").matcher(Files.readString(RULES));
        while (record.find()) {
            known.add(record.group(1));
        }
        Pattern series = Pattern.compile("\\b(fmstream[a-z0-9_:]*|flink_[A-Za-z0-9_]+)");
        for (String expr : expressions()) {
            assertThat(expr).as("masking").doesNotContainPattern("or\\s+(on\\s*\\(\\)\\s*)?vector");
            Matcher m = series.matcher(expr);
            int found = 0;
            while (m.find()) {
                found++;
                assertThat(known).as("series %s in %s", m.group(1), expr).contains(m.group(1));
            }
            assertThat(found).as("series in %s", expr).isPositive();
        }
    }

    @Test
    void everyExpressionParses() throws Exception {
        Path promtool = Path.of("/usr/bin/promtool");
        if (!Files.isExecutable(promtool)) {
            if ("true".equals(System.getenv("CI"))) {
                fail("promtool is not installed (apt-get install prometheus)");
            }
            assumeTrue(false, "promtool is not installed");
        }
        // promtool parses expressions when it checks rules: one recording rule per expression.
        StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        int i = 0;
        for (String expr : expressions()) {
            rules.append("      - record: dashboard:expr")
                    .append(i++)
                    .append("\n        expr: '")
                    .append(expr.replace("'", "''"))
                    .append("'\n");
        }
        Path file = Files.createTempFile("dashboard-rules", ".yml");
        try {
            Files.writeString(file, rules);
            Process p =
                    new ProcessBuilder(promtool.toString(), "check", "rules", file.toString())
                            .redirectErrorStream(true)
                            .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as("promtool check rules:%n%s", out).isZero();
            assertThat(out).contains("SUCCESS: " + i + " rules found");
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
