package io.fmstream.job.io;

import io.fmstream.metrics.FmstreamMetrics;
import java.io.IOException;
import java.util.Collection;
import java.util.List;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.CommitterInitContext;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.connector.kafka.sink.KafkaCommittable;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.sink.KafkaWriterState;
import org.apache.flink.connector.kafka.sink.TwoPhaseCommittingStatefulSink;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.streaming.api.connector.sink2.CommittableMessage;
import org.apache.flink.streaming.api.connector.sink2.SupportsPostCommitTopology;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.lineage.LineageVertex;
import org.apache.flink.streaming.api.lineage.LineageVertexProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Flink's {@link KafkaSink}, except that its writer's {@code close()} logs a failure instead of
 * throwing it.
 *
 * <p>Why: when a send fails (e.g. the producer was fenced by another producer with the same
 * transactional id, {@code InvalidProducerEpochException}), the writer fails its task, as it
 * should. But flink-connector-kafka 5.0.0-2.2's {@code KafkaWriter.close()} throws the same send
 * error again, and it is called while Flink cleans up the failed task: an exception thrown while
 * handling a task failure is, to Flink, a fatal error of the TaskManager ("FATAL - exception in
 * exception handler"), so the whole TaskManager process goes down instead of the task restarting.
 * In a MiniCluster, or a cluster without a spare TaskManager, the job then waits for slots forever:
 * the stall {@code
 * FmstreamJobIntegrationTest#aSecondProducerFencingTheSinksNeverDuplicatesNeverStallsAndLosesOnlyCountedTransactions}
 * reproduced.
 *
 * <p>Swallowing it there loses nothing: close is never a commit point. Exactly-once commits only
 * what a checkpoint's {@code flush} saw acknowledged (a send failing after it belongs to a
 * transaction that is aborted on recovery); at-least-once replays from the last checkpoint; at the
 * end of a bounded input the final {@code flush(true)}, which throws as before, comes first.
 *
 * <p>Its committer is the connector's too, wrapped only to count the transactions it gives up on by
 * whether they are lost ({@link CommitOutcomeCommitter}). Everything else is the connector's,
 * unchanged: the same writer, committer, serializers, state (so savepoints are compatible) and
 * post-commit topology.
 */
public final class QuietCloseKafkaSink<IN>
        implements LineageVertexProvider,
                TwoPhaseCommittingStatefulSink<IN, KafkaWriterState, KafkaCommittable>,
                SupportsPostCommitTopology<KafkaCommittable> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(QuietCloseKafkaSink.class);

    private final KafkaSink<IN> sink;
    private final String name;

    /**
     * @param name the sink's name in the {@code sink} label of its commit metrics ({@code
     *     embeddings}, {@code predictions}, {@code dead-letters}, ...)
     */
    public QuietCloseKafkaSink(KafkaSink<IN> sink, String name) {
        this.sink = sink;
        this.name = name;
    }

    @Override
    public PrecommittingStatefulSinkWriter<IN, KafkaWriterState, KafkaCommittable> createWriter(
            WriterInitContext context) throws IOException {
        return new Writer<>(sink.createWriter(context));
    }

    @Override
    public PrecommittingStatefulSinkWriter<IN, KafkaWriterState, KafkaCommittable> restoreWriter(
            WriterInitContext context, Collection<KafkaWriterState> recoveredState)
            throws IOException {
        return new Writer<>(sink.restoreWriter(context, recoveredState));
    }

    @Override
    public SimpleVersionedSerializer<KafkaWriterState> getWriterStateSerializer() {
        return sink.getWriterStateSerializer();
    }

    @Override
    public Committer<KafkaCommittable> createCommitter(CommitterInitContext context)
            throws IOException {
        // The connector's committer, counting the transactions it gives up on (see there).
        return new CommitOutcomeCommitter<>(
                sink.createCommitter(context),
                context.metricGroup().addGroup(FmstreamMetrics.SINK, name),
                CommitOutcomeCommitter::recommittingRestoredCheckpoint);
    }

    @Override
    public SimpleVersionedSerializer<KafkaCommittable> getCommittableSerializer() {
        return sink.getCommittableSerializer();
    }

    @Override
    public void addPostCommitTopology(
            DataStream<CommittableMessage<KafkaCommittable>> committables) {
        sink.addPostCommitTopology(committables);
    }

    @Override
    public LineageVertex getLineageVertex() {
        return sink.getLineageVertex();
    }

    /** The connector's writer; only {@link #close()} differs. */
    static final class Writer<IN>
            implements PrecommittingStatefulSinkWriter<IN, KafkaWriterState, KafkaCommittable> {
        private final PrecommittingStatefulSinkWriter<IN, KafkaWriterState, KafkaCommittable>
                writer;

        Writer(PrecommittingStatefulSinkWriter<IN, KafkaWriterState, KafkaCommittable> writer) {
            this.writer = writer;
        }

        @Override
        public void write(IN element, Context context) throws IOException, InterruptedException {
            writer.write(element, context);
        }

        @Override
        public void flush(boolean endOfInput) throws IOException, InterruptedException {
            writer.flush(endOfInput);
        }

        @Override
        public void writeWatermark(Watermark watermark) throws IOException, InterruptedException {
            writer.writeWatermark(watermark);
        }

        @Override
        public Collection<KafkaCommittable> prepareCommit()
                throws IOException, InterruptedException {
            return writer.prepareCommit();
        }

        @Override
        public List<KafkaWriterState> snapshotState(long checkpointId) throws IOException {
            return writer.snapshotState(checkpointId);
        }

        @Override
        public void close() {
            try {
                writer.close();
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                // A send error the task has failed with already (or would, on its next write or
                // flush): thrown again here, it would take the TaskManager down. See above.
                LOG.warn("Kafka sink writer closed with an error (logged, not rethrown)", e);
            }
        }
    }
}
