package io.fmstream.tools.cluster;

import io.fmstream.local.ChildJvm;
import io.fmstream.local.LocalKafkaCluster;
import io.fmstream.local.StandaloneFlinkCluster;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * fmstream as a multi-process deployment on one machine, per {@link ClusterSpec}: a 3-node KRaft
 * Kafka cluster, a standalone Flink cluster (one JobManager, TaskManagers), the production job jar
 * submitted with {@code flink run}, and optionally the simulator, each a separate JVM with its PID
 * in {@code <dir>/pids/} and its output in {@code <dir>/log/}. Everything binds to localhost.
 * Processes outlive this object; {@link #close()} or {@link #down(Path)} stops them by PID.
 */
public final class LocalCluster implements AutoCloseable {

    private static final Pattern JOB_ID = Pattern.compile("JobID ([0-9a-f]{32})");

    private final Path dir;
    private final LocalKafkaCluster kafka;
    private final StandaloneFlinkCluster flink;
    private ChildJvm simulator;

    private LocalCluster(Path dir, LocalKafkaCluster kafka, StandaloneFlinkCluster flink) {
        this.dir = dir;
        this.kafka = kafka;
        this.flink = flink;
    }

    /** Starts Kafka (topics created) and Flink; a failed start stops what it started. */
    public static LocalCluster start(Path dir) throws Exception {
        return start(dir, null);
    }

    /**
     * As above with a secured Kafka cluster (SASL_SSL, SCRAM, ACLs; see {@link
     * LocalKafkaCluster.Security}), or PLAINTEXT when {@code security} is null.
     */
    public static LocalCluster start(Path dir, LocalKafkaCluster.Security security)
            throws Exception {
        return start(dir, security, List.of());
    }

    /**
     * As above, the TaskManagers started with {@code taskManagerJavaOptions} after the
     * configuration's own {@code env.java.opts.taskmanager} (a soak's native memory tracking, say).
     */
    public static LocalCluster start(
            Path dir, LocalKafkaCluster.Security security, List<String> taskManagerJavaOptions)
            throws Exception {
        Files.createDirectories(dir);
        LocalKafkaCluster kafka = new LocalKafkaCluster(dir, ClusterSpec.KAFKA_NODES, security);
        java.util.Map<String, String> config = ClusterSpec.flinkConfig(dir);
        if (!taskManagerJavaOptions.isEmpty()) {
            config.merge(
                    "env.java.opts.taskmanager",
                    String.join(" ", taskManagerJavaOptions),
                    (a, b) -> a + " " + b);
        }
        StandaloneFlinkCluster flink =
                new StandaloneFlinkCluster(
                        dir.resolve("flink"),
                        ClusterSpec.TASK_MANAGERS,
                        ClusterSpec.SLOTS_PER_TASK_MANAGER,
                        config,
                        List.of(onnxRuntimeJar(), metricsJar()));
        LocalCluster cluster = new LocalCluster(dir, kafka, flink);
        // Kafka and Flink start side by side: neither needs the other until a job is submitted,
        // and most of each start is JVMs starting and nodes waiting for each other (one after
        // another, a test cluster took 8-10 s longer to come up on 2 cores). Ports are picked
        // before either starts (FreePorts keeps them out of the range outgoing connections use).
        java.util.concurrent.atomic.AtomicReference<Throwable> flinkFailure =
                new java.util.concurrent.atomic.AtomicReference<>();
        Thread flinkStart =
                new Thread(
                        () -> {
                            try {
                                flink.start();
                            } catch (Throwable e) {
                                flinkFailure.set(e);
                            }
                        },
                        "flink-cluster-start");
        flinkStart.setDaemon(true);
        try {
            flinkStart.start();
            Exception kafkaFailure = null;
            try {
                kafka.start();
                cluster.createTopics();
            } catch (Exception e) {
                kafkaFailure = e;
            }
            // Never close the cluster while Flink's start may still be launching processes, even
            // when interrupted: the interrupt is kept for the caller.
            boolean interrupted = false;
            while (true) {
                try {
                    flinkStart.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            Throwable flinkError = flinkFailure.get();
            if (kafkaFailure != null) {
                if (flinkError != null) {
                    kafkaFailure.addSuppressed(flinkError);
                }
                throw kafkaFailure;
            }
            if (flinkError instanceof Exception e) {
                throw e;
            }
            if (flinkError != null) {
                throw new IllegalStateException("the Flink cluster failed to start", flinkError);
            }
            return cluster;
        } catch (Exception e) {
            cluster.close();
            throw e;
        }
    }

    private void createTopics() throws Exception {
        try (Admin admin = kafka.admin()) {
            List<NewTopic> topics = new ArrayList<>();
            for (String t : ClusterSpec.topics()) {
                topics.add(
                        new NewTopic(
                                        t,
                                        ClusterSpec.PARTITIONS,
                                        LocalKafkaCluster.REPLICATION_FACTOR)
                                .configs(ClusterSpec.topicConfig(t)));
            }
            admin.createTopics(topics).all().get(60, TimeUnit.SECONDS);
        }
    }

    /** {@code flink run -d <jar> <ClusterSpec.jobArgs> <extra>}; returns the job id. */
    public String submitJob(Path jobJar, String bundleUri, List<String> extra) throws Exception {
        return submitJob(jobJar, bundleUri, extra, List.of());
    }

    /**
     * As above with {@code runOptions} before the jar (e.g. {@code -s <savepoint>}, {@code -p}).
     */
    public String submitJob(
            Path jobJar, String bundleUri, List<String> extra, List<String> runOptions)
            throws Exception {
        List<String> args =
                new ArrayList<>(ClusterSpec.jobArgs(kafka.bootstrapServers(), bundleUri));
        args.addAll(extra);
        String output = flink.submit(jobJar, args, runOptions);
        Matcher m = JOB_ID.matcher(output);
        if (!m.find()) {
            throw new IllegalStateException("flink run printed no job id:\n" + output);
        }
        return m.group(1);
    }

    /** Starts the simulator (a separate JVM running {@code fmstream simulate}). */
    public ChildJvm startSimulator(int devices, long seed) throws Exception {
        // Each simulated device holds its beats, noise and uplink buffers: 256 MB ran out at 2,800
        // devices (the soak at 70 % of capacity), so the heap grows with the fleet.
        List<String> jvm = new ArrayList<>(List.of("-Xmx" + (256 + devices / 4) + "m"));
        String log4j = System.getProperty("log4j.configurationFile");
        if (log4j != null) {
            jvm.add("-Dlog4j.configurationFile=" + log4j);
        }
        simulator =
                ChildJvm.launch(
                        dir,
                        "simulator",
                        System.getProperty("java.class.path"),
                        jvm,
                        "io.fmstream.tools.FmstreamCli",
                        ClusterSpec.simulatorArgs(kafka.bootstrapServers(), devices, seed),
                        Map.of());
        return simulator;
    }

    public LocalKafkaCluster kafka() {
        return kafka;
    }

    public StandaloneFlinkCluster flink() {
        return flink;
    }

    public Path dir() {
        return dir;
    }

    /** The production job jar built by {@code mvn package} in {@code flink-jobs/target}. */
    public static Path jobJar(Path root) throws Exception {
        Path target = root.resolve("flink-jobs/target");
        try (Stream<Path> files = Files.list(target)) {
            List<Path> jars =
                    files.filter(p -> p.getFileName().toString().endsWith("-job.jar")).toList();
            if (jars.size() != 1) {
                throw new IllegalStateException(
                        "expected one *-job.jar in " + target + " (mvn package), found " + jars);
            }
            return jars.get(0);
        }
    }

    /** fmstream's metric reporter: its jar, or its classes folder in a development build. */
    private static String metricsJar() {
        return classPathEntry(
                e ->
                        e.matches(".*/fmstream-metrics-[^/]*\\.jar")
                                || e.endsWith("fmstream-metrics/target/classes"),
                "fmstream-metrics jar");
    }

    private static String onnxRuntimeJar() {
        return classPathEntry(e -> e.matches(".*/onnxruntime-[0-9.]+\\.jar"), "onnxruntime jar");
    }

    /** The first entry of this JVM's class path that {@code matches}, for the cluster's lib. */
    private static String classPathEntry(
            java.util.function.Predicate<String> matches, String what) {
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (matches.test(e)) {
                return e;
            }
        }
        throw new IllegalStateException("no " + what + " on the class path");
    }

    /** Names of the cluster's processes in the order they are stopped. */
    static final List<String> STOP_ORDER =
            List.of(
                    "simulator",
                    "taskmanager-1",
                    "taskmanager-2",
                    "taskmanager-3",
                    "jobmanager",
                    "kafka-1",
                    "kafka-2",
                    "kafka-3");

    /** The cluster's processes under {@code dir} that are running, in {@link #STOP_ORDER}. */
    public static List<ChildJvm> running(Path dir) {
        List<ChildJvm> found = new ArrayList<>();
        for (String name : STOP_ORDER) {
            for (Path d : List.of(dir, dir.resolve("flink"))) {
                ChildJvm.find(d, name).ifPresent(found::add);
            }
        }
        return found;
    }

    /**
     * Stops every process of the cluster under {@code dir} by its PID file (SIGTERM, SIGKILL after
     * 20 s); returns the names stopped.
     */
    public static List<String> down(Path dir) throws Exception {
        List<String> stopped = new ArrayList<>();
        List<ChildJvm> kafkaNodes = new ArrayList<>();
        for (ChildJvm p : running(dir)) {
            stopped.add(p.name() + " (pid " + p.pid() + ")");
            if (p.name().startsWith("kafka-")) {
                kafkaNodes.add(p);
            } else {
                p.stop(20);
            }
        }
        // The Kafka nodes together: one by one, the last would wait for a controller quorum
        // that its peers, already gone, can no longer form.
        List<java.util.concurrent.CompletableFuture<Void>> stops = new ArrayList<>();
        for (ChildJvm k : kafkaNodes) {
            stops.add(
                    java.util.concurrent.CompletableFuture.runAsync(
                            () -> {
                                try {
                                    k.stop(20);
                                } catch (InterruptedException e) {
                                    Thread.currentThread().interrupt();
                                }
                            }));
        }
        for (var f : stops) {
            f.get();
        }
        return stopped;
    }

    /** Deletes a stopped cluster's folder (data, logs, checkpoints), so the next start is fresh. */
    public static void wipe(Path dir) throws java.io.IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        if (!Files.isDirectory(dir.resolve("pids")) && !Files.isDirectory(dir.resolve("kafka-1"))) {
            throw new IllegalStateException(
                    dir + " exists and is not a cluster folder; choose another --dir");
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Override
    public void close() throws Exception {
        if (simulator != null && simulator.isAlive()) {
            simulator.stop(10);
        }
        flink.close();
        down(dir); // the Kafka nodes, together
    }
}
