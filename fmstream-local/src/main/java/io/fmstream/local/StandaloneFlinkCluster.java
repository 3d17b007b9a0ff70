package io.fmstream.local;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
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
    private final List<Process> processes = new ArrayList<>();

    /**
     * Writes the configuration under {@code dir} (conf/, log/); {@link #start()} launches the
     * processes.
     */
    public StandaloneFlinkCluster(Path dir) throws IOException {
        this.dir = dir;
        this.classpath =
                java.util.Arrays.stream(
                                System.getProperty("java.class.path").split(File.pathSeparator))
                        .filter(
                                e ->
                                        DISTRIBUTION.matcher(e).matches()
                                                && !NOT_IN_DISTRIBUTION.matcher(e).matches())
                        .collect(Collectors.joining(File.pathSeparator));
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
                        "taskmanager.numberOfTaskSlots: 2",
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
        processes.add(
                launch(
                        "jobmanager",
                        "-Xmx512m",
                        "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint"));
        processes.add(
                launch(
                        "taskmanager",
                        "-Xmx700m",
                        "org.apache.flink.runtime.taskexecutor.TaskManagerRunner"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            for (Process p : processes) {
                if (!p.isAlive()) {
                    throw new IllegalStateException(
                            "a cluster process exited with "
                                    + p.exitValue()
                                    + "; see "
                                    + dir.resolve("log"));
                }
            }
            String overview = rest("/overview");
            if (overview != null && overview.contains("\"taskmanagers\":1")) {
                return;
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("cluster not up within 90 s; see " + dir.resolve("log"));
    }

    /**
     * Runs {@code flink run -d <jar> <args>} and returns the client's output; fails on a non-zero
     * exit.
     */
    public String submit(Path jobJar, List<String> programArgs) throws Exception {
        List<String> command = new ArrayList<>(List.of(javaBin()));
        command.addAll(JAVA_17_OPENS);
        command.addAll(
                List.of(
                        "-cp",
                        classpath,
                        "-Djava.io.tmpdir=" + dir,
                        "-Dlog.file=" + dir.resolve("log/client.log"),
                        "-Dlog4j.configurationFile=" + dir.resolve("conf/log4j.properties"),
                        "org.apache.flink.client.cli.CliFrontend",
                        "run",
                        "-d",
                        "-m",
                        "localhost:" + restPort,
                        jobJar.toString()));
        command.addAll(programArgs);
        ProcessBuilder pb =
                new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(dir.resolve("log/client.out").toFile());
        pb.environment().put("FLINK_CONF_DIR", dir.resolve("conf").toString());
        Process client = pb.start();
        if (!client.waitFor(120, TimeUnit.SECONDS)) {
            client.destroyForcibly();
            throw new IllegalStateException("flink run did not return within 120 s");
        }
        String output = Files.readString(dir.resolve("log/client.out"));
        if (client.exitValue() != 0) {
            throw new IllegalStateException(
                    "flink run exited with " + client.exitValue() + ":\n" + output);
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

    private Process launch(String name, String heap, String mainClass) throws IOException {
        List<String> command = new ArrayList<>(List.of(javaBin(), heap));
        command.addAll(JAVA_17_OPENS);
        command.addAll(
                List.of(
                        "-cp",
                        classpath,
                        // Scratch (ONNX Runtime's native-library folder included) goes away with
                        // the cluster.
                        "-Djava.io.tmpdir=" + dir,
                        "-Dlog.file=" + dir.resolve("log/" + name + ".log"),
                        "-Dlog4j.configurationFile=" + dir.resolve("conf/log4j.properties"),
                        mainClass,
                        "--configDir",
                        dir.resolve("conf").toString()));
        ProcessBuilder pb =
                new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(dir.resolve("log/" + name + ".out").toFile());
        Map<String, String> env = pb.environment();
        env.put("FLINK_CONF_DIR", dir.resolve("conf").toString());
        return pb.start();
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws Exception {
        for (Process p : processes) {
            p.destroy();
        }
        for (Process p : processes) {
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
