package io.fmstream.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fmstream.core.model.BundleManifest;
import io.fmstream.core.records.SourceRef;
import io.fmstream.data.RepositoryLayout;
import io.fmstream.job.FmstreamOptions.EncoderInput;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.jobgraph.JobVertex;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.apache.flink.streaming.runtime.partitioner.ForwardPartitioner;
import org.apache.flink.streaming.runtime.partitioner.RebalancePartitioner;
import org.apache.flink.streaming.runtime.partitioner.StreamPartitioner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code fmstream.encoder.input} shapes the job graph as documented: which partitioner carries the
 * windows to the encoder, and whether the encoder shares the assembler's thread (its task).
 */
class EncoderInputTopologyTest {

    private static final String ASSEMBLER = "Assemble device windows";
    private static final String ENCODER = "Embed (micro-batched encoder)";

    @Test
    void defaultsToRebalance() {
        assertThat(settings(null).encoderInput).isEqualTo(EncoderInput.REBALANCE);
    }

    @Test
    void refusesAnUnknownValueNamingTheOption() {
        assertThatThrownBy(() -> settings("ROUND_ROBIN"))
                .hasMessageContaining("fmstream.encoder.input");
    }

    @ParameterizedTest
    @EnumSource(EncoderInput.class)
    void routesWindowsToTheEncoderAsConfigured(EncoderInput input) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        JobSettings settings = settings(input.name());
        BundleManifest manifest = FmstreamJob.readManifest(settings.bundleUri);
        FmstreamJob.Outputs out =
                FmstreamJob.build(
                        env.fromSequence(0, 1)
                                .map(i -> new SourceRef(), TypeInformation.of(SourceRef.class)),
                        settings,
                        manifest);
        out.predictions.sinkTo(new DiscardingSink<>());
        StreamGraph graph = env.getStreamGraph();

        StreamNode encoder =
                graph.getStreamNodes().stream()
                        .filter(n -> FmstreamJob.UID_EMBED.equals(n.getTransformationUID()))
                        .findFirst()
                        .orElseThrow();
        assertThat(encoder.getInEdges()).hasSize(1);
        StreamNode from = graph.getStreamNode(encoder.getInEdges().get(0).getSourceId());
        assertThat(from.getTransformationUID()).isEqualTo(FmstreamJob.UID_ASSEMBLER);
        StreamPartitioner<?> partitioner = encoder.getInEdges().get(0).getPartitioner();
        assertThat(partitioner)
                .isInstanceOf(
                        input == EncoderInput.REBALANCE
                                ? RebalancePartitioner.class
                                : ForwardPartitioner.class);

        JobGraph job = graph.getJobGraph();
        List<String> tasks =
                job.getVerticesSortedTopologicallyFromSources().stream()
                        .map(JobVertex::getName)
                        .collect(Collectors.toList());
        boolean shared =
                tasks.stream().anyMatch(name -> name.contains(ASSEMBLER) && name.contains(ENCODER));
        assertThat(shared)
                .as("encoder chained to the assembler in %s", tasks)
                .isEqualTo(input == EncoderInput.KEYED);
        assertThat(tasks).anyMatch(name -> name.contains(ENCODER));
    }

    /**
     * Settings for the fixture bundle, with {@code fmstream.encoder.input} set unless null (also
     * {@link PredictionPathTopologyTest}'s).
     */
    static JobSettings settings(String encoderInput) {
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "--fmstream.kafka.bootstrap-servers",
                                "localhost:9092",
                                "--fmstream.bundle",
                                RepositoryLayout.fixtureBundle().toUri().toString()));
        if (encoderInput != null) {
            args.addAll(List.of("--fmstream.encoder.input", encoderInput));
        }
        return JobSettings.from(FmstreamJob.parseArgs(args.toArray(String[]::new)));
    }
}
