package io.fmstream.tools.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fmstream.data.RepositoryLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docker/prometheus: Debian's promtool accepts the configuration and the rules, runs the rules'
 * unit tests, every alert has a test case in which it fires and one in which it does not, and every
 * alert links its section of docs/RUNBOOK.md. Skipped without promtool, except in CI ({@code
 * .ci/run} installs Debian's prometheus).
 */
class PrometheusRulesTest {

    private static final Path DIR = RepositoryLayout.root().resolve("docker/prometheus");
    private static final Path RULES = DIR.resolve("rules/fmstream.rules.yml");
    private static final Path TESTS = DIR.resolve("rules/fmstream.rules.test.yml");

    @Test
    void promtoolAcceptsTheConfigurationAndTheRulesAndTheirTestsPass() throws Exception {
        assertThat(promtool("check", "config", DIR.resolve("prometheus.yml").toString()))
                .contains("SUCCESS");
        assertThat(promtool("check", "rules", RULES.toString())).contains("SUCCESS");
        assertThat(promtool("test", "rules", TESTS.toString())).contains("SUCCESS");
    }

    @Test
    void everyAlertHasAFiringAndASilentTestCase() throws Exception {
        List<String> alerts = alerts(Files.readString(RULES));
        assertThat(alerts).hasSizeGreaterThanOrEqualTo(8);
        String tests = Files.readString(TESTS);
        for (String alert : alerts) {
            // Each alert_rule_test block for this alert: its exp_alerts is empty or not.
            Matcher block =
                    Pattern.compile(
                                    "alertname: "
                                            + Pattern.quote(alert)
                                            + "\\s*\\n"
                                            + "\\s*exp_alerts:(\\s*\\[\\]|\\s*\\n"
                                            + "\\s*- exp_labels)")
                            .matcher(tests);
            boolean fires = false;
            boolean silent = false;
            while (block.find()) {
                if (block.group(1).contains("[]")) {
                    silent = true;
                } else {
                    fires = true;
                }
            }
            assertThat(fires).as("%s has a case in which it fires", alert).isTrue();
            assertThat(silent).as("%s has a case in which it stays silent", alert).isTrue();
        }
    }

    /**
     * Every alert links its runbook section ({@code runbook_url: docs/RUNBOOK.md#<alert in lower
     * case>}, the anchor a Markdown renderer gives the heading {@code ## <alert>}), every section
     * of the runbook is an alert's, and each section says what the alert means.
     */
    @Test
    void everyAlertLinksItsRunbookSectionAndEverySectionIsAnAlerts() throws Exception {
        String rules = Files.readString(RULES);
        Matcher m =
                Pattern.compile(
                                "(?m)^\\s*- alert: (\\S+)$(?:(?!^\\s*- alert:).)*?"
                                        + "^\\s*runbook_url: (\\S+)$",
                                Pattern.DOTALL)
                        .matcher(rules);
        java.util.Map<String, String> links = new java.util.LinkedHashMap<>();
        while (m.find()) {
            links.put(m.group(1), m.group(2));
        }
        List<String> alerts = alerts(rules);
        assertThat(links.keySet())
                .as("alerts with a runbook_url")
                .containsExactlyElementsOf(alerts);
        String runbook = Files.readString(RepositoryLayout.root().resolve("docs/RUNBOOK.md"));
        List<String> sections = new ArrayList<>();
        Matcher h = Pattern.compile("(?m)^## (\\S+)$").matcher(runbook);
        while (h.find()) {
            sections.add(h.group(1));
        }
        assertThat(sections).as("the runbook's sections").containsExactlyElementsOf(alerts);
        for (String alert : alerts) {
            assertThat(links.get(alert))
                    .as("%s's runbook_url", alert)
                    .isEqualTo("docs/RUNBOOK.md#" + alert.toLowerCase(java.util.Locale.ROOT));
            String section =
                    runbook.substring(runbook.indexOf("## " + alert + "\n"))
                            .split("(?m)^## ", 3)[1];
            assertThat(section).as("%s's section", alert).contains("**Meaning.**");
        }
    }

    /** The alerts' names, in the order the rules file defines them. */
    private static List<String> alerts(String rules) {
        List<String> alerts = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^\\s*- alert: (\\S+)$").matcher(rules);
        while (m.find()) {
            alerts.add(m.group(1));
        }
        return alerts;
    }

    private static String promtool(String... args) throws Exception {
        Path promtool = Path.of("/usr/bin/promtool");
        if (!Files.isExecutable(promtool)) {
            String why = "promtool is not installed (apt-get install prometheus)";
            if ("true".equals(System.getenv("CI"))) {
                fail(why);
            }
            assumeTrue(false, why);
        }
        List<String> cmd = new ArrayList<>(List.of(promtool.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("%s:%n%s", cmd, out).isZero();
        return out;
    }
}
