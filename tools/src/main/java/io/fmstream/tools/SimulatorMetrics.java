package io.fmstream.tools;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.lang.management.ManagementFactory;

/**
 * The simulator's own metrics, served for Prometheus at {@code http://<host>:<port>/metrics}
 * (default port 9400) with the Prometheus Java client, independent of Flink's reporter: {@code
 * fmstream_simulator_chunks_sent_total}, {@code fmstream_simulator_send_errors_total}, {@code
 * fmstream_simulator_ground_truth_sent_total}, {@code fmstream_simulator_devices_online}, {@code
 * fmstream_simulator_backlog_chunks} (recorded by offline devices, not yet sent) and {@code
 * fmstream_simulator_cpu_seconds} (this process), so a load test can show that it measured the job,
 * not the generator.
 */
final class SimulatorMetrics implements AutoCloseable {

    final Gauge devicesOnline;
    final Gauge backlog;
    private final HTTPServer server;

    /** Counters are read from the publisher, which counts broker acknowledgements. */
    SimulatorMetrics(int port, KafkaPublisher publisher) throws IOException {
        PrometheusRegistry registry = new PrometheusRegistry();
        CounterWithCallback.builder()
                .name("fmstream_simulator_chunks_sent")
                .help("Sensor chunks acknowledged by Kafka")
                .callback(cb -> cb.call(publisher.acknowledged()))
                .register(registry);
        CounterWithCallback.builder()
                .name("fmstream_simulator_send_errors")
                .help("Sends that failed")
                .callback(cb -> cb.call(publisher.failed()))
                .register(registry);
        CounterWithCallback.builder()
                .name("fmstream_simulator_ground_truth_sent")
                .help("Ground-truth records acknowledged by Kafka")
                .callback(cb -> cb.call(publisher.truthAcknowledged()))
                .register(registry);
        devicesOnline =
                Gauge.builder()
                        .name("fmstream_simulator_devices_online")
                        .help("Devices not in an offline period")
                        .register(registry);
        backlog =
                Gauge.builder()
                        .name("fmstream_simulator_backlog_chunks")
                        .help("Chunks recorded by offline devices and not yet sent")
                        .register(registry);
        GaugeWithCallback.builder()
                .name("fmstream_simulator_cpu_seconds")
                .help("CPU time used by the simulator process")
                .callback(cb -> cb.call(processCpuSeconds()))
                .register(registry);
        server =
                port > 0
                        // Loopback only, like every listener of the demo and the local cluster.
                        ? HTTPServer.builder()
                                .inetAddress(java.net.InetAddress.getLoopbackAddress())
                                .port(port)
                                .registry(registry)
                                .buildAndStart()
                        : null;
    }

    static double processCpuSeconds() {
        java.lang.management.OperatingSystemMXBean os =
                ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getProcessCpuTime() / 1e9;
        }
        return Double.NaN;
    }

    @Override
    public void close() {
        if (server != null) {
            server.stop();
        }
    }
}
