package io.fmstream.it;

import io.fmstream.metrics.ReporterSettings;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.configuration.Configuration;

/** One scrape of Flink's Prometheus reporter, parsed from the text exposition format. */
final class PrometheusScrape {

    private static final Pattern SAMPLE =
            Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)\\})?\\s+(\\S+).*$");
    private static final Pattern LABEL =
            Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    private final List<Sample> samples;

    private record Sample(String name, Map<String, String> labels, double value) {}

    private PrometheusScrape(List<Sample> samples) {
        this.samples = samples;
    }

    /**
     * Both reporters, as the demo and the cluster run them: Flink's on {@code flinkPort},
     * fmstream's (the job's catalogue metrics) on {@code fmstreamPort}.
     */
    static Configuration reporterConfiguration(int fmstreamPort, int flinkPort) {
        Configuration c = new Configuration();
        ReporterSettings.flinkConfiguration(
                        "localhost", String.valueOf(flinkPort), String.valueOf(fmstreamPort))
                .forEach(c::setString);
        return c;
    }

    static PrometheusScrape scrape(int port) throws IOException, InterruptedException {
        HttpResponse<String> response =
                HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(
                                                URI.create("http://localhost:" + port + "/metrics"))
                                        .timeout(Duration.ofSeconds(10))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException(
                    "Prometheus endpoint answered " + response.statusCode());
        }
        List<Sample> samples = new ArrayList<>();
        for (String line : response.body().split("\n")) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            if (!m.matches()) {
                continue;
            }
            Map<String, String> labels = new LinkedHashMap<>();
            if (m.group(3) != null) {
                Matcher l = LABEL.matcher(m.group(3));
                while (l.find()) {
                    labels.put(l.group(1), l.group(2));
                }
            }
            samples.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(4))));
        }
        return new PrometheusScrape(samples);
    }

    /**
     * Sum over every series whose name ends with {@code metric} and that has all the given labels.
     */
    long sum(String metric, Map<String, String> labels) {
        double total = 0;
        for (Sample s : samples) {
            if (s.name().endsWith(metric) && s.labels().entrySet().containsAll(labels.entrySet())) {
                total += s.value();
            }
        }
        return Math.round(total);
    }

    /** Label sets of every series whose name starts with {@code prefix}. */
    List<Map<String, String>> labelSets(String prefix) {
        List<Map<String, String>> out = new ArrayList<>();
        for (Sample s : samples) {
            if (s.name().startsWith(prefix)) {
                out.add(s.labels());
            }
        }
        return out;
    }

    Set<String> names() {
        Set<String> names = new TreeSet<>();
        samples.forEach(s -> names.add(s.name()));
        return names;
    }

    static int freePort() {
        return io.fmstream.local.FreePorts.pick();
    }
}
