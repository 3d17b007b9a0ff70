package io.fmstream.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The job jar is what `flink run` receives: it must carry the job and its connectors, and none of
 * Flink itself, no broker and no MiniCluster (runs after `package`, in `verify`). Nor anything only
 * the tools and the tests use: the simulator, the WFDB readers, the dataset builder, replay
 * chunking (module fmstream-data), the local broker and cluster launcher (fmstream-local), the
 * README generator and the recorded-input source (tools), JUnit.
 */
class JobJarIT {

    @Test
    void theJobJarIsLeanAndStartsTheJobClass() throws Exception {
        Path target = io.fmstream.data.RepositoryLayout.root().resolve("flink-jobs/target");
        List<Path> jars;
        try (Stream<Path> files = Files.list(target)) {
            jars = files.filter(p -> p.getFileName().toString().endsWith("-job.jar")).toList();
        }
        assertThat(jars).as("job jar in " + target).hasSize(1);
        try (JarFile jar = new JarFile(new File(jars.get(0).toString()))) {
            assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class"))
                    .isEqualTo("io.fmstream.job.FmstreamJob");
            List<String> names = new ArrayList<>();
            jar.stream().forEach(e -> names.add(e.getName()));
            assertThat(names)
                    .contains(
                            "io/fmstream/job/FmstreamJob.class",
                            "io/fmstream/core/window/DeviceWindowAssembler.class",
                            "io/fmstream/core/model/ModelBundle.class",
                            "io/fmstream/schemas/SensorChunk.class",
                            "io/fmstream/schemas/history/SensorChunk.v1.avsc",
                            "org/apache/flink/connector/kafka/sink/KafkaSink.class",
                            "org/apache/kafka/clients/producer/KafkaProducer.class",
                            "ai/onnxruntime/OrtSession.class");
            assertThat(names)
                    .noneMatch(n -> n.startsWith("kafka/server/"))
                    .noneMatch(n -> n.startsWith("org/apache/kafka/common/test/"))
                    .noneMatch(n -> n.startsWith("org/apache/flink/runtime/"))
                    .noneMatch(n -> n.startsWith("org/apache/flink/streaming/api/environment/"))
                    .noneMatch(n -> n.startsWith("io/fmstream/testkit/"))
                    .noneMatch(n -> n.startsWith("io/fmstream/data/"))
                    .noneMatch(n -> n.startsWith("io/fmstream/local/"))
                    .noneMatch(n -> n.startsWith("io/fmstream/tools/"))
                    .noneMatch(
                            n -> n.contains("ReferenceDocs") || n.contains("RecordedSensorSource"))
                    .noneMatch(
                            n ->
                                    n.startsWith("org/apache/kafka/raft/")
                                            || n.startsWith("org/apache/kafka/metadata/")
                                            || n.startsWith("org/apache/kafka/storage/")
                                            || n.startsWith("org/apache/kafka/controller/"))
                    .noneMatch(n -> n.startsWith("org/junit/") || n.startsWith("org/opentest4j/"))
                    .noneMatch(n -> n.startsWith("scala/"));
        }
    }

    @Test
    void theCommandLineToolsRunWithoutATestFramework() throws Exception {
        // bin/fmstream (demo, simulate, replay, ...) runs on this class path; the demo's broker is
        // fmstream-local's LocalKafkaBroker, which needs no JUnit.
        Path classpath =
                io.fmstream.data.RepositoryLayout.root().resolve("tools/target/classpath.txt");
        assertThat(classpath).exists();
        String[] entries = Files.readString(classpath).trim().split(File.pathSeparator);
        assertThat(entries)
                .isNotEmpty()
                .anyMatch(e -> e.contains("kafka-test-common-runtime"))
                .noneMatch(
                        e ->
                                e.contains("junit")
                                        || e.contains("opentest4j")
                                        || e.contains("fmstream-testkit"));
    }
}
