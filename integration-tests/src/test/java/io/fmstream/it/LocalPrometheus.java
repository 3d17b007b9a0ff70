package io.fmstream.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fmstream.data.RepositoryLayout;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Debian's Prometheus server as a child process on loopback, with temporary storage, scraping given
 * targets every second and evaluating {@code docker/prometheus/rules/fmstream.rules.yml} with its
 * windows shortened for a test that runs in a minute or two: {@code [5m]} to {@code [30s]}, {@code
 * [10m]}, {@code [15m]} and {@code [30m]} to {@code [60s]}, and every {@code for:} to {@code 10s}.
 * Skipped where Prometheus is not installed, except in CI ({@code .ci/run} installs it).
 */
final class LocalPrometheus implements AutoCloseable {

    static final Path BINARY = Path.of("/usr/bin/prometheus");
    private static final Path RULES =
            RepositoryLayout.root().resolve("docker/prometheus/rules/fmstream.rules.yml");

    private final Path dir;
    private final Process process;
    private final int port;
    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();

    static LocalPrometheus start(List<String> targets) throws Exception {
        return start(targets, rules -> rules);
    }

    /**
     * As above, with {@code edit} applied to the (shortened) rules as well: a test scales a
     * threshold that real time cannot reach in a test, as the windows are scaled.
     */
    static LocalPrometheus start(
            List<String> targets, java.util.function.UnaryOperator<String> edit) throws Exception {
        if (!Files.isExecutable(BINARY)) {
            String why = "prometheus is not installed (apt-get install prometheus)";
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError(why);
            }
            Assumptions.assumeTrue(false, why);
        }
        return new LocalPrometheus(targets, edit);
    }

    private LocalPrometheus(List<String> targets, java.util.function.UnaryOperator<String> edit)
            throws Exception {
        dir = Files.createTempDirectory("prometheus-it");
        port = PrometheusScrape.freePort();
        String rules =
                Files.readString(RULES)
                        .replace("[5m]", "[30s]")
                        .replace("[10m]", "[60s]")
                        .replace("[15m]", "[60s]")
                        .replace("[30m]", "[60s]")
                        // Long enough that start-up transients (the first batch not yet
                        // committed, a probe that has not read yet) do not fire.
                        .replaceAll("(?m)^(\\s*)for: \\S+$", "$1for: 10s");
        Files.writeString(dir.resolve("fmstream.rules.yml"), edit.apply(rules));
        StringBuilder config =
                new StringBuilder(
                        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                                + "rule_files:\n  - fmstream.rules.yml\n"
                                + "scrape_configs:\n  - job_name: it\n    static_configs:\n"
                                + "      - targets: [");
        for (int i = 0; i < targets.size(); i++) {
            config.append(i == 0 ? "" : ", ").append('"').append(targets.get(i)).append('"');
        }
        config.append("]\n");
        Files.writeString(dir.resolve("prometheus.yml"), config);
        process =
                new ProcessBuilder(
                                BINARY.toString(),
                                "--config.file=" + dir.resolve("prometheus.yml"),
                                "--storage.tsdb.path=" + dir.resolve("data"),
                                "--web.listen-address=127.0.0.1:" + port)
                        .redirectErrorStream(true)
                        .redirectOutput(dir.resolve("prometheus.log").toFile())
                        .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            try {
                if (get("/-/ready").statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // starting
            }
            if (!process.isAlive()) {
                break;
            }
            Thread.sleep(250);
        }
        String log = Files.readString(dir.resolve("prometheus.log"));
        close();
        throw new IllegalStateException("prometheus did not become ready:\n" + log);
    }

    /** Series an instant query returns. */
    List<JsonNode> query(String promql) throws Exception {
        return query(promql, "");
    }

    /** {@code promql} evaluated at {@code unixSeconds} (e.g. before a target went away). */
    List<JsonNode> queryAt(String promql, double unixSeconds) throws Exception {
        return query(promql, "&time=" + String.format(java.util.Locale.ROOT, "%.3f", unixSeconds));
    }

    private List<JsonNode> query(String promql, String params) throws Exception {
        HttpResponse<String> r =
                get(
                        "/api/v1/query?query="
                                + URLEncoder.encode(promql, StandardCharsets.UTF_8)
                                + params);
        JsonNode body = json.readTree(r.body());
        if (!"success".equals(body.path("status").asText())) {
            throw new IllegalStateException(promql + ": " + r.body());
        }
        List<JsonNode> out = new ArrayList<>();
        body.at("/data/result").forEach(out::add);
        return out;
    }

    /** Names of the alerts now firing. */
    List<String> firing() throws Exception {
        return firingExcept(null);
    }

    /**
     * Names of the alerts now firing, but those about job {@code ignoredJob} (its {@code job_name}
     * label): a job a test has cancelled keeps its last samples in the shortened rate windows for
     * their length, long enough for a per-job alert of it with the 10-s {@code for:}.
     */
    List<String> firingExcept(String ignoredJob) throws Exception {
        JsonNode body = json.readTree(get("/api/v1/alerts").body());
        List<String> out = new ArrayList<>();
        for (JsonNode a : body.at("/data/alerts")) {
            if (ignoredJob != null && ignoredJob.equals(a.at("/labels/job_name").asText())) {
                continue;
            }
            if ("firing".equals(a.path("state").asText())) {
                out.add(a.at("/labels/alertname").asText());
            }
        }
        return out;
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
