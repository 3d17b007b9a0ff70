package io.fmstream.tools.cluster;

import io.fmstream.job.FmstreamJob;
import io.fmstream.local.LocalKafkaCluster;
import io.fmstream.metrics.ReporterSettings;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.flink.runtime.util.EnvironmentInformation;
import org.apache.kafka.common.utils.AppInfoParser;

/**
 * Renders {@code docker/docker-compose.yml}: the deployment of {@link ClusterSpec} as containers (3
 * KRaft Kafka nodes configured by {@link LocalKafkaCluster#nodeProperties}, a one-shot topic
 * creator, a Flink JobManager in application mode running the job with {@link ClusterSpec#jobArgs},
 * {@link ClusterSpec#TASK_MANAGERS} TaskManagers, the simulator, Prometheus and Grafana). The
 * output is deterministic; {@code ComposeFileTest} fails while the committed file differs from it.
 * Run {@code main} with the file's path to rewrite it (see {@link #REGENERATE}).
 */
public final class ComposeFile {

    /** The committed file, relative to the repository root. */
    public static final String PATH = "docker/docker-compose.yml";

    /** How to regenerate the committed file, from the repository root. */
    public static final List<String> REGENERATE =
            List.of(
                    "mvn -q -B -ntp -DskipTests install -pl tools -am",
                    "java -cp \"tools/target/classes:$(cat tools/target/classpath.txt)\""
                            + " io.fmstream.tools.cluster.ComposeFile "
                            + PATH);

    /** Kafka nodes' host names (the compose services' names). */
    public static final List<String> KAFKA_HOSTS = kafkaHosts();

    /**
     * Broker port of each node: a different one per node, so that all three can be published on the
     * host's loopback at the port they advertise.
     */
    public static final int[] BROKER_PORTS = ports(9092);

    /** Controller port of each node (not published). */
    public static final int[] CONTROLLER_PORTS = ports(9093);

    /** Listeners bind to every interface of the container: the other containers connect. */
    public static final String KAFKA_BIND_HOST = "0.0.0.0";

    /** A volume the apache/kafka image declares and its user owns. */
    public static final String KAFKA_LOG_DIR = "/var/lib/kafka/data";

    /** The bootstrap servers every client in the compose network uses. */
    public static final String BOOTSTRAP = bootstrap();

    /** The default bundle, where docker/Dockerfile puts it in the Flink image. */
    public static final String BUNDLE_URI = "file:///opt/fmstream/bundles/ecg-fm-v2";

    /** The shared volume of the JobManager and the TaskManagers: checkpoints and savepoints. */
    public static final String STATE_DIR = "/opt/fmstream/state";

    /** The simulator's devices and seed, as {@code cluster up}'s defaults. */
    public static final int SIMULATOR_DEVICES = 20;

    public static final long SIMULATOR_SEED = 1;

    public static final String JOB_MANAGER = "jobmanager";
    public static final int REST_PORT = 8081;

    /** Images pulled as published; their tags are concrete releases, never {@code latest}. */
    public static final String PROMETHEUS_IMAGE = "prom/prometheus:v3.5.0";

    public static final String GRAFANA_IMAGE = "grafana/grafana:12.1.0";

    /** Flink and Kafka images: the versions on the class path, which are the pom's. */
    public static String kafkaImage() {
        return "apache/kafka:" + AppInfoParser.getVersion();
    }

    public static String flinkVersion() {
        return EnvironmentInformation.getVersion();
    }

    /** A fixed KRaft cluster id (22 characters of URL-safe base64, as Kafka's Uuid). */
    public static final String CLUSTER_ID = clusterId();

    private ComposeFile() {}

    /** Server properties of Kafka node {@code id} (1-based) in the compose network. */
    public static Map<String, String> kafkaProperties(int id) {
        return LocalKafkaCluster.nodeProperties(
                id, KAFKA_HOSTS, BROKER_PORTS, CONTROLLER_PORTS, KAFKA_BIND_HOST, KAFKA_LOG_DIR);
    }

    /**
     * The environment variable by which the apache/kafka image sets a server property: {@code
     * KAFKA_} and the upper-cased name with '.' as '_', '_' as '__' and '-' as '___'.
     */
    public static String kafkaEnvName(String property) {
        StringBuilder b = new StringBuilder("KAFKA_");
        for (char c : property.toCharArray()) {
            switch (c) {
                case '.' -> b.append('_');
                case '_' -> b.append("__");
                case '-' -> b.append("___");
                default -> b.append(Character.toUpperCase(c));
            }
        }
        return b.toString();
    }

    /** The job's program arguments in the compose deployment. */
    public static List<String> jobArgs() {
        return ClusterSpec.jobArgs(BOOTSTRAP, BUNDLE_URI);
    }

    /** The simulator's arguments in the compose deployment. */
    public static List<String> simulatorArgs() {
        return ClusterSpec.simulatorArgs(BOOTSTRAP, SIMULATOR_DEVICES, SIMULATOR_SEED);
    }

    /**
     * The Flink configuration of every Flink container: where the JobManager is, the slots and
     * parallelism of {@link ClusterSpec}, then {@link ClusterSpec#flinkConfig} with its folders on
     * the shared volume.
     */
    public static Map<String, String> flinkProperties() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("jobmanager.rpc.address", JOB_MANAGER);
        c.put(
                "taskmanager.numberOfTaskSlots",
                Integer.toString(ClusterSpec.SLOTS_PER_TASK_MANAGER));
        c.put("parallelism.default", Integer.toString(ClusterSpec.PARALLELISM));
        for (Map.Entry<String, String> e : ClusterSpec.flinkConfig(Path.of(STATE_DIR)).entrySet()) {
            String v = e.getValue();
            // Path.toUri() ends an existing folder with '/': the file must not depend on the
            // machine that renders it.
            if (v.startsWith("file:") && v.endsWith("/")) {
                v = v.substring(0, v.length() - 1);
            }
            c.put(e.getKey(), v);
        }
        // Inside the compose network Prometheus scrapes the Flink containers from its own
        // container, so the reporter listens on the container's interfaces (no port is published
        // on the host); Flink's own reporter joins it here for Flink's metrics (lag, checkpoints).
        c.put(METRICS_HOST_KEY, "0.0.0.0");
        c.putAll(ReporterSettings.flinksOwn(Integer.toString(ReporterSettings.FLINK_PORT)));
        return c;
    }

    /** The one key whose value compose overrides: the reporter's bind address. */
    public static final String METRICS_HOST_KEY = "metrics.reporter.fmstream.host";

    /** The whole file. */
    public static String render() {
        Yaml y = new Yaml();
        y.line(0, "# GENERATED by io.fmstream.tools.cluster.ComposeFile from ClusterSpec and");
        y.line(
                0,
                "# LocalKafkaCluster.nodeProperties; do not edit. Regenerate from the repository"
                        + " root:");
        for (String command : REGENERATE) {
            y.line(0, "#   " + command);
        }
        y.line(0, "# (ComposeFileTest fails while this file differs from the generator's output.)");
        y.line(0, "#");
        y.line(0, "# Start: docker compose -p fmstream -f docker/docker-compose.yml up -d --build");
        y.line(
                0,
                "# The job and simulator images are built from docker/Dockerfile. Every published");
        y.line(0, "# port is bound to 127.0.0.1: Flink web UI http://127.0.0.1:" + REST_PORT + ",");
        y.line(
                0,
                "# Prometheus http://127.0.0.1:9090, Grafana http://127.0.0.1:3000. Kafka"
                        + " advertises");
        y.line(0, "# " + BOOTSTRAP + "; a client on the host needs");
        y.line(0, "# \"127.0.0.1 " + String.join(" ", KAFKA_HOSTS) + "\" in /etc/hosts.");
        y.line(0, "");
        y.line(0, "services:");
        for (int id = 1; id <= ClusterSpec.KAFKA_NODES; id++) {
            kafka(y, id);
        }
        topics(y);
        jobManager(y);
        for (int i = 1; i <= ClusterSpec.TASK_MANAGERS; i++) {
            taskManager(y, i);
        }
        simulator(y);
        probe(y);
        monitoring(y);
        y.line(0, "volumes:");
        for (String host : KAFKA_HOSTS) {
            y.line(1, host + "-data: {}");
        }
        y.line(1, "flink-state: {}");
        return y.toString();
    }

    private static void kafka(Yaml y, int id) {
        String host = KAFKA_HOSTS.get(id - 1);
        int port = BROKER_PORTS[id - 1];
        y.line(1, host + ":");
        y.line(2, "image: " + q(kafkaImage()));
        y.line(2, "hostname: " + host);
        restart(y);
        y.line(2, "environment:");
        y.line(3, "CLUSTER_ID: " + q(CLUSTER_ID));
        for (Map.Entry<String, String> e : kafkaProperties(id).entrySet()) {
            y.line(3, kafkaEnvName(e.getKey()) + ": " + q(e.getValue()));
        }
        ports(y, port);
        y.line(2, "volumes:");
        y.line(3, "- " + q(host + "-data:" + KAFKA_LOG_DIR));
        healthcheck(
                y,
                List.of(
                        "CMD",
                        "/opt/kafka/bin/kafka-broker-api-versions.sh",
                        "--bootstrap-server",
                        "localhost:" + port));
        y.line(0, "");
    }

    private static void topics(Yaml y) {
        List<String> commands = new ArrayList<>();
        for (String topic : ClusterSpec.topics()) {
            Map<String, String> config = ClusterSpec.topicConfig(topic); // sorted: one order
            StringBuilder c =
                    new StringBuilder("/opt/kafka/bin/kafka-topics.sh --bootstrap-server ")
                            .append(BOOTSTRAP)
                            .append(" --create --if-not-exists --topic ")
                            .append(topic)
                            .append(" --partitions ")
                            .append(ClusterSpec.PARTITIONS)
                            .append(" --replication-factor ")
                            .append(LocalKafkaCluster.REPLICATION_FACTOR);
            for (Map.Entry<String, String> e : config.entrySet()) {
                c.append(" --config ").append(e.getKey()).append('=').append(e.getValue());
            }
            commands.add(c.toString());
        }
        y.line(1, "topics:");
        y.line(2, "image: " + q(kafkaImage()));
        y.line(2, "command:");
        y.line(3, "- sh");
        y.line(3, "- -c");
        y.line(3, "- " + q(String.join(" && ", commands)));
        y.line(2, "restart: \"no\"");
        y.line(2, "depends_on:");
        for (String host : KAFKA_HOSTS) {
            y.line(3, host + ":");
            y.line(4, "condition: service_healthy");
        }
        y.line(0, "");
    }

    private static void jobManager(Yaml y) {
        y.line(1, JOB_MANAGER + ":");
        flinkImage(y, JOB_MANAGER);
        List<String> command = new ArrayList<>();
        command.add("standalone-job");
        command.add("--job-classname");
        command.add(FmstreamJob.class.getName());
        command.addAll(jobArgs());
        list(y, "command", command);
        ports(y, REST_PORT);
        y.line(2, "depends_on:");
        y.line(3, "topics:");
        y.line(4, "condition: service_completed_successfully");
        healthcheck(
                y,
                List.of(
                        "CMD",
                        "wget",
                        "-q",
                        "-O",
                        "/dev/null",
                        "http://localhost:" + REST_PORT + "/overview"));
        y.line(0, "");
    }

    private static void taskManager(Yaml y, int i) {
        String name = "taskmanager-" + i;
        y.line(1, name + ":");
        flinkImage(y, name);
        list(y, "command", List.of("taskmanager"));
        y.line(2, "depends_on:");
        y.line(3, JOB_MANAGER + ":");
        y.line(4, "condition: service_healthy");
        y.line(0, "");
    }

    /**
     * Every long-running service comes back after a crash or a host reboot, as under a process
     * supervisor; {@code docker compose stop} still stops it. A TaskManager that died is replaced
     * and the job restores from its last checkpoint (the flink-state volume); a restarted
     * JobManager has no high availability here, see the README's deployment notes.
     */
    private static void restart(Yaml y) {
        y.line(2, "restart: unless-stopped");
    }

    private static void flinkImage(Yaml y, String host) {
        build(y, "flink");
        y.line(2, "hostname: " + host);
        restart(y);
        y.line(2, "environment:");
        y.line(3, "FLINK_PROPERTIES: |");
        for (Map.Entry<String, String> e : flinkProperties().entrySet()) {
            String line = e.getKey() + ": " + e.getValue();
            // A literal block: compose would interpolate a '$', and the image's entry point
            // splits each line at its first ':'.
            if (line.contains("$") || line.contains("\n")) {
                throw new IllegalStateException("not a FLINK_PROPERTIES line: " + line);
            }
            y.line(4, line);
        }
        y.line(2, "volumes:");
        y.line(3, "- " + q("flink-state:" + STATE_DIR));
    }

    private static void simulator(Yaml y) {
        toolService(y, "simulator", simulatorArgs());
    }

    /** The probe's arguments in the compose deployment: reachable from Prometheus' container. */
    public static List<String> probeArgs() {
        return ClusterSpec.probeArgs(BOOTSTRAP, "0.0.0.0");
    }

    private static void probe(Yaml y) {
        y.line(
                1,
                "# The probe: committed latency, the job's lag and its transactions, the only"
                        + " source of their alerts.");
        toolService(y, "probe", probeArgs());
    }

    /** A service of the tools image running {@code args}, once the topics exist. */
    private static void toolService(Yaml y, String name, List<String> args) {
        y.line(1, name + ":");
        build(y, "tools");
        restart(y);
        list(y, "command", args);
        y.line(2, "depends_on:");
        y.line(3, "topics:");
        y.line(4, "condition: service_completed_successfully");
        y.line(0, "");
    }

    private static void monitoring(Yaml y) {
        y.line(
                1,
                "# Prometheus with fmstream's recording and alerting rules (tested by promtool),"
                        + " Grafana with the fmstream dashboard.");
        y.line(1, "prometheus:");
        y.line(2, "image: " + q(PROMETHEUS_IMAGE));
        restart(y);
        y.line(2, "volumes:");
        y.line(3, "- " + q("./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro"));
        y.line(3, "- " + q("./prometheus/rules:/etc/prometheus/rules:ro"));
        ports(y, 9090);
        y.line(0, "");
        y.line(1, "grafana:");
        y.line(2, "image: " + q(GRAFANA_IMAGE));
        restart(y);
        y.line(2, "volumes:");
        y.line(3, "- " + q("./grafana/provisioning:/etc/grafana/provisioning:ro"));
        y.line(3, "- " + q("./grafana/dashboards:/var/lib/grafana/dashboards:ro"));
        ports(y, 3000);
        y.line(2, "depends_on:");
        y.line(3, "- prometheus");
        y.line(0, "");
    }

    private static void build(Yaml y, String target) {
        y.line(2, "build:");
        y.line(3, "context: ..");
        y.line(3, "dockerfile: docker/Dockerfile");
        y.line(3, "target: " + target);
    }

    private static void ports(Yaml y, int port) {
        y.line(2, "ports:");
        y.line(3, "- " + q("127.0.0.1:" + port + ":" + port));
    }

    private static void healthcheck(Yaml y, List<String> test) {
        y.line(2, "healthcheck:");
        list(y, 3, "test", test);
        y.line(3, "interval: 5s");
        y.line(3, "timeout: 20s");
        y.line(3, "retries: 30");
        y.line(3, "start_period: 20s");
    }

    private static void list(Yaml y, String key, List<String> items) {
        list(y, 2, key, items);
    }

    private static void list(Yaml y, int level, String key, List<String> items) {
        y.line(level, key + ":");
        for (String item : items) {
            y.line(level + 1, "- " + q(item));
        }
    }

    /** A double-quoted YAML scalar; '$' doubled, as compose would otherwise interpolate it. */
    static String q(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c < 0x20 || c > 0x7e) {
                throw new IllegalArgumentException("not printable ASCII: " + s);
            }
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '$' -> b.append("$$");
                default -> b.append(c);
            }
        }
        return b.append('"').toString();
    }

    private static final class Yaml {
        private final StringBuilder b = new StringBuilder();

        void line(int level, String text) {
            if (!text.isEmpty()) {
                b.append("  ".repeat(level)).append(text);
            }
            b.append('\n');
        }

        @Override
        public String toString() {
            return b.toString();
        }
    }

    private static List<String> kafkaHosts() {
        List<String> hosts = new ArrayList<>();
        for (int id = 1; id <= ClusterSpec.KAFKA_NODES; id++) {
            hosts.add("kafka-" + id);
        }
        return List.copyOf(hosts);
    }

    /** 19092, 29092, 39092 for base 9092: node n's port is n * 10000 + base. */
    private static int[] ports(int base) {
        int[] p = new int[ClusterSpec.KAFKA_NODES];
        for (int i = 0; i < p.length; i++) {
            p[i] = (i + 1) * 10000 + base;
        }
        return p;
    }

    private static String bootstrap() {
        List<String> s = new ArrayList<>();
        for (int i = 0; i < KAFKA_HOSTS.size(); i++) {
            s.add(KAFKA_HOSTS.get(i) + ":" + BROKER_PORTS[i]);
        }
        return String.join(",", s);
    }

    private static String clusterId() {
        UUID u = UUID.nameUUIDFromBytes("fmstream-compose".getBytes(StandardCharsets.US_ASCII));
        ByteBuffer bytes = ByteBuffer.allocate(16);
        bytes.putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits());
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes.array());
    }

    /** Prints the file, or writes it to the path given as the only argument. */
    public static void main(String[] args) throws Exception {
        String text = render();
        if (args.length == 1) {
            Files.writeString(Path.of(args[0]), text, StandardCharsets.US_ASCII);
        } else if (args.length == 0) {
            System.out.print(text);
        } else {
            System.err.println("usage: ComposeFile [output file]");
            System.exit(2);
        }
    }
}
