package io.fmstream.local;

import java.io.IOException;
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

    /** The mutual-TLS listener's ports; empty unless {@link Security#certificateUsers} are. */
    private final int[] certificatePorts;

    private final String clusterId;
    private final String classpath;
    private final List<ChildJvm> processes = new ArrayList<>();

    /**
     * SASL_SSL for every listener: clients and brokers authenticate with SCRAM-SHA-512 on the
     * broker listener (TLS with {@code pki}'s server certificate), brokers to controllers with
     * PLAIN on the controller listener; {@code superUser} (the brokers' own principal) is the only
     * super user; the {@code StandardAuthorizer} denies whatever no ACL allows. Every user's SCRAM
     * credential is created when the storage is formatted. When {@code certificateUsers} is not
     * empty, each node also has a mutual-TLS listener ({@code MTLS}, protocol SSL, client
     * certificate required, the principal taken from the certificate's CN): those users connect
     * there with a certificate {@code pki} issues, and have no password.
     */
    public record Security(
            LocalPki pki,
            Map<String, String> users,
            String superUser,
            java.util.Set<String> certificateUsers) {

        public Security(LocalPki pki, Map<String, String> users, String superUser) {
            this(pki, users, superUser, java.util.Set.of());
        }

        public Security {
            for (String u : certificateUsers) {
                if (users.containsKey(u)) {
                    throw new IllegalArgumentException(
                            u + " has both a password and a certificate: give it one");
                }
            }
        }

        /** Users and certificate users, no password: a record's own toString printed them. */
        @Override
        public String toString() {
            return "Security[users="
                    + users.keySet()
                    + ", superUser="
                    + superUser
                    + ", certificateUsers="
                    + certificateUsers
                    + "]";
        }

        /**
         * Client properties for {@code user}: SCRAM with its password from {@link #users}, or its
         * certificate when it is one of {@link #certificateUsers} (issued by {@link
         * LocalPki#issueClientCertificate}).
         */
        public Map<String, String> clientProperties(String user) {
            Map<String, String> c = new LinkedHashMap<>();
            if (certificateUsers.contains(user)) {
                c.put("security.protocol", "SSL");
                c.put("ssl.keystore.location", pki.clientKeystore(user).toString());
                c.put("ssl.keystore.password", pki.password());
                c.put("ssl.key.password", pki.password());
                c.put("ssl.keystore.type", "PKCS12");
            } else {
                if (!users.containsKey(user)) {
                    throw new IllegalArgumentException("no such user: " + user);
                }
                c.put("security.protocol", "SASL_SSL");
                c.put("sasl.mechanism", "SCRAM-SHA-512");
                c.put("sasl.jaas.config", scramJaas(user, users.get(user)));
            }
            c.put("ssl.truststore.location", pki.truststore().toString());
            c.put("ssl.truststore.password", pki.password());
            c.put("ssl.truststore.type", "PKCS12");
            return c;
        }
    }

    /** The JAAS line a SCRAM client (or a broker, to its peers) logs in with. */
    static String scramJaas(String user, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
                + user
                + "\" password=\""
                + password
                + "\";";
    }

    private final Security security;

    public LocalKafkaCluster(Path dir, int nodes) throws IOException {
        this(dir, nodes, null);
    }

    /** As above; {@code security} null for PLAINTEXT. */
    public LocalKafkaCluster(Path dir, int nodes, Security security) throws IOException {
        this.security = security;
        if (nodes < 1) {
            throw new IllegalArgumentException("nodes must be >= 1: " + nodes);
        }
        this.dir = dir;
        this.nodes = nodes;
        this.brokerPorts = new int[nodes];
        this.controllerPorts = new int[nodes];
        boolean mtls = security != null && !security.certificateUsers().isEmpty();
        this.certificatePorts = new int[mtls ? nodes : 0];
        for (int i = 0; i < nodes; i++) {
            brokerPorts[i] = freePort();
            controllerPorts[i] = freePort();
            if (mtls) {
                certificatePorts[i] = freePort();
            }
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
        Map<Integer, Process> formats = new LinkedHashMap<>();
        try {
            writeConfigsAndFormat(formats);
        } finally {
            formats.values().forEach(Process::destroyForcibly); // none left after a failure
        }
        for (int id = 1; id <= nodes; id++) {
            processes.add(launch(id));
        }
        Files.writeString(dir.resolve("bootstrap-servers"), bootstrapServers());
        awaitBrokers(nodes, Duration.ofSeconds(90));
    }

    /**
     * Writes every node's configuration and formats the nodes not formatted yet, side by side: each
     * format is a JVM start (a few seconds on 2 cores), and one after another they added up before
     * every new cluster. {@code formats} collects the processes, for the caller to clean up.
     */
    private void writeConfigsAndFormat(Map<Integer, Process> formats) throws Exception {
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
            if (security != null) {
                props.putAll(secureProperties(id));
            }
            try (var w = Files.newBufferedWriter(config)) {
                props.store(w, "fmstream local cluster, node " + id);
            }
            if (!Files.exists(nodeDir.resolve("data/meta.properties"))) {
                formats.put(id, startFormat(id, config));
            }
        }
        for (Map.Entry<Integer, Process> f : formats.entrySet()) {
            awaitFormat(f.getKey(), f.getValue());
        }
    }

    /** What {@link Security} changes in a node's configuration. */
    private Map<String, String> secureProperties(int id) {
        Map<String, String> p = new LinkedHashMap<>();
        String admin = security.superUser();
        String password = security.users().get(admin);
        String mtls =
                certificatePorts.length == 0 ? "" : ",MTLS://localhost:" + certificatePorts[id - 1];
        p.put(
                "listeners",
                "SASL_SSL://localhost:"
                        + brokerPorts[id - 1]
                        + ",CONTROLLER://localhost:"
                        + controllerPorts[id - 1]
                        + mtls);
        p.put("advertised.listeners", "SASL_SSL://localhost:" + brokerPorts[id - 1] + mtls);
        p.put(
                "listener.security.protocol.map",
                "SASL_SSL:SASL_SSL,CONTROLLER:SASL_SSL" + (mtls.isEmpty() ? "" : ",MTLS:SSL"));
        if (!mtls.isEmpty()) {
            // Only this listener asks for a client certificate (the SASL one authenticates by
            // password); the principal is the certificate's CN, so ACLs name User:<CN> exactly
            // as they name a SCRAM user, and a subject of another form keeps the full DN.
            p.put("listener.name.mtls.ssl.client.auth", "required");
            p.put(
                    "listener.name.mtls.ssl.principal.mapping.rules",
                    "RULE:^CN=([^,]+)$/$1/,DEFAULT");
        }
        p.put("inter.broker.listener.name", "SASL_SSL");
        p.put("sasl.mechanism.inter.broker.protocol", "SCRAM-SHA-512");
        p.put("sasl.mechanism.controller.protocol", "PLAIN");
        p.put("listener.name.sasl_ssl.sasl.enabled.mechanisms", "SCRAM-SHA-512");
        p.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config", scramJaas(admin, password));
        p.put("listener.name.controller.sasl.enabled.mechanisms", "PLAIN");
        p.put(
                "listener.name.controller.plain.sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                        + admin
                        + "\" password=\""
                        + password
                        + "\" user_"
                        + admin
                        + "=\""
                        + password
                        + "\";");
        p.put("ssl.keystore.location", security.pki().keystore().toString());
        p.put("ssl.keystore.password", security.pki().password());
        p.put("ssl.key.password", security.pki().password());
        p.put("ssl.keystore.type", "PKCS12");
        p.put("ssl.truststore.location", security.pki().truststore().toString());
        p.put("ssl.truststore.password", security.pki().password());
        p.put("ssl.truststore.type", "PKCS12");
        p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        p.put("super.users", "User:" + admin);
        p.put("allow.everyone.if.no.acl.found", "false");
        return p;
    }

    private Process startFormat(int id, Path config) throws IOException {
        List<String> command =
                new ArrayList<>(
                        List.of(
                                ChildJvm.javaBin(),
                                "-Xmx128m",
                                "-cp",
                                classpath,
                                "kafka.tools.StorageTool",
                                "format",
                                "-t",
                                clusterId,
                                "-c",
                                config.toString()));
        if (security != null) {
            // SCRAM credentials exist before the first broker starts (KIP-900), so brokers can
            // authenticate to each other with them.
            security.users()
                    .forEach(
                            (user, password) -> {
                                command.add("--add-scram");
                                command.add(
                                        "SCRAM-SHA-512=[name="
                                                + user
                                                + ",password="
                                                + password
                                                + "]");
                            });
        }
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("kafka-" + id + "/format.out").toFile())
                .start();
    }

    private void awaitFormat(int id, Process p) throws InterruptedException {
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
        return localhost(brokerPorts);
    }

    private static String localhost(int[] ports) {
        List<String> s = new ArrayList<>();
        for (int port : ports) {
            s.add("localhost:" + port);
        }
        return String.join(",", s);
    }

    /**
     * The bootstrap servers {@code user} connects to: the mutual-TLS listener for a certificate
     * user, the (SASL_SSL or PLAINTEXT) broker listener otherwise.
     */
    public String bootstrapServers(String user) {
        if (security == null || !security.certificateUsers().contains(user)) {
            return bootstrapServers();
        }
        return localhost(certificatePorts);
    }

    /** Client properties of {@code user} on this cluster (empty without security). */
    public Map<String, String> clientProperties(String user) {
        return security == null ? Map.of() : security.clientProperties(user);
    }

    /** An admin client (the super user when the cluster is secured). */
    public Admin admin() {
        Properties p = new Properties();
        if (security != null) {
            p.putAll(security.clientProperties(security.superUser()));
        }
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

    private Thread exitHook;

    /**
     * Stops the brokers also when this JVM exits without {@link #close} (Ctrl-C or SIGTERM skip a
     * try-with-resources): they are child JVMs, which outlive their parent, and a benchmark
     * interrupted by hand left one running with gigabytes of logs. For a cluster owned by one run
     * of a command; {@code cluster up}'s brokers are meant to outlive it and do not call this.
     */
    public LocalKafkaCluster stopOnExit() {
        Thread hook =
                new Thread(
                        () -> {
                            try {
                                close();
                            } catch (Exception e) {
                                System.err.println("stopping the Kafka broker: " + e);
                            }
                        },
                        "kafka-stop-on-exit");
        Runtime.getRuntime().addShutdownHook(hook);
        exitHook = hook;
        return this;
    }

    @Override
    public void close() throws Exception {
        Thread hook = exitHook;
        if (hook != null && hook != Thread.currentThread()) {
            exitHook = null;
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or about to: it stops the brokers too (stop is idempotent)
            }
        }
        for (ChildJvm p : processes) {
            if (p != null && p.isAlive()) {
                p.stop(20);
            }
        }
    }

    static int freePort() {
        return FreePorts.pick();
    }
}
