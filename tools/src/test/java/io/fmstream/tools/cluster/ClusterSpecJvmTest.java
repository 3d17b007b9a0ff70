package io.fmstream.tools.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.local.StandaloneFlinkCluster;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local cluster's TaskManagers and JobManager start as Flink's {@code taskmanager.sh} and
 * {@code jobmanager.sh} would start them from the same configuration: the heap committed in full
 * ({@code -Xms} equal to {@code -Xmx}), Flink's direct and metaspace limits, then the deployment's
 * own {@code env.java.opts.*}.
 */
class ClusterSpecJvmTest {

    private static final long MB = 1 << 20;

    /** Heap: framework 128 MB + task 512; direct: framework off-heap 128 + task 64 + network 64. */
    private static final List<String> FLINKS_OWN =
            List.of(
                    "-Xmx" + 640 * MB,
                    "-Xms" + 640 * MB,
                    "-XX:MaxDirectMemorySize=" + 256 * MB,
                    "-XX:MaxMetaspaceSize=" + 256 * MB);

    @Test
    void taskManagersGetFlinksOwnMemoryOptionsThenTheDeploymentsOwn(@TempDir Path dir)
            throws Exception {
        assertThat(
                        cluster(dir.resolve("spec"), ClusterSpec.flinkConfig(dir))
                                .taskManagerJvmOptions())
                .isEqualTo(FLINKS_OWN);
        Map<String, String> config = new LinkedHashMap<>(ClusterSpec.flinkConfig(dir));
        config.put("env.java.opts.all", "-Dfmstream.example=1");
        config.put(
                "env.java.opts.taskmanager",
                "-XX:+AlwaysPreTouch  -XX:NativeMemoryTracking=summary");
        List<String> expected = new java.util.ArrayList<>(FLINKS_OWN);
        expected.addAll(
                List.of(
                        "-Dfmstream.example=1",
                        "-XX:+AlwaysPreTouch",
                        "-XX:NativeMemoryTracking=summary"));
        assertThat(cluster(dir.resolve("opts"), config).taskManagerJvmOptions())
                .isEqualTo(expected);
    }

    /**
     * Heap: process 1,024 MB - metaspace 256 - JVM overhead 192 (its minimum) - off-heap 128; no
     * direct limit (Flink's default for a JobManager).
     */
    private static final List<String> FLINKS_OWN_JOB_MANAGER =
            List.of("-Xmx" + 448 * MB, "-Xms" + 448 * MB, "-XX:MaxMetaspaceSize=" + 256 * MB);

    @Test
    void theJobManagerGetsFlinksOwnMemoryOptionsThenTheDeploymentsOwn(@TempDir Path dir)
            throws Exception {
        assertThat(
                        cluster(dir.resolve("spec"), ClusterSpec.flinkConfig(dir))
                                .jobManagerJvmOptions())
                .isEqualTo(FLINKS_OWN_JOB_MANAGER);
        Map<String, String> config = new LinkedHashMap<>(ClusterSpec.flinkConfig(dir));
        config.put("env.java.opts.all", "-Dfmstream.example=1");
        config.put("env.java.opts.jobmanager", "-XX:+UseSerialGC");
        config.put("env.java.opts.taskmanager", "-XX:+AlwaysPreTouch");
        List<String> expected = new java.util.ArrayList<>(FLINKS_OWN_JOB_MANAGER);
        expected.addAll(List.of("-Dfmstream.example=1", "-XX:+UseSerialGC"));
        assertThat(cluster(dir.resolve("opts"), config).jobManagerJvmOptions())
                .as("the JobManager's options, not the TaskManagers'")
                .isEqualTo(expected);
    }

    private static StandaloneFlinkCluster cluster(Path dir, Map<String, String> config)
            throws Exception {
        return new StandaloneFlinkCluster(
                dir,
                ClusterSpec.TASK_MANAGERS,
                ClusterSpec.SLOTS_PER_TASK_MANAGER,
                config,
                List.of());
    }
}
