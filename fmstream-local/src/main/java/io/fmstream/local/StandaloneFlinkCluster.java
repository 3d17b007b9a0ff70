package io.fmstream.local;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A real Flink standalone session cluster: a JobManager and a TaskManager as separate JVMs, and the
 * {@code flink} command-line client ({@code CliFrontend}) as a third, all on a classpath that holds
 * Flink and its dependencies only (what a Flink distribution's {@code lib/} holds), so a job jar
 * submitted to it must bring everything else itself. The Flink binary distribution is not available
 * from the registries here, hence the classpath taken from the calling JVM's own (which must hold
 * Flink's runtime, as a test's or the tools' does). Processes bind to localhost only; {@link
 * #close()} stops every process it started.
 */
public final class StandaloneFlinkCluster implements AutoCloseable {

    /** What a Flink distribution's lib/ provides; connectors and user libraries are excluded. */
    private static final Pattern DISTRIBUTION =
            Pattern.compile(
                    ".*/(org/apache/flink|com/esotericsoftware|org/apache/commons|commons-[a-z]+|org/slf4j|org/apache/logging"
                        + "|org/snakeyaml|org/yaml|org/javassist|org/objenesis|com/google/code/findbugs|org/xerial/snappy"
                        + "|at/yawk/lz4)/.*");

    private static final Pattern NOT_IN_DISTRIBUTION =
            Pattern.compile(
                    ".*(flink-connector-kafka|flink-test-utils|flink-statebackend-rocksdb|frocksdb|-tests\\.jar).*");

    /** What Flink's default configuration passes every JVM on Java 17 (env.java.opts.all). */
    private static final List<String> JAVA_17_OPENS =
            List.of(
                    "--add-exports=java.base/sun.net.util=ALL-UNNAMED",
                    "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
                    "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
                    "--add-opens=java.base/java.lang=ALL-UNNAMED",
                    "--add-opens=java.base/java.net=ALL-UNNAMED",
                    "--add-opens=java.base/java.io=ALL-UNNAMED",
                    "--add-opens=java.base/java.nio=ALL-UNNAMED",
                    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
                    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
                    "--add-opens=java.base/java.text=ALL-UNNAMED",
                    "--add-opens=java.base/java.time=ALL-UNNAMED",
                    "--add-opens=java.base/java.util=ALL-UNNAMED",
                    "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
                    "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
                    "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED");

    private final Path dir;
    private final String classpath;
    private final int restPort;
    private final int taskManagers;
    private final List<ChildJvm> processes = new ArrayList<>();
    private final ChildJvm[] taskManagerProcesses;

    /**
     * Writes the configuration under {@code dir} (conf/, log/) of a cluster with one TaskManager of
     * two slots; {@link #start()} launches the processes.
     */
    public StandaloneFlinkCluster(Path dir) throws IOException {
        this(dir, 1, 2, Map.of(), List.of());
    }

    /**
     * As above with {@code taskManagers} TaskManagers of {@code slots} slots each, {@code extra}
     * configuration entries, and {@code lib} jars added to the cluster's class path (what a
     * distribution's {@code lib/} would hold, e.g. ONNX Runtime loaded parent-first).
     */
    public StandaloneFlinkCluster(
            Path dir, int taskManagers, int slots, Map<String, String> extra, List<String> lib)
            throws IOException {
        this.dir = dir;
        this.taskManagers = taskManagers;
        this.taskManagerProcesses = new ChildJvm[taskManagers];
        List<String> entries = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (DISTRIBUTION.matcher(e).matches() && !NOT_IN_DISTRIBUTION.matcher(e).matches()) {
                entries.add(e);
            }
        }
        entries.addAll(lib);
        this.classpath = String.join(File.pathSeparator, entries);
        this.restPort = freePort();
        Files.createDirectories(dir.resolve("conf"));
        Files.createDirectories(dir.resolve("log"));
        Files.writeString(
                dir.resolve("conf/config.yaml"),
                String.join(
                        "\n",
                        "jobmanager.rpc.address: localhost",
                        "jobmanager.rpc.port: " + freePort(),
                        "jobmanager.bind-host: localhost",
                        "taskmanager.bind-host: localhost",
                        "taskmanager.host: localhost",
                        "taskmanager.numberOfTaskSlots: " + slots,
                        "taskmanager.cpu.cores: 2",
                        // The start scripts compute these; started by hand, the TaskManager needs
                        // them explicitly.
                        "taskmanager.memory.framework.heap.size: 128m",
                        "taskmanager.memory.framework.off-heap.size: 128m",
                        "taskmanager.memory.task.heap.size: 512m",
                        "taskmanager.memory.task.off-heap.size: 64m",
                        "taskmanager.memory.network.min: 64m",
                        "taskmanager.memory.network.max: 64m",
                        "taskmanager.memory.managed.size: 128m",
                        "taskmanager.memory.jvm-metaspace.size: 256m",
                        "taskmanager.memory.jvm-overhead.min: 192m",
                        "taskmanager.memory.jvm-overhead.max: 192m",
                        "jobmanager.memory.process.size: 1024m",
                        "rest.port: " + restPort,
                        "rest.address: localhost",
                        "rest.bind-address: localhost",
                        "parallelism.default: 2",
                        extra.entrySet().stream()
                                .map(e -> e.getKey() + ": " + e.getValue())
                                .collect(Collectors.joining("\n")),
                        ""));
        Files.writeString(
                dir.resolve("conf/log4j.properties"),
                String.join(
                        "\n",
                        "rootLogger.level = INFO",
                        "rootLogger.appenderRef.file.ref = file",
                        "appender.file.type = File",
                        "appender.file.name = file",
                        "appender.file.fileName = ${sys:log.file}",
                        "appender.file.layout.type = PatternLayout",
                        "appender.file.layout.pattern = %d{HH:mm:ss,SSS} %-5p %c{1} - %m%n",
                        ""));
    }

    public void start() throws Exception {
        startJobManager();
        for (int i = 0; i < taskManagers; i++) {
            startTaskManager(i);
        }
        awaitTaskManagers(taskManagers, Duration.ofSeconds(90));
    }

    /**
     * Starts TaskManager {@code i} (0-based), again after {@link #killTaskManager}, with the JVM
     * options Flink's {@code taskmanager.sh} would give it ({@link #taskManagerJvmOptions}).
     */
    public void startTaskManager(int i) throws IOException {
        ChildJvm tm =
                launch(
                        "taskmanager-" + (i + 1),
                        taskManagerJvmOptions(),
                        "org.apache.flink.runtime.taskexecutor.TaskManagerRunner");
        taskManagerProcesses[i] = tm;
        processes.add(tm);
    }

    /**
     * Starts every TaskManager that is not running (killed, or exited) and waits until all are
     * registered; returns how many it started.
     */
    public int restartMissingTaskManagers(Duration timeout) throws Exception {
        int started = 0;
        for (int i = 0; i < taskManagers; i++) {
            ChildJvm tm = taskManagerProcesses[i];
            if (tm == null || !tm.isAlive()) {
                if (tm != null) {
                    processes.remove(tm);
                }
                startTaskManager(i);
                started++;
            }
        }
        if (started > 0) {
            awaitTaskManagers(taskManagers, timeout);
        }
        return started;
    }

    /** {@code kill -9} of TaskManager {@code i} (0-based). */
    public void killTaskManager(int i) throws InterruptedException {
        ChildJvm tm = taskManagerProcesses[i];
        tm.kill();
        processes.remove(tm);
        taskManagerProcesses[i] = null;
    }

    /**
     * Starts the JobManager (again after {@link #killJobManager}, on the same ports), with the JVM
     * options Flink's {@code jobmanager.sh} would give it ({@link #jobManagerJvmOptions}).
     */
    public void startJobManager() throws IOException {
        processes.add(
                launch(
                        "jobmanager",
                        jobManagerJvmOptions(),
                        "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint"));
    }

    /**
     * {@code kill -9} of the JobManager. Without high availability its jobs are gone with it; the
     * TaskManagers keep running and register with the next JobManager on the same address.
     */
    public void killJobManager() throws InterruptedException {
        ChildJvm jm = process("jobmanager");
        jm.kill();
        processes.remove(jm);
    }

    /** Waits until {@code count} TaskManagers are registered, failing early if a process died. */
    public void awaitTaskManagers(int count, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (ChildJvm p : processes) {
                if (!p.isAlive()) {
                    // Flink writes why it stopped to its log file, not to stdout: both are quoted,
                    // since a test's folder (and the logs in it) is gone once the test failed.
                    Path flinkLog = dir.resolve("log/" + p.name() + ".log");
                    throw new IllegalStateException(
                            p.name()
                                    + " (pid "
                                    + p.pid()
                                    + ") exited during start; its log "
                                    + flinkLog
                                    + " ends:"
                                    + ChildJvm.tail(flinkLog)
                                    + "\nits stdout "
                                    + p.log()
                                    + ":"
                                    + ChildJvm.tail(p.log()));
                }
            }
            String overview = rest("/overview");
            if (overview != null && overview.contains("\"taskmanagers\":" + count + ",")) {
                return;
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException(
                "Flink cluster: fewer than "
                        + count
                        + " TaskManagers up within "
                        + timeout
                        + "; see "
                        + dir.resolve("log"));
    }

    public int restPort() {
        return restPort;
    }

    public ChildJvm process(String name) {
        return processes.stream().filter(p -> p.name().equals(name)).findFirst().orElse(null);
    }

    /**
     * Runs {@code flink run -d <jar> <args>} and returns the client's output; fails on a non-zero
     * exit.
     */
    public String submit(Path jobJar, List<String> programArgs) throws Exception {
        return submit(jobJar, programArgs, List.of());
    }

    /**
     * As above with {@code runOptions} (e.g. {@code -s <savepoint>}, {@code -p 3}) before the jar.
     */
    public String submit(Path jobJar, List<String> programArgs, List<String> runOptions)
            throws Exception {
        return cli(
                120,
                concat(
                        List.of("run", "-d", "-m", "localhost:" + restPort),
                        runOptions,
                        List.of(jobJar.toString()),
                        programArgs));
    }

    /**
     * {@code flink run} attached: returns the client's output once the job has finished (a bounded
     * job) and the program's {@code main} has returned, within {@code timeoutSeconds}.
     */
    public String runAttached(Path jobJar, List<String> programArgs, int timeoutSeconds)
            throws Exception {
        return cli(
                timeoutSeconds,
                concat(
                        List.of("run", "-m", "localhost:" + restPort),
                        List.of(jobJar.toString()),
                        programArgs));
    }

    /** The client's log (what the program's {@code main} logged in {@code flink run}). */
    public Path clientLog() {
        return dir.resolve("log/client.log");
    }

    /**
     * {@code flink stop --savepointPath <dir> <job>}: stops the job with a savepoint and returns
     * the savepoint's path.
     */
    public String stopWithSavepoint(String jobId, Path savepointDir) throws Exception {
        String out =
                cli(
                        300,
                        List.of(
                                "stop",
                                "-m",
                                "localhost:" + restPort,
                                "--savepointPath",
                                savepointDir.toUri().toString(),
                                jobId));
        java.util.regex.Matcher m =
                Pattern.compile("Savepoint completed\\. Path: (\\S+)").matcher(out);
        if (!m.find()) {
            throw new IllegalStateException("flink stop printed no savepoint path:\n" + out);
        }
        return m.group(1);
    }

    @SafeVarargs
    private static List<String> concat(List<String>... parts) {
        List<String> all = new ArrayList<>();
        for (List<String> p : parts) {
            all.addAll(p);
        }
        return all;
    }

    private String cli(int timeoutSeconds, List<String> cliArgs) throws Exception {
        List<String> command = new ArrayList<>(List.of(javaBin()));
        command.addAll(JAVA_17_OPENS);
        command.addAll(
                List.of(
                        "-cp",
                        classpath,
                        "-Djava.io.tmpdir=" + dir,
                        "-Dlog.file=" + dir.resolve("log/client.log"),
                        "-Dlog4j.configurationFile=" + dir.resolve("conf/log4j.properties"),
                        "org.apache.flink.client.cli.CliFrontend"));
        command.addAll(cliArgs);
        ProcessBuilder pb =
                new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(dir.resolve("log/client.out").toFile());
        pb.environment().put("FLINK_CONF_DIR", dir.resolve("conf").toString());
        Process client = pb.start();
        if (!client.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            client.destroyForcibly();
            throw new IllegalStateException(
                    "flink " + cliArgs.get(0) + " did not return within " + timeoutSeconds + " s");
        }
        String output = Files.readString(dir.resolve("log/client.out"));
        if (client.exitValue() != 0) {
            throw new IllegalStateException(
                    "flink "
                            + cliArgs.get(0)
                            + " exited with "
                            + client.exitValue()
                            + ":\n"
                            + output);
        }
        return output;
    }

    public String rest(String path) {
        try {
            HttpResponse<String> response =
                    HttpClient.newHttpClient()
                            .send(
                                    HttpRequest.newBuilder(
                                                    URI.create(
                                                            "http://localhost:" + restPort + path))
                                            .timeout(Duration.ofSeconds(5))
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? response.body() : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    public void cancel(String jobId) throws Exception {
        HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(
                                        URI.create(
                                                "http://localhost:"
                                                        + restPort
                                                        + "/jobs/"
                                                        + jobId
                                                        + "?mode=cancel"))
                                .method("PATCH", HttpRequest.BodyPublishers.noBody())
                                .timeout(Duration.ofSeconds(10))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
    }

    public Path logDir() {
        return dir.resolve("log");
    }

    /** The GC log of {@code process}, one of this cluster's JVMs ({@link GcLog}). */
    public Path gcLog(ChildJvm process) {
        return logDir().resolve(process.name() + "-gc-" + process.pid() + ".log");
    }

    /**
     * The TaskManager's JVM options as Flink's start scripts derive them from the written
     * configuration ({@code BashJavaUtils}: {@code -Xmx} and {@code -Xms} both the JVM heap, the
     * direct and metaspace limits), then {@code env.java.opts.all} and {@code
     * env.java.opts.taskmanager}. Why not a hand-written {@code -Xmx}: a real TaskManager's heap is
     * committed at its full size from the start ({@code -Xms}), where one started with {@code -Xmx}
     * alone grows and shrinks its heap as G1 sees fit, which a soak then reads as resident memory
     * moving in steps of tens of MB.
     */
    public List<String> taskManagerJvmOptions() throws IOException {
        org.apache.flink.configuration.Configuration conf = writtenConfiguration();
        return jvmOptions(
                org.apache.flink.runtime.util.config.memory.ProcessMemoryUtils
                        .generateJvmParametersStr(
                                org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils
                                        .processSpecFromConfig(conf)),
                conf.get(org.apache.flink.configuration.CoreOptions.FLINK_JVM_OPTIONS),
                conf.get(org.apache.flink.configuration.CoreOptions.FLINK_TM_JVM_OPTIONS));
    }

    /**
     * The JobManager's JVM options as {@code jobmanager.sh} derives them ({@code BashJavaUtils
     * GET_JM_RESOURCE_PARAMS}: heap from {@code jobmanager.memory.*}, {@code -Xms} equal to {@code
     * -Xmx}, the metaspace limit, a direct limit only if {@code
     * jobmanager.memory.enable-jvm-direct-memory-limit}), then {@code env.java.opts.all} and {@code
     * env.java.opts.jobmanager}, for the same reason as the TaskManager's.
     */
    public List<String> jobManagerJvmOptions() throws IOException {
        org.apache.flink.configuration.Configuration conf = writtenConfiguration();
        return jvmOptions(
                org.apache.flink.runtime.jobmanager.JobManagerProcessUtils.generateJvmParametersStr(
                        org.apache.flink.runtime.jobmanager.JobManagerProcessUtils
                                .processSpecFromConfig(conf),
                        conf),
                conf.get(org.apache.flink.configuration.CoreOptions.FLINK_JVM_OPTIONS),
                conf.get(org.apache.flink.configuration.CoreOptions.FLINK_JM_JVM_OPTIONS));
    }

    private org.apache.flink.configuration.Configuration writtenConfiguration() {
        return org.apache.flink.configuration.GlobalConfiguration.loadConfiguration(
                dir.resolve("conf").toString());
    }

    /**
     * Option strings split on whitespace, in order, as the start scripts pass them to {@code java}
     * unquoted: an option with a space inside cannot be given this way, as with Flink's scripts.
     */
    private static List<String> jvmOptions(String... strings) {
        List<String> jvm = new ArrayList<>();
        for (String s : strings) {
            for (String option : s.trim().split("\\s+")) {
                if (!option.isEmpty()) {
                    jvm.add(option);
                }
            }
        }
        return jvm;
    }

    private ChildJvm launch(String name, List<String> options, String mainClass)
            throws IOException {
        List<String> jvm = new ArrayList<>(options);
        jvm.addAll(JAVA_17_OPENS);
        jvm.addAll(
                List.of(
                        // Scratch (ONNX Runtime's native-library folder included) goes away with
                        // the cluster.
                        "-Djava.io.tmpdir=" + dir,
                        "-Dlog.file=" + dir.resolve("log/" + name + ".log"),
                        // One GC log per process (%p: the pid), so a TaskManager started again
                        // after a kill writes a new one: the soak reads the heap left after each
                        // collection from it.
                        GcLog.option(dir.resolve("log/" + name + "-gc-%p.log")),
                        "-Dlog4j.configurationFile=" + dir.resolve("conf/log4j.properties")));
        return ChildJvm.launch(
                dir,
                name,
                classpath,
                jvm,
                mainClass,
                List.of("--configDir", dir.resolve("conf").toString()),
                Map.of("FLINK_CONF_DIR", dir.resolve("conf").toString()));
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static int freePort() {
        return FreePorts.pick();
    }

    @Override
    public void close() throws Exception {
        // All at once: the TaskManagers and the JobManager shut down independently (a
        // TaskManager that loses its JobManager first just stops), and one after another they
        // took the sum of their shutdowns.
        ChildJvm.stopAll(processes, 20);
    }
}
