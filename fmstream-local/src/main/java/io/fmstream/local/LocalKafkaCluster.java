package io.fmstream.local;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * A real replicated Kafka cluster on one machine: {@code nodes} separate JVMs, each a combined
 * KRaft broker and controller (so killing any one keeps a controller quorum of the others),
 * formatted and started with Kafka's own entry points ({@code kafka.tools.StorageTool}, {@code
 * kafka.Kafka}) from the Maven-resolved jars on the calling JVM's class path. Every listener binds
 * to localhost.
 *
 * <p>Replication: internal topics and, through {@link #TOPIC_CONFIG}, the pipeline's topics use
 * replication factor 3 and {@code min.insync.replicas=2}, so one node may fail without losing an
 * acknowledged record or blocking {@code acks=all} writes. The timeouts in {@link #nodeProperties}
 * are shortened so that a killed node is noticed and its partitions move within seconds (see the
 * README, "Cluster").
 *
 * <p>Layout under {@code dir}: {@code kafka-<n>/server.properties} and {@code kafka-<n>/data},
 * {@code log/kafka-<n>.out}, {@code pids/kafka-<n>.pid}, and {@code bootstrap-servers}.
 */
public final class LocalKafkaCluster implements AutoCloseable {

    /** Broker settings every pipeline topic is created with on this cluster. */
    public static final Map<String, String> TOPIC_CONFIG = Map.of("min.insync.replicas", "2");

    public static final short REPLICATION_FACTOR = 3;

    private final Path dir;
    private final int nodes;
    private final int[] brokerPorts;
    private final int[] controllerPorts;
    private final String clusterId;
    private final String classpath;
    private final List<ChildJvm> processes = new ArrayList<>();

    public LocalKafkaCluster(Path dir, int nodes) throws IOException {
        if (nodes < 1) {
            throw new IllegalArgumentException("nodes must be >= 1: " + nodes);
        }
        this.dir = dir;
        this.nodes = nodes;
        this.brokerPorts = new int[nodes];
        this.controllerPorts = new int[nodes];
        for (int i = 0; i < nodes; i++) {
            brokerPorts[i] = freePort();
            controllerPorts[i] = freePort();
        }
        this.clusterId = UUID.randomUUID().toString().replace("-", "").substring(0, 22);
        this.classpath =
                ChildJvm.ownClasspath().stream()
                        .filter(e -> !e.contains("flink"))
                        .collect(Collectors.joining(java.io.File.pathSeparator));
    }

    /**
     * The configuration of node {@code id} (1-based) of a cluster whose node {@code n} is reached
     * at {@code hosts.get(n-1)} on broker port {@code brokerPorts[n-1]} and controller port {@code
     * controllerPorts[n-1]}. The one definition of the cluster's broker settings: the local cluster
     * and the compose file are both generated from it.
     */
    public static Map<String, String> nodeProperties(
            int id,
            List<String> hosts,
            int[] brokerPorts,
            int[] controllerPorts,
            String bindHost,
            String logDir) {
        Map<String, String> p = new LinkedHashMap<>();
        int n = hosts.size();
        String host = hosts.get(id - 1);
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(id));
        List<String> voters = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            voters.add((i + 1) + "@" + hosts.get(i) + ":" + controllerPorts[i]);
        }
        p.put("controller.quorum.voters", String.join(",", voters));
        p.put(
                "listeners",
                "PLAINTEXT://"
                        + bindHost
                        + ":"
                        + brokerPorts[id - 1]
                        + ",CONTROLLER://"
                        + bindHost
                        + ":"
                        + controllerPorts[id - 1]);
        p.put("advertised.listeners", "PLAINTEXT://" + host + ":" + brokerPorts[id - 1]);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("log.dirs", logDir);
        int rf = Math.min(REPLICATION_FACTOR, n);
        int minIsr = Math.min(2, n);
        // Internal topics replicated like the pipeline's: losing one node loses no offset,
        // transaction state or record.
        p.put("offsets.topic.replication.factor", Integer.toString(rf));
        p.put("transaction.state.log.replication.factor", Integer.toString(rf));
        p.put("transaction.state.log.min.isr", Integer.toString(minIsr));
        p.put("default.replication.factor", Integer.toString(rf));
        p.put("min.insync.replicas", Integer.toString(minIsr));
        p.put("unclean.leader.election.enable", "false");
        // Fewer internal partitions: a laptop-sized cluster starts in seconds.
        p.put("offsets.topic.num.partitions", "10");
        p.put("transaction.state.log.num.partitions", "10");
        p.put("auto.create.topics.enable", "false");
        p.put("group.initial.rebalance.delay.ms", "0");
        // Equal to Kafka's production default, so a client asking for more fails here too.
        p.put("transaction.max.timeout.ms", "900000");
        // Fault detection in seconds rather than the defaults' tens of seconds: a follower that
        // stopped fetching leaves the ISR after 5 s (default 30 s), a broker that stopped
        // heartbeating is fenced after 6 s (default 9 s), heartbeats every 1 s (default 2 s).
        p.put("replica.lag.time.max.ms", "5000");
        p.put("broker.session.timeout.ms", "6000");
        p.put("broker.heartbeat.interval.ms", "1000");
        p.put("controller.quorum.election.timeout.ms", "1000");
        p.put("controller.quorum.fetch.timeout.ms", "2000");
        return p;
    }

    /** Formats (first start only) and starts every node; returns once all brokers are up. */
    public void start() throws Exception {
        for (int id = 1; id <= nodes; id++) {
            Path nodeDir = dir.resolve("kafka-" + id);
            Files.createDirectories(nodeDir);
            Path config = nodeDir.resolve("server.properties");
            Properties props = new Properties();
            props.putAll(
                    nodeProperties(
                            id,
                            java.util.Collections.nCopies(nodes, "localhost"),
                            brokerPorts,
                            controllerPorts,
                            "localhost",
                            nodeDir.resolve("data").toString()));
            try (var w = Files.newBufferedWriter(config)) {
                props.store(w, "fmstream local cluster, node " + id);
            }
            if (!Files.exists(nodeDir.resolve("data/meta.properties"))) {
                format(id, config);
            }
        }
        for (int id = 1; id <= nodes; id++) {
            processes.add(launch(id));
        }
        Files.writeString(dir.resolve("bootstrap-servers"), bootstrapServers());
        awaitBrokers(nodes, Duration.ofSeconds(90));
    }

    private void format(int id, Path config) throws Exception {
        Process p =
                new ProcessBuilder(
                                ChildJvm.javaBin(),
                                "-Xmx128m",
                                "-cp",
                                classpath,
                                "kafka.tools.StorageTool",
                                "format",
                                "-t",
                                clusterId,
                                "-c",
                                config.toString())
                        .redirectErrorStream(true)
                        .redirectOutput(dir.resolve("kafka-" + id + "/format.out").toFile())
                        .start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException(
                    "formatting kafka-"
                            + id
                            + " failed; see "
                            + dir.resolve("kafka-" + id + "/format.out")
                            + ChildJvm.tail(dir.resolve("kafka-" + id + "/format.out")));
        }
    }

    private ChildJvm launch(int id) throws IOException {
        return ChildJvm.launch(
                dir,
                "kafka-" + id,
                classpath,
                List.of(
                        "-Xmx384m",
                        "-Xms128m",
                        "-XX:+UseG1GC",
                        "-Dlog4j2.configurationFile=" + log4j(id)),
                "kafka.Kafka",
                List.of(dir.resolve("kafka-" + id + "/server.properties").toString()),
                Map.of());
    }

    private Path log4j(int id) throws IOException {
        Path f = dir.resolve("kafka-" + id + "/log4j2.properties");
        Files.writeString(
                f,
                String.join(
                        "\n",
                        "rootLogger.level = INFO",
                        "rootLogger.appenderRef.out.ref = out",
                        "appender.out.type = Console",
                        "appender.out.name = out",
                        "appender.out.layout.type = PatternLayout",
                        "appender.out.layout.pattern = %d{HH:mm:ss,SSS} %-5p [%c{1}] %m%n",
                        ""));
        return f;
    }

    /** Waits until {@code count} brokers are registered, failing early if a node died. */
    public void awaitBrokers(int count, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            for (ChildJvm p : processes) {
                if (p != null) {
                    p.checkAlive(); // a node killed on purpose is null until restarted
                }
            }
            try (Admin admin = admin()) {
                int up = admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).size();
                if (up >= count) {
                    return;
                }
            } catch (Exception e) {
                last = e;
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException(
                "Kafka cluster: fewer than "
                        + count
                        + " brokers up within "
                        + timeout
                        + "; see "
                        + dir.resolve("log"),
                last);
    }

    public String bootstrapServers() {
        List<String> s = new ArrayList<>();
        for (int port : brokerPorts) {
            s.add("localhost:" + port);
        }
        return String.join(",", s);
    }

    public Admin admin() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10000);
        return Admin.create(p);
    }

    /** The node's process (1-based id); null while it is killed. */
    public ChildJvm node(int id) {
        return processes.get(id - 1);
    }

    /** {@code kill -9} of node {@code id}. */
    public void kill(int id) throws InterruptedException {
        node(id).kill();
        processes.set(id - 1, null);
    }

    /** Starts node {@code id} again on its data and ports (after {@link #kill}). */
    public void restart(int id) throws Exception {
        processes.set(id - 1, launch(id));
    }

    public int nodes() {
        return nodes;
    }

    @Override
    public void close() throws Exception {
        for (ChildJvm p : processes) {
            if (p != null && p.isAlive()) {
                p.stop(20);
            }
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
