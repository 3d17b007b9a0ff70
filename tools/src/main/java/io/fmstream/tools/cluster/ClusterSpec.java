package io.fmstream.tools.cluster;

import io.fmstream.kafka.Topics;
import io.fmstream.local.LocalKafkaCluster;
import io.fmstream.metrics.ReporterSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.config.TopicConfig;

/**
 * The one definition of the multi-process deployment: how many Kafka nodes and TaskManagers, the
 * Flink settings beyond the launcher's defaults, the job's flags and the simulator's. {@code
 * bin/fmstream cluster} runs exactly these, and the fault tests start the same cluster through
 * {@link LocalCluster}.
 */
public final class ClusterSpec {

    /** Combined broker+controller nodes: killing any one keeps a controller quorum of two. */
    public static final int KAFKA_NODES = 3;

    /**
     * Two TaskManagers of two slots for a job of parallelism 2: after a TaskManager is killed the
     * survivor's two slots take the whole job, so recovery does not wait for a replacement (a
     * standalone cluster never starts one by itself).
     */
    public static final int TASK_MANAGERS = 2;

    public static final int SLOTS_PER_TASK_MANAGER = 2;
    public static final int PARALLELISM = 2;

    /** Enough partitions to rescale the job to 3 and back. */
    public static final int PARTITIONS = 4;

    public static final String TRANSACTIONAL_ID_PREFIX = "fmstream-cluster";
    public static final String CHECKPOINT_INTERVAL = "5 s";

    /** Ports of fmstream's metric reporter, one per Flink process. */
    public static final String METRICS_PORTS = "9250-9259";

    private ClusterSpec() {}

    /** Flink configuration beyond the launcher's base (memory, loopback binds, ports). */
    public static Map<String, String> flinkConfig(Path dir) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("execution.checkpointing.dir", dir.resolve("checkpoints").toUri().toString());
        c.put(
                "execution.checkpointing.savepoint-dir",
                dir.resolve("savepoints").toUri().toString());
        // Kept on cancel and on a JobManager loss, so the job can be resubmitted from the last one.
        c.put(
                "execution.checkpointing.externalized-checkpoint-retention",
                "RETAIN_ON_CANCELLATION");
        c.put("execution.checkpointing.num-retained", "3");
        c.put("restart-strategy.type", "exponential-delay");
        c.put("restart-strategy.exponential-delay.initial-backoff", "1 s");
        c.put("restart-strategy.exponential-delay.max-backoff", "10 s");
        // A killed TaskManager is declared lost after two missed heartbeats of 2 s instead of
        // the default 50 s timeout.
        c.put("heartbeat.interval", "2000");
        c.put("heartbeat.timeout", "10000");
        // ONNX Runtime comes from the cluster's class path (its lib/), loaded parent-first: a
        // resubmitted or restarted job reuses the TaskManager's one native library instead of
        // loading another copy per submission (extracted to a fresh temporary folder each time,
        // so the JVM allows it, and never releases it; with onnxruntime.native.path set, the JVM
        // refuses the second load).
        // fmstream's metric reporter (its jar beside ONNX Runtime's) recognises the job's
        // histograms only as its own class, hence parent-first too.
        c.put(
                "classloader.parent-first-patterns.additional",
                "ai.onnxruntime.;" + ReporterSettings.PARENT_FIRST);
        // The job's metrics for Prometheus, on loopback: one port per JobManager/TaskManager
        // process from the range. Flink's own reporter is left out here: it binds to every
        // interface (the compose deployment adds it inside its container network).
        c.putAll(ReporterSettings.fmstreamOnly("127.0.0.1", METRICS_PORTS));
        // The REST API stays on loopback; outside the demo it neither takes jar uploads nor
        // cancels from the web UI (stop-with-savepoint through the CLI still works).
        c.put("web.submit.enable", "false");
        c.put("web.cancel.enable", "false");
        return c;
    }

    /** The job's program arguments, as a user passes them to {@code flink run}. */
    public static List<String> jobArgs(String bootstrapServers, String bundleUri) {
        List<String> a = new ArrayList<>();
        a.add("--fmstream.kafka.bootstrap-servers");
        a.add(bootstrapServers);
        a.add("--fmstream.bundle");
        a.add(bundleUri);
        a.add("--fmstream.topics.partitions");
        a.add(Integer.toString(PARTITIONS));
        a.add("--fmstream.topics.replication-factor");
        a.add(Integer.toString(KAFKA_NODES));
        a.add("--fmstream.transactional-id-prefix");
        a.add(TRANSACTIONAL_ID_PREFIX);
        a.add("--fmstream.checkpoint-interval");
        a.add(CHECKPOINT_INTERVAL);
        return a;
    }

    /** The pipeline's topics, created by the cluster (replicated, min.insync.replicas=2). */
    public static List<String> topics() {
        return List.of(
                Topics.SENSOR_CHUNKS,
                Topics.EMBEDDINGS,
                Topics.PREDICTIONS,
                Topics.DEAD_LETTERS,
                Topics.GROUND_TRUTH);
    }

    /**
     * The configs a pipeline topic is created with: {@link LocalKafkaCluster#TOPIC_CONFIG}, and for
     * the sensor topic the broker's append time as its timestamps, as the job creates it (its event
     * time; the job refuses a sensor topic with producers' timestamps).
     */
    public static Map<String, String> topicConfig(String topic) {
        Map<String, String> config = new TreeMap<>(LocalKafkaCluster.TOPIC_CONFIG);
        if (topic.equals(Topics.SENSOR_CHUNKS)) {
            config.put(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime");
        }
        return config;
    }

    /**
     * The probe's metrics port, {@code bin/fmstream probe}'s default: outside {@link
     * #METRICS_PORTS}, where on one host a TaskManager's reporter holds 9251.
     */
    public static final int PROBE_PORT = 9260;

    /**
     * The probe ({@code bin/fmstream probe}) beside the job: committed latency, the group's lag and
     * the sinks' transactions, whose alerts have no other source. Its consumer group is the job's
     * default one.
     */
    public static List<String> probeArgs(String bootstrapServers, String metricsHost) {
        return List.of(
                "probe",
                "--bootstrap-servers",
                bootstrapServers,
                "--transactional-id-prefix",
                TRANSACTIONAL_ID_PREFIX,
                "--metrics-host",
                metricsHost,
                "--metrics-port",
                Integer.toString(PROBE_PORT));
    }

    /** The simulator's arguments: {@code devices} devices in real time from {@code seed}. */
    public static List<String> simulatorArgs(String bootstrapServers, int devices, long seed) {
        return List.of(
                "simulate",
                "--bootstrap-servers",
                bootstrapServers,
                "--devices",
                Integer.toString(devices),
                "--seed",
                Long.toString(seed),
                "--duration",
                "PT24H",
                "--metrics-port",
                "0");
    }
}
