package io.fmstream.tools.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fmstream.data.RepositoryLayout;
import io.fmstream.job.FmstreamJob;
import io.fmstream.local.LocalKafkaCluster;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * {@code docker/docker-compose.yml} is the one generated from {@link ClusterSpec} and {@link
 * LocalKafkaCluster#nodeProperties}, says what they say, uses the pom's versions, publishes on
 * loopback only, and is a valid compose file.
 */
class ComposeFileTest {

    private static final Path ROOT = RepositoryLayout.root();
    private static final Path COMPOSE = ROOT.resolve(ComposeFile.PATH);
    private static final Path DOCKERFILE = ROOT.resolve("docker/Dockerfile");

    @Test
    void theCommittedFileIsTheGeneratedOne() throws Exception {
        assertThat(Files.readString(COMPOSE))
                .as(
                        ComposeFile.PATH
                                + " is generated and differs from ComposeFile.render();"
                                + " regenerate it from the repository root with\n  "
                                + String.join("\n  ", ComposeFile.REGENERATE)
                                + "\n")
                .isEqualTo(ComposeFile.render());
    }

    @Test
    void theJobManagerRunsTheJobInApplicationModeWithTheClusterSpecArguments() throws Exception {
        List<String> command = strings(service("jobmanager").get("command"));
        assertThat(command.subList(0, 3))
                .containsExactly("standalone-job", "--job-classname", FmstreamJob.class.getName());
        assertThat(command.subList(3, command.size()))
                .isEqualTo(ClusterSpec.jobArgs(composeBootstrap(), ComposeFile.BUNDLE_URI));
        assertThat(ComposeFile.BOOTSTRAP).isEqualTo(composeBootstrap());

        // The image holds the job jar for application mode and the bundle at the URI's path.
        String dockerfile = Files.readString(DOCKERFILE);
        assertThat(dockerfile).contains(" /opt/flink/usrlib/fmstream-job.jar\n");
        assertThat(ComposeFile.BUNDLE_URI).startsWith("file://");
        assertThat(dockerfile)
                .contains(
                        " "
                                + RepositoryLayout.DEFAULT_BUNDLE
                                + " "
                                + ComposeFile.BUNDLE_URI.substring("file://".length())
                                + "\n");
        assertThat(dockerfile).containsPattern("(?m)^COPY .* /opt/flink/lib/$");
    }

    @Test
    void eachKafkaServiceIsConfiguredByNodeProperties() throws Exception {
        List<String> hosts = new ArrayList<>();
        int[] brokerPorts = new int[ClusterSpec.KAFKA_NODES];
        int[] controllerPorts = new int[ClusterSpec.KAFKA_NODES];
        for (int id = 1; id <= ClusterSpec.KAFKA_NODES; id++) {
            Map<String, Object> s = service("kafka-" + id);
            hosts.add((String) s.get("hostname"));
            brokerPorts[id - 1] = publishedPort(s);
            controllerPorts[id - 1] = ComposeFile.CONTROLLER_PORTS[id - 1];
        }
        assertThat(hosts).containsExactly("kafka-1", "kafka-2", "kafka-3");
        for (int id = 1; id <= ClusterSpec.KAFKA_NODES; id++) {
            Map<String, Object> s = service("kafka-" + id);
            Map<String, String> env = env(s);
            assertThat(env.get("CLUSTER_ID")).as("kafka-%d CLUSTER_ID", id).hasSize(22);
            Map<String, String> properties = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : env.entrySet()) {
                if (!e.getKey().equals("CLUSTER_ID")) {
                    assertThat(e.getKey()).startsWith("KAFKA_");
                    properties.put(propertyOf(e.getKey()), e.getValue());
                }
            }
            Map<String, String> expected =
                    LocalKafkaCluster.nodeProperties(
                            id,
                            hosts,
                            brokerPorts,
                            controllerPorts,
                            ComposeFile.KAFKA_BIND_HOST,
                            ComposeFile.KAFKA_LOG_DIR);
            assertThat(properties).as("kafka-%d environment", id).isEqualTo(expected);
            assertThat(strings(s.get("volumes")))
                    .anyMatch(v -> v.endsWith(":" + expected.get("log.dirs")));
        }
        // One cluster: the same id on every node.
        assertThat(
                        List.of(1, 2, 3).stream()
                                .map(id -> env(service("kafka-" + id)).get("CLUSTER_ID"))
                                .distinct())
                .hasSize(1);
    }

    @Test
    void theTopicsServiceCreatesEveryTopicReplicatedAfterTheBrokersAreHealthy() {
        Map<String, Object> s = service("topics");
        String script = String.join(" ", strings(s.get("command")));
        for (String topic : ClusterSpec.topics()) {
            assertThat(script)
                    .contains(
                            "--create --if-not-exists --topic "
                                    + topic
                                    + " --partitions "
                                    + ClusterSpec.PARTITIONS
                                    + " --replication-factor 3 --config ")
                    .contains(
                            "--topic "
                                    + topic
                                    + " --partitions "
                                    + ClusterSpec.PARTITIONS
                                    + " --replication-factor 3"
                                    + (topic.equals(io.fmstream.kafka.Topics.SENSOR_CHUNKS)
                                            ? " --config message.timestamp.type=LogAppendTime"
                                            : "")
                                    + " --config min.insync.replicas=2");
        }
        // The sensor topic's timestamps are the broker's append time, the job's event time (the
        // job refuses it otherwise); the outputs keep the producers' (the job's) timestamps.
        assertThat(script)
                .contains(
                        "--topic "
                                + io.fmstream.kafka.Topics.SENSOR_CHUNKS
                                + " --partitions "
                                + ClusterSpec.PARTITIONS
                                + " --replication-factor 3 --config"
                                + " message.timestamp.type=LogAppendTime --config"
                                + " min.insync.replicas=2");
        assertThat(script).containsOnlyOnce("message.timestamp.type");
        assertThat(LocalKafkaCluster.TOPIC_CONFIG)
                .containsExactly(Map.entry("min.insync.replicas", "2"));
        Map<String, Object> dependsOn = map(s.get("depends_on"));
        for (int id = 1; id <= ClusterSpec.KAFKA_NODES; id++) {
            assertThat(map(dependsOn.get("kafka-" + id)))
                    .containsEntry("condition", "service_healthy");
        }
        assertThat(map(map(service("jobmanager").get("depends_on")).get("topics")))
                .containsEntry("condition", "service_completed_successfully");
    }

    @Test
    void everyFlinkContainerHasTheClusterSpecFlinkConfiguration() {
        List<String> flink = new ArrayList<>(List.of("jobmanager"));
        for (int i = 1; i <= ClusterSpec.TASK_MANAGERS; i++) {
            flink.add("taskmanager-" + i);
            assertThat(strings(service("taskmanager-" + i).get("command")))
                    .containsExactly("taskmanager");
        }
        assertThat(services().keySet().stream().filter(n -> n.startsWith("taskmanager")))
                .hasSize(ClusterSpec.TASK_MANAGERS);
        Map<String, String> spec = ClusterSpec.flinkConfig(Path.of(ComposeFile.STATE_DIR));
        for (String name : flink) {
            Map<String, Object> s = service(name);
            Map<String, String> props = flinkProperties(env(s).get("FLINK_PROPERTIES"));
            assertThat(props)
                    .as(name)
                    .containsEntry("jobmanager.rpc.address", "jobmanager")
                    .containsEntry(
                            "taskmanager.numberOfTaskSlots",
                            Integer.toString(ClusterSpec.SLOTS_PER_TASK_MANAGER))
                    .containsEntry(
                            "parallelism.default", Integer.toString(ClusterSpec.PARALLELISM));
            for (Map.Entry<String, String> e : spec.entrySet()) {
                assertThat(props).as(name).containsKey(e.getKey());
                if (e.getKey().equals(ComposeFile.METRICS_HOST_KEY)) {
                    // Loopback on one machine; the container's interfaces inside the network.
                    assertThat(props.get(e.getKey())).isEqualTo("0.0.0.0");
                } else if (e.getValue().startsWith("file:")) {
                    // Paths aside: a folder on the volume the Flink containers share.
                    assertThat(props.get(e.getKey()))
                            .as(name + " " + e.getKey())
                            .startsWith("file://" + ComposeFile.STATE_DIR + "/");
                } else {
                    assertThat(props.get(e.getKey()))
                            .as(name + " " + e.getKey())
                            .isEqualTo(e.getValue());
                }
            }
            assertThat(strings(s.get("volumes")))
                    .as(name + " volumes")
                    .contains("flink-state:" + ComposeFile.STATE_DIR);
        }
    }

    @Test
    void theSimulatorRunsTheClusterSpecSimulatorArguments() {
        assertThat(strings(service("simulator").get("command")))
                .isEqualTo(
                        ClusterSpec.simulatorArgs(
                                composeBootstrap(),
                                ComposeFile.SIMULATOR_DEVICES,
                                ComposeFile.SIMULATOR_SEED));
    }

    /**
     * The alerts on committed latency, lag and the sinks' transactions read the probe's series
     * only: without a probe that Prometheus scrapes they could never fire.
     */
    @Test
    void theProbeRunsBesideTheJobAndPrometheusScrapesIt() throws Exception {
        List<String> command = strings(service("probe").get("command"));
        assertThat(command).isEqualTo(ClusterSpec.probeArgs(composeBootstrap(), "0.0.0.0"));
        String port = command.get(command.indexOf("--metrics-port") + 1);
        Map<String, Object> prometheus =
                new Yaml()
                        .load(
                                Files.readString(
                                        COMPOSE.resolveSibling("prometheus/prometheus.yml")));
        List<String> targets = new ArrayList<>();
        for (Object job : (List<?>) prometheus.get("scrape_configs")) {
            for (Object config : (List<?>) ((Map<?, ?>) job).get("static_configs")) {
                targets.addAll(strings(((Map<?, ?>) config).get("targets")));
            }
        }
        assertThat(targets).contains("probe:" + port);
    }

    @Test
    void imageTagsAreThePomVersionsOrConcreteReleases() throws Exception {
        var pom =
                DocumentBuilderFactory.newInstance()
                        .newDocumentBuilder()
                        .parse(ROOT.resolve("pom.xml").toFile());
        String kafka = pom.getElementsByTagName("kafka.version").item(0).getTextContent().trim();
        String flink = pom.getElementsByTagName("flink.version").item(0).getTextContent().trim();
        Pattern release = Pattern.compile("[^:]+:v?[0-9]+(\\.[0-9]+)+");
        for (Map.Entry<String, Object> e : services().entrySet()) {
            Map<String, Object> s = map(e.getValue());
            String image = (String) s.get("image");
            if (image == null) {
                assertThat(s).as(e.getKey() + ": an image or a build").containsKey("build");
                assertThat(map(s.get("build"))).containsEntry("dockerfile", "docker/Dockerfile");
                continue;
            }
            assertThat(image).as(e.getKey() + " image").matches(release);
            if (image.startsWith("apache/kafka:")) {
                assertThat(image).as(e.getKey() + " image").isEqualTo("apache/kafka:" + kafka);
            }
        }
        assertThat(service("kafka-1").get("image")).isEqualTo("apache/kafka:" + kafka);
        assertThat(ComposeFile.flinkVersion()).isEqualTo(flink);
        String dockerfile = Files.readString(DOCKERFILE);
        assertThat(dockerfile).contains("\nFROM flink:" + flink + "-java17 AS flink\n");
        assertThat(dockerfile).doesNotContainPattern("(?m)^FROM \\S+:latest");
        assertThat(dockerfile).doesNotContainPattern("(?m)^FROM [^:\\s]+ ");
    }

    @Test
    void everyPublishedPortIsBoundToLoopback() {
        int published = 0;
        for (Map.Entry<String, Object> e : services().entrySet()) {
            Object ports = map(e.getValue()).get("ports");
            if (ports == null) {
                continue;
            }
            for (String p : strings(ports)) {
                assertThat(p).as(e.getKey() + " port").matches("127\\.0\\.0\\.1:[0-9]+:[0-9]+");
                published++;
            }
        }
        assertThat(published).isPositive();
    }

    @Test
    void theMountedConfigurationFilesExist() {
        for (String name : List.of("prometheus", "grafana")) {
            for (String v : strings(service(name).get("volumes"))) {
                assertThat(v).startsWith("./");
                Path source = COMPOSE.getParent().resolve(v.substring(0, v.indexOf(':')));
                assertThat(source).as(name + " volume " + v).exists();
            }
        }
    }

    /**
     * {@code docker-compose config -q} validates the file against the compose schema (no container
     * engine needed). Without docker-compose on the PATH the test is skipped, except in CI.
     */
    @Test
    void dockerComposeValidatesTheFile() throws Exception {
        Path dockerCompose = onPath("docker-compose");
        if (dockerCompose == null) {
            String why = "docker-compose is not on the PATH (apt-get install docker-compose)";
            if ("true".equals(System.getenv("CI"))) {
                fail(why);
            }
            assumeTrue(false, why);
        }
        Path out = Files.createTempFile("docker-compose-config", ".out");
        try {
            Process p =
                    new ProcessBuilder(
                                    dockerCompose.toString(),
                                    "-f",
                                    ComposeFile.PATH,
                                    "config",
                                    "-q")
                            .directory(ROOT.toFile())
                            .redirectErrorStream(true)
                            .redirectOutput(out.toFile())
                            .start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("docker-compose config did not return within 120 s");
            }
            String output = Files.readString(out, StandardCharsets.UTF_8);
            assertThat(p.exitValue())
                    .as("docker-compose -f %s config -q:%n%s", ComposeFile.PATH, output)
                    .isZero();
        } finally {
            Files.deleteIfExists(out);
        }
    }

    // --- helpers ---

    /** The bootstrap servers as the file has them: each Kafka service's host and port. */
    private static String composeBootstrap() {
        List<String> s = new ArrayList<>();
        for (int id = 1; id <= ClusterSpec.KAFKA_NODES; id++) {
            Map<String, Object> k = service("kafka-" + id);
            s.add(k.get("hostname") + ":" + publishedPort(k));
        }
        return String.join(",", s);
    }

    private static int publishedPort(Map<String, Object> service) {
        List<String> ports = strings(service.get("ports"));
        assertThat(ports).hasSize(1);
        String[] parts = ports.get(0).split(":");
        assertThat(parts[1]).as("published as the container's port").isEqualTo(parts[2]);
        return Integer.parseInt(parts[2]);
    }

    /** The apache/kafka image's rule: '_' is '.', '__' is '_', '___' is '-', lower-cased. */
    private static String propertyOf(String env) {
        String key = env.substring("KAFKA_".length());
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < key.length(); ) {
            if (key.startsWith("___", i)) {
                b.append('-');
                i += 3;
            } else if (key.startsWith("__", i)) {
                b.append('_');
                i += 2;
            } else if (key.charAt(i) == '_') {
                b.append('.');
                i++;
            } else {
                b.append(Character.toLowerCase(key.charAt(i)));
                i++;
            }
        }
        return b.toString();
    }

    /** FLINK_PROPERTIES as the Flink image's entry point reads it: each line split at its ':'. */
    private static Map<String, String> flinkProperties(String text) {
        assertThat(text).isNotNull();
        Map<String, String> props = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            int colon = line.indexOf(':');
            assertThat(colon).as("FLINK_PROPERTIES line " + line).isPositive();
            props.put(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
        }
        return props;
    }

    private static Map<String, Object> services() {
        try {
            Map<String, Object> doc = map(new Yaml().load(Files.readString(COMPOSE)));
            return map(doc.get("services"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Map<String, Object> service(String name) {
        Object s = services().get(name);
        assertThat(s).as("service " + name).isNotNull();
        return map(s);
    }

    private static Map<String, String> env(Map<String, Object> service) {
        Map<String, String> env = new LinkedHashMap<>();
        map(service.get("environment")).forEach((k, v) -> env.put(k, String.valueOf(v)));
        return env;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        assertThat(o).isInstanceOf(Map.class);
        return (Map<String, Object>) o;
    }

    private static List<String> strings(Object o) {
        assertThat(o).isInstanceOf(List.class);
        List<String> s = new ArrayList<>();
        for (Object item : (List<?>) o) {
            s.add(String.valueOf(item));
        }
        return s;
    }

    private static Path onPath(String command) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir, command);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }
}
