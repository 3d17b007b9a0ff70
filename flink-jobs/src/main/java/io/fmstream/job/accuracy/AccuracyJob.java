package io.fmstream.job.accuracy;

import io.fmstream.core.accuracy.TruthSpan;
import io.fmstream.core.records.SourceRef;
import io.fmstream.job.FmstreamJob;
import io.fmstream.job.FmstreamOptions;
import io.fmstream.job.io.SourceRecordDeserializer;
import io.fmstream.kafka.KafkaClientProperties;
import io.fmstream.kafka.TopicPreflight;
import io.fmstream.kafka.TransactionalIds;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * Live accuracy from delayed labels: a small job of its own (same jar, this entry point), so the
 * latency-critical inference job stays lean. It reads the predictions and the ground truth
 * (GroundTruth records: the simulator's, replay's, or clinicians' labels, arriving later), joins
 * them per device by time span ({@link AccuracyJoinFunction}, state bounded by {@code
 * fmstream.accuracy.horizon}), and publishes one {@code AccuracyOutcome} per scored prediction on
 * the accuracy topic and per-task agreement and absolute error as metrics.
 *
 * <pre>
 * flink run -c io.fmstream.job.accuracy.AccuracyJob fmstream-flink-jobs-job.jar \
 *     --fmstream.kafka.bootstrap-servers kafka:9092
 * </pre>
 */
public final class AccuracyJob {

    public static final String UID_PREDICTIONS = "accuracy-predictions-source";
    public static final String UID_TRUTH = "accuracy-truth-source";
    public static final String UID_JOIN = "accuracy-join";
    public static final String UID_SINK = "accuracy-sink";

    private AccuracyJob() {}

    /** What the job reads from the shared options (no model bundle needed). */
    public record Settings(
            String bootstrapServers,
            Map<String, String> kafkaProperties,
            String predictionsTopic,
            String groundTruthTopic,
            String accuracyTopic,
            String consumerGroup,
            String transactionalIdPrefix,
            FmstreamOptions.Delivery delivery,
            Duration transactionTimeout,
            Duration checkpointInterval,
            Duration checkpointTimeout,
            boolean checkpointTimeoutSet,
            int tolerableFailedCheckpoints,
            Duration horizon,
            boolean createTopics,
            int topicPartitions,
            short topicReplication,
            int maxParallelism) {

        public static Settings from(Configuration c) {
            String bootstrap = c.get(FmstreamOptions.BOOTSTRAP_SERVERS);
            if (bootstrap == null || bootstrap.isBlank()) {
                throw new IllegalArgumentException(
                        FmstreamOptions.BOOTSTRAP_SERVERS.key() + " is required");
            }
            Duration horizon = c.get(FmstreamOptions.ACCURACY_HORIZON);
            if (horizon.isNegative() || horizon.isZero()) {
                throw new IllegalArgumentException(
                        FmstreamOptions.ACCURACY_HORIZON.key() + " must be positive");
            }
            Duration checkpointTimeout = io.fmstream.job.JobSettings.checkpointTimeout(c);
            return new Settings(
                    bootstrap,
                    KafkaClientProperties.ofJob(c.toMap()),
                    c.get(FmstreamOptions.PREDICTIONS_TOPIC),
                    c.get(FmstreamOptions.GROUND_TRUTH_TOPIC),
                    c.get(FmstreamOptions.ACCURACY_TOPIC),
                    AccuracyJob.consumerGroup(c),
                    AccuracyJob.transactionalIdPrefix(c),
                    c.get(FmstreamOptions.DELIVERY),
                    c.get(FmstreamOptions.TRANSACTION_TIMEOUT),
                    c.get(FmstreamOptions.CHECKPOINT_INTERVAL),
                    checkpointTimeout,
                    c.getOptional(FmstreamOptions.CHECKPOINT_TIMEOUT).isPresent(),
                    c.get(FmstreamOptions.TOLERABLE_FAILED_CHECKPOINTS),
                    horizon,
                    c.get(FmstreamOptions.CREATE_TOPICS),
                    positive(c, FmstreamOptions.TOPIC_PARTITIONS),
                    (short) positive(c, FmstreamOptions.TOPIC_REPLICATION),
                    positive(c, FmstreamOptions.MAX_PARALLELISM));
        }

        /** The record's own form, with secrets among the Kafka properties masked. */
        @Override
        public String toString() {
            return "Settings[bootstrapServers="
                    + bootstrapServers
                    + ", kafkaProperties="
                    + KafkaClientProperties.masked(kafkaProperties)
                    + ", predictionsTopic="
                    + predictionsTopic
                    + ", groundTruthTopic="
                    + groundTruthTopic
                    + ", accuracyTopic="
                    + accuracyTopic
                    + ", consumerGroup="
                    + consumerGroup
                    + ", transactionalIdPrefix="
                    + transactionalIdPrefix
                    + ", delivery="
                    + delivery
                    + "]";
        }

        /** As the inference job: a zero here failed later, inside Kafka or Flink. */
        private static int positive(Configuration c, ConfigOption<Integer> option) {
            int value = c.get(option);
            if (value <= 0) {
                throw new IllegalArgumentException(option.key() + " must be > 0, got " + value);
            }
            return value;
        }
    }

    /**
     * The accuracy job's consumer group: its own, derived from the inference job's, so it never
     * shares offsets with it.
     */
    public static String consumerGroup(Configuration c) {
        return c.get(FmstreamOptions.CONSUMER_GROUP) + "-accuracy";
    }

    /** Its transactional-id prefix: its own, so neither job aborts the other's transactions. */
    public static String transactionalIdPrefix(Configuration c) {
        return TransactionalIds.accuracyJob(c.get(FmstreamOptions.TRANSACTIONAL_ID_PREFIX));
    }

    /** Checks (or creates) its topics, then wires sources, join and sink into {@code env}. */
    public static void build(StreamExecutionEnvironment env, Settings s) {
        Map<String, Map<String, String>> topics = new LinkedHashMap<>();
        topics.put(s.predictionsTopic(), Map.of());
        topics.put(s.groundTruthTopic(), Map.of());
        topics.put(s.accuracyTopic(), Map.of());
        TopicPreflight.check(
                s.bootstrapServers(),
                topics,
                s.topicPartitions(),
                s.createTopics(),
                s.topicPartitions(),
                s.topicReplication(),
                s.kafkaProperties(),
                new TopicPreflight.Requirements(
                        false,
                        s.delivery() == FmstreamOptions.Delivery.EXACTLY_ONCE
                                ? s.transactionTimeout()
                                : null));
        // As the inference job: a failed checkpoint is ridden out, not a restart.
        Configuration checkpoints = new Configuration();
        checkpoints.set(
                org.apache.flink.configuration.CheckpointingOptions.TOLERABLE_FAILURE_NUMBER,
                s.tolerableFailedCheckpoints());
        // As the inference job: bounded by the transaction timeout, or the cluster's own within it.
        io.fmstream.job.JobSettings.applyCheckpointTimeout(
                env.getConfiguration(),
                checkpoints,
                s.checkpointTimeout(),
                s.checkpointTimeoutSet(),
                s.transactionTimeout(),
                s.checkpointInterval(),
                s.tolerableFailedCheckpoints());
        env.configure(checkpoints);
        // Its join keeps keyed state: the key groups are fixed for the job's life, as the
        // inference job's (left unset, they followed the first deployment's parallelism).
        env.setMaxParallelism(s.maxParallelism());
        env.enableCheckpointing(s.checkpointInterval().toMillis(), CheckpointingMode.EXACTLY_ONCE);
        DataStream<PendingPrediction> predictions =
                source(env, s, s.predictionsTopic(), "Predictions (Kafka)", UID_PREDICTIONS)
                        .process(new AccuracyDecoders.Predictions())
                        .uid("accuracy-decode-predictions")
                        .name("Decode predictions");
        DataStream<TruthSpan> truth =
                source(env, s, s.groundTruthTopic(), "Ground truth (Kafka)", UID_TRUTH)
                        .process(new AccuracyDecoders.Truths())
                        .uid("accuracy-decode-truth")
                        .name("Decode ground truth");
        predictions
                .keyBy(p -> p.deviceId)
                .connect(truth.keyBy(t -> t.deviceId))
                .process(
                        new AccuracyJoinFunction(s.horizon().toMillis()),
                        TypeInformation.of(ScoredPrediction.class))
                .uid(UID_JOIN)
                .name("Score predictions against ground truth")
                .sinkTo(
                        FmstreamJob.kafkaSink(
                                "accuracy",
                                s.bootstrapServers(),
                                s.kafkaProperties(),
                                s.delivery(),
                                s.transactionalIdPrefix(),
                                s.transactionTimeout(),
                                new AccuracySerializer(s.accuracyTopic())))
                .uid(UID_SINK)
                .name("Accuracy (Kafka)");
    }

    private static DataStream<SourceRef> source(
            StreamExecutionEnvironment env, Settings s, String topic, String name, String uid) {
        KafkaSource<SourceRef> source =
                KafkaSource.<SourceRef>builder()
                        .setProperties(
                                KafkaClientProperties.into(new Properties(), s.kafkaProperties()))
                        .setBootstrapServers(s.bootstrapServers())
                        .setTopics(topic)
                        .setGroupId(s.consumerGroup())
                        .setStartingOffsets(
                                OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                        .setDeserializer(new SourceRecordDeserializer())
                        .setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")
                        .build();
        // Processing time only: the join waits on data, not on watermarks.
        return env.fromSource(source, WatermarkStrategy.noWatermarks(), name).uid(uid);
    }

    public static void main(String[] args) throws Exception {
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(FmstreamJob.parseArgs(args));
        // The cluster's configuration with the arguments over it, as the inference job reads it.
        Settings settings = Settings.from(FmstreamJob.fmstreamOptions(env.getConfiguration()));
        build(env, settings);
        env.execute("fmstream accuracy");
    }
}
