package io.fmstream.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.core.model.BundleManifest;
import io.fmstream.core.records.SourceRef;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.jobgraph.JobVertex;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamEdge;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.apache.flink.streaming.runtime.partitioner.KeyGroupStreamPartitioner;
import org.junit.jupiter.api.Test;

/**
 * Each head's predictions leave its task by one network edge: the keyBy to the recording-level
 * operator, which passes them on to the predictions sink chained to it. Every extra edge out of a
 * head costs an output flusher thread per subtask and a serialisation per prediction (at 8 tasks
 * and parallelism 2 the heads had 32 flushers, waking every 10 ms, before).
 */
class PredictionPathTopologyTest {

    @Test
    void eachHeadHasOneOutputEdgeAndThePredictionsSinkIsChainedToTheRecordingOperator() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        JobSettings settings = EncoderInputTopologyTest.settings(null);
        BundleManifest manifest = FmstreamJob.readManifest(settings.bundleUri);
        FmstreamJob.Outputs out =
                FmstreamJob.build(
                        env.fromSequence(0, 1)
                                .map(i -> new SourceRef(), TypeInformation.of(SourceRef.class)),
                        settings,
                        manifest);
        FmstreamJob.attachKafkaSinks(out, settings, manifest);
        StreamGraph graph = env.getStreamGraph();

        StreamNode recordings = node(graph, FmstreamJob.UID_RECORDING_PREDICTIONS);
        List<StreamNode> heads =
                graph.getStreamNodes().stream()
                        .filter(
                                n ->
                                        n.getTransformationUID() != null
                                                && n.getTransformationUID()
                                                        .startsWith(FmstreamJob.UID_HEAD_PREFIX))
                        .collect(Collectors.toList());
        assertThat(heads).hasSize(manifest.heads().size());
        for (StreamNode head : heads) {
            assertThat(head.getOutEdges())
                    .as("edges out of %s", head.getTransformationUID())
                    .hasSize(1);
            StreamEdge edge = head.getOutEdges().get(0);
            assertThat(edge.getTargetId()).isEqualTo(recordings.getId());
            assertThat(edge.getPartitioner()).isInstanceOf(KeyGroupStreamPartitioner.class);
        }

        JobGraph job = graph.getJobGraph();
        List<String> tasks =
                job.getVerticesSortedTopologicallyFromSources().stream()
                        .map(JobVertex::getName)
                        .collect(Collectors.toList());
        assertThat(tasks)
                .as("tasks %s", tasks)
                .anyMatch(
                        name ->
                                name.contains("Recording-level predictions")
                                        && name.contains("Predictions (Kafka)"));
        assertThat(tasks).noneMatch(name -> name.startsWith("Predictions (Kafka)"));
    }

    private static StreamNode node(StreamGraph graph, String uid) {
        return graph.getStreamNodes().stream()
                .filter(n -> uid.equals(n.getTransformationUID()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no operator with uid " + uid));
    }
}
