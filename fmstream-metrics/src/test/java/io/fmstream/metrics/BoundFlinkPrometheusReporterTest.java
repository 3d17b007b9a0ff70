package io.fmstream.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.metrics.CharacterFilter;
import org.apache.flink.metrics.LogicalScopeProvider;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class BoundFlinkPrometheusReporterTest {

    /** An operator's group as Flink hands it to reporters: scope variables and a logical scope. */
    private static final class Group extends UnregisteredMetricsGroup
            implements LogicalScopeProvider {
        @Override
        public Map<String, String> getAllVariables() {
            Map<String, String> v = new HashMap<>();
            v.put("<job_name>", "fmstream");
            v.put("<subtask_index>", "0");
            return v;
        }

        @Override
        public String getLogicalScope(CharacterFilter filter) {
            return getLogicalScope(filter, '.');
        }

        @Override
        public String getLogicalScope(CharacterFilter filter, char delimiter) {
            return "taskmanager" + delimiter + "job" + delimiter + "task" + delimiter + "operator";
        }

        @Override
        public MetricGroup getWrappedMetricGroup() {
            return this;
        }
    }

    @Test
    void servesFlinksMetricsAsFlinksReporterDoesButOnLoopbackOnly() throws Exception {
        BoundFlinkPrometheusReporter reporter = new BoundFlinkPrometheusReporter();
        MetricConfig config = new MetricConfig();
        config.setProperty(BoundFlinkPrometheusReporter.PORT, "0");
        reporter.open(config);
        try {
            SimpleCounter in = new SimpleCounter();
            in.inc(42);
            reporter.notifyOfAddedMetric(in, "numRecordsIn", new Group());

            HttpResponse<String> r =
                    HttpClient.newHttpClient()
                            .send(
                                    HttpRequest.newBuilder(
                                                    URI.create(
                                                            "http://127.0.0.1:"
                                                                    + reporter.port()
                                                                    + "/metrics"))
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString());
            // Flink's names and labels, unchanged (the rules and dashboard use them).
            assertThat(r.body())
                    .contains(
                            "flink_taskmanager_job_task_operator_numRecordsIn{job_name=\"fmstream\",subtask_index=\"0\",}"
                                + " 42.0");

            Optional<InetAddress> external = nonLoopbackAddress();
            Assumptions.assumeTrue(
                    external.isPresent(), "this machine has no non-loopback address to try");
            assertThatThrownBy(
                            () -> {
                                try (Socket s = new Socket()) {
                                    s.connect(
                                            new InetSocketAddress(external.get(), reporter.port()),
                                            2_000);
                                }
                            })
                    .as("connect from %s", external.get())
                    .isInstanceOf(ConnectException.class);
        } finally {
            reporter.close();
        }
    }

    @Test
    void aTakenPortMovesToTheNextOfTheRange() throws Exception {
        BoundFlinkPrometheusReporter first = new BoundFlinkPrometheusReporter();
        BoundFlinkPrometheusReporter second = new BoundFlinkPrometheusReporter();
        MetricConfig c = new MetricConfig();
        c.setProperty(BoundFlinkPrometheusReporter.PORT, "0");
        first.open(c);
        try {
            int port = first.port();
            MetricConfig range = new MetricConfig();
            range.setProperty(BoundFlinkPrometheusReporter.PORT, port + "-" + (port + 20));
            second.open(range);
            assertThat(second.port()).isGreaterThan(port).isLessThanOrEqualTo(port + 20);
        } finally {
            second.close();
            first.close();
        }
    }

    private static Optional<InetAddress> nonLoopbackAddress() throws Exception {
        for (NetworkInterface i : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!i.isUp() || i.isLoopback()) {
                continue;
            }
            for (InetAddress a : Collections.list(i.getInetAddresses())) {
                if (a instanceof Inet4Address && !a.isLoopbackAddress()) {
                    return Optional.of(a);
                }
            }
        }
        return Optional.empty();
    }
}
