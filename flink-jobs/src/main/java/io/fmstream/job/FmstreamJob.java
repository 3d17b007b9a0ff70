package io.fmstream.job;

import io.fmstream.core.model.BundleManifest;
import io.fmstream.core.model.ModelBundle;
import io.fmstream.core.records.ChunkRecord;
import io.fmstream.core.records.DeadLetterRecord;
import io.fmstream.core.records.EmbeddingRecord;
import io.fmstream.core.records.PredictionRecord;
import io.fmstream.core.records.SourceRef;
import io.fmstream.core.records.WindowRecord;
import io.fmstream.core.window.WindowSpec;
import io.fmstream.job.functions.AbstractEmbedOperator;
import io.fmstream.job.functions.ContinuousBatchEmbedOperator;
import io.fmstream.job.functions.DeadLetters;
import io.fmstream.job.functions.DecodeValidateFunction;
import io.fmstream.job.functions.HeadOperator;
import io.fmstream.job.functions.MicroBatchEmbedOperator;
import io.fmstream.job.functions.RecordingPredictionFunction;
import io.fmstream.job.functions.WindowAssemblerFunction;
import io.fmstream.job.io.DeadLetterSerializer;
import io.fmstream.job.io.EmbeddingSerializer;
import io.fmstream.job.io.EncoderIdentity;
import io.fmstream.job.io.FlinkBundleFiles;
import io.fmstream.job.io.PredictionSerializer;
import io.fmstream.job.io.QuietCloseKafkaSink;
import io.fmstream.job.io.SourceRecordDeserializer;
import io.fmstream.job.types.RecordTypeInfo;
import io.fmstream.kafka.BoundedEnd;
import io.fmstream.kafka.KafkaClientProperties;
import io.fmstream.kafka.TopicPreflight;
import io.fmstream.kafka.TopicReadiness;
import io.fmstream.kafka.TransactionalIds;
import io.fmstream.schemas.SignalType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.sink.TransactionNamingStrategy;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fmstream job: sensor chunks in, embeddings, predictions and dead letters out.
 *
 * <p>{@link #build} is the whole topology over any input stream and is what tests call with bounded
 * sources; {@link #main} only adds the production Kafka source and sinks. Operator uids are
 * constants: changing one orphans that operator's state in existing savepoints.
 */
public final class FmstreamJob {

    private static final Logger LOG = LoggerFactory.getLogger(FmstreamJob.class);

    public static final String UID_SOURCE = "sensor-chunks-source";
    public static final String UID_DECODE = "decode-validate";
    public static final String UID_ASSEMBLER = "window-assembler";
    public static final String UID_EMBED = "embed-micro-batch";
    public static final String UID_HEAD_PREFIX = "head-";
    public static final String UID_RECORDING_PREDICTIONS = "recording-predictions";
    public static final String UID_EMBEDDINGS_SINK = "embeddings-sink";
    public static final String UID_PREDICTIONS_SINK = "predictions-sink";
    public static final String UID_DEAD_LETTERS_SINK = "dead-letters-sink";

    private FmstreamJob() {}

    /**
     * The topology's output streams. {@code windows} (the assembler's output, before the encoder)
     * is not written anywhere in production; tests read it to check train/serve parity.
     */
    public static final class Outputs {
        public final DataStream<WindowRecord> windows;
        public final DataStream<EmbeddingRecord> embeddings;
        public final DataStream<PredictionRecord> predictions;
        public final DataStream<DeadLetterRecord> deadLetters;

        Outputs(
                DataStream<WindowRecord> windows,
                DataStream<EmbeddingRecord> embeddings,
                DataStream<PredictionRecord> predictions,
                DataStream<DeadLetterRecord> deadLetters) {
            this.windows = windows;
            this.embeddings = embeddings;
            this.predictions = predictions;
            this.deadLetters = deadLetters;
        }
    }

    /**
     * The topology up to the encoder: decoded, validated chunks and the assembled device windows.
     */
    public static final class Assembled {
        public final SingleOutputStreamOperator<ChunkRecord> chunks;
        public final SingleOutputStreamOperator<WindowRecord> windows;

        Assembled(
                SingleOutputStreamOperator<ChunkRecord> chunks,
                SingleOutputStreamOperator<WindowRecord> windows) {
            this.chunks = chunks;
            this.windows = windows;
        }

        /** Dead letters of both stages (decode/validate and assembly). */
        public DataStream<DeadLetterRecord> deadLetters() {
            return chunks.getSideOutput(DeadLetters.TAG)
                    .union(windows.getSideOutput(DeadLetters.TAG));
        }
    }

    /**
     * Decodes, validates and assembles {@code input} into device windows. {@link #build} goes on
     * from here; the fan-out benchmark builds its one-encoder-per-task baseline on the same front.
     */
    public static Assembled assemble(
            DataStream<SourceRef> input, JobSettings settings, BundleManifest manifest) {
        WindowSpec spec = windowSpec(settings, manifest);
        SingleOutputStreamOperator<ChunkRecord> chunks =
                input.process(
                                new DecodeValidateFunction(
                                        settings.validation,
                                        SignalType.valueOf(manifest.signalType())),
                                RecordTypeInfo.CHUNK)
                        .uid(UID_DECODE)
                        .name("Decode and validate");
        SingleOutputStreamOperator<WindowRecord> windows =
                chunks.keyBy(c -> c.deviceId, TypeInformation.of(String.class))
                        .process(
                                new WindowAssemblerFunction(
                                        spec,
                                        settings.streamLimits,
                                        settings.deviceIdleTimeout.toMillis(),
                                        settings.unrecordedWindowPhase),
                                RecordTypeInfo.WINDOW)
                        .uid(UID_ASSEMBLER)
                        .name("Assemble device windows");
        return new Assembled(chunks, windows);
    }

    /**
     * Builds the topology over {@code input}, whose element timestamps are Kafka append times (ms).
     */
    public static Outputs build(
            DataStream<SourceRef> input, JobSettings settings, BundleManifest manifest) {
        Assembled assembled = assemble(input, settings, manifest);

        // The encoder runs once per window; every head reads the same embedding (promise 2).
        SingleOutputStreamOperator<EmbeddingRecord> embeddings =
                embed(
                        assembled.windows,
                        settings,
                        manifest,
                        "Embed (micro-batched encoder)",
                        UID_EMBED);

        DataStream<PredictionRecord> predictions = null;
        for (BundleManifest.HeadSpec head : manifest.heads()) {
            DataStream<PredictionRecord> branch = head(embeddings, settings, manifest, head);
            predictions = predictions == null ? branch : predictions.union(branch);
        }
        if (predictions == null) {
            throw new IllegalArgumentException("bundle " + settings.bundleUri + " has no heads");
        }
        // One prediction per task for each recording closed by its end-of-recording chunk,
        // aggregated from its window predictions by the same rule the model evaluation uses. The
        // window predictions pass through the same operator on their way to the sink, which
        // chains to it: each prediction crosses one network edge, not two. Every edge out of a
        // head is one more output flusher thread per subtask waking each buffer timeout (10 ms);
        // with the heads' union going to the sink as well as here, 8 tasks at parallelism 2 ran 32
        // of them for the heads alone and paid a serialisation more per prediction
        // (docs/PERFORMANCE.md, "One edge per head").
        java.util.Map<String, java.util.List<String>> labels = new java.util.LinkedHashMap<>();
        for (BundleManifest.HeadSpec head : manifest.heads()) {
            labels.put(head.task(), head.labels() == null ? java.util.List.of() : head.labels());
        }
        DataStream<PredictionRecord> recordings =
                predictions
                        .keyBy(p -> p.deviceId, TypeInformation.of(String.class))
                        .connect(
                                assembled
                                        .windows
                                        .getSideOutput(WindowAssemblerFunction.RECORDING_ENDS)
                                        .keyBy(e -> e.deviceId, TypeInformation.of(String.class)))
                        .process(
                                new RecordingPredictionFunction(
                                        labels, settings.deviceIdleTimeout.toMillis()),
                                RecordTypeInfo.PREDICTION)
                        .uid(UID_RECORDING_PREDICTIONS)
                        .name("Recording-level predictions (window predictions pass through)");
        return new Outputs(assembled.windows, embeddings, recordings, assembled.deadLetters());
    }

    /**
     * The micro-batched encoder over {@code windows}, configured from {@code settings}. The job has
     * one; the fan-out benchmark's one-model-per-task baseline builds one per task from here, so
     * both are configured alike.
     */
    public static SingleOutputStreamOperator<EmbeddingRecord> embed(
            DataStream<WindowRecord> windows,
            JobSettings settings,
            BundleManifest manifest,
            String name,
            String uid) {
        // The encoder holds no state and costs nearly all the CPU, so it need not follow the
        // devices' key groups: keyed, its busiest subtask holds ceil(128 / p) key groups (1.5x the
        // mean at p = 96) plus the devices' hash spread, and sets the fleet served; dealt
        // round-robin, every subtask gets the same share. On 2 cores (even ranges) no capacity gain
        // was shown: docs/encoder-input.
        DataStream<WindowRecord> routed =
                settings.encoderInput == FmstreamOptions.EncoderInput.REBALANCE
                        ? windows.rebalance()
                        : windows;
        AbstractEmbedOperator encoder =
                settings.batchPolicy == FmstreamOptions.BatchPolicy.CONTINUOUS
                        ? new ContinuousBatchEmbedOperator(
                                settings.bundleUri,
                                manifest.encoder().sha256(),
                                settings.batchSize,
                                settings.onnxThreads)
                        : new MicroBatchEmbedOperator(
                                settings.bundleUri,
                                manifest.encoder().sha256(),
                                settings.batchSize,
                                settings.batchMaxDelay.toMillis(),
                                settings.onnxThreads);
        return routed.transform(name, RecordTypeInfo.EMBEDDING, encoder).uid(uid);
    }

    /** One head's operator over {@code embeddings}, with its stable uid. */
    public static SingleOutputStreamOperator<PredictionRecord> head(
            DataStream<EmbeddingRecord> embeddings,
            JobSettings settings,
            BundleManifest manifest,
            BundleManifest.HeadSpec head) {
        return embeddings
                .transform(
                        "Head " + head.task(),
                        RecordTypeInfo.PREDICTION,
                        new HeadOperator(
                                settings.bundleUri,
                                manifest.encoder().sha256(),
                                head.task(),
                                ModelBundle.HeadIdentity.of(head),
                                settings.onnxThreads,
                                settings.batchSize))
                .uid(UID_HEAD_PREFIX + head.task());
    }

    /** The window geometry the job runs with: the bundle's, with the settings' hop and phase. */
    public static WindowSpec windowSpec(JobSettings settings, BundleManifest manifest) {
        return WindowSpec.of(
                manifest.inputSampleRateHz(),
                manifest.windowSeconds(),
                settings.windowHop(manifest),
                settings.allowedLateness,
                settings.maxMissingFraction,
                settings.windowPhase);
    }

    /** Applies the job-wide settings that must hold from the first deployment on. */
    public static void configure(StreamExecutionEnvironment env, JobSettings settings) {
        Configuration pipeline = new Configuration();
        pipeline.set(PipelineOptions.GENERIC_TYPES, false);
        // Chained operators hand records over as they are instead of as serializer copies (a
        // window's samples once, each embedding once per head and sink). Safe because no operator
        // of the job changes a record it received or reuses a record it emitted: every function
        // builds new outputs (the encoder keeps the windows it batches until its flush, which the
        // second rule makes safe), and records crossing a keyBy are deserialised afresh whatever
        // this says. An operator added to the job must keep both rules.
        pipeline.set(PipelineOptions.OBJECT_REUSE, true);
        // A checkpoint that fails once (a slow one under a burst, a storage hiccup) need not
        // restart the job and redo its work: the sinks' transactions ride to the next checkpoint.
        pipeline.set(
                org.apache.flink.configuration.CheckpointingOptions.TOLERABLE_FAILURE_NUMBER,
                settings.tolerableFailedCheckpoints);
        pipeline.set(
                org.apache.flink.configuration.ExecutionOptions.BUFFER_TIMEOUT,
                settings.networkBufferTimeout);
        JobSettings.applyCheckpointTimeout(
                env.getConfiguration(),
                pipeline,
                settings.checkpointTimeout,
                settings.checkpointTimeoutSet,
                settings.transactionTimeout,
                settings.checkpointInterval,
                settings.tolerableFailedCheckpoints);
        env.configure(pipeline);
        env.setMaxParallelism(settings.maxParallelism);
        env.enableCheckpointing(
                settings.checkpointInterval.toMillis(), CheckpointingMode.EXACTLY_ONCE);
    }

    /**
     * Reads the bundle's manifest (when they open, the encoder's operators read and verify the
     * encoder again, each head's operators their head).
     */
    public static BundleManifest readManifest(String bundleUri) {
        FlinkBundleFiles files = new FlinkBundleFiles(bundleUri);
        try {
            return BundleManifest.parse(files.read(BundleManifest.FILE_NAME), files.describe());
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "Cannot read " + BundleManifest.FILE_NAME + " of bundle " + bundleUri, e);
        }
    }

    /**
     * Wires the production pipeline: topic check, Kafka source, {@link #build}, Kafka sinks.
     * Returns where a bounded run ends ({@code fmstream.source.bounded}), for {@link
     * #commitBoundedEnd} once the job has finished; null for the unbounded job.
     */
    public static BoundedEnd wireKafka(
            StreamExecutionEnvironment env, JobSettings settings, BundleManifest manifest) {
        checkTopics(settings);
        BoundedEnd end = settings.sourceBounded ? boundedEnd(settings) : null;
        attachKafkaSinks(
                build(kafkaSource(env, settings, end), settings, manifest), settings, manifest);
        return end;
    }

    /** An admin client with the user's pass-through properties (security and the like). */
    private static Admin admin(JobSettings settings) {
        return Admin.create(
                KafkaClientProperties.forAdmin(
                        settings.bootstrapServers,
                        settings.kafkaProperties,
                        TopicReadiness.DEFAULT_TIMEOUT));
    }

    /**
     * Fixes where a bounded run of the sensor topic ends: each partition's last stable offset now,
     * before the job is submitted.
     */
    public static BoundedEnd boundedEnd(JobSettings settings) {
        try (Admin admin = admin(settings)) {
            BoundedEnd end =
                    BoundedEnd.now(admin, settings.sensorTopic, TopicReadiness.DEFAULT_TIMEOUT);
            LOG.info("Bounded run: reading {} up to {}", settings.sensorTopic, end.offsets());
            return end;
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(
                    "Cannot read the end offsets of " + settings.sensorTopic + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted reading end offsets", e);
        }
    }

    /**
     * After a bounded run has finished: moves the job's consumer group to the run's end, so the
     * next run starts there (see {@link BoundedEnd} for why the connector's own commit is not
     * enough). A run submitted detached has no end to wait for here; the log says what to commit.
     */
    public static void commitBoundedEnd(
            JobSettings settings, BoundedEnd end, JobExecutionResult result) {
        if (result instanceof org.apache.flink.core.execution.DetachedJobExecutionResult) {
            LOG.warn(
                    "Bounded run submitted detached: consumer group {} is left to the Kafka"
                            + " source's own final commit, which is best effort. Once the job has"
                            + " finished, the next run starts where this one ended only if the"
                            + " group's offsets are {}",
                    settings.consumerGroup,
                    end.offsets());
            return;
        }
        try (Admin admin = admin(settings)) {
            end.commit(admin, settings.consumerGroup, TopicReadiness.DEFAULT_TIMEOUT);
            LOG.info(
                    "Bounded run finished: consumer group {} committed at {}",
                    settings.consumerGroup,
                    end.offsets());
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(
                    "The bounded run finished, but consumer group "
                            + settings.consumerGroup
                            + " could not be moved to its end "
                            + end.offsets()
                            + "; the next run would read from the group's last commit: "
                            + e,
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted committing the bounded run's end", e);
        }
    }

    /** Checks (or creates, when configured) the four topics before anything is submitted. */
    public static void checkTopics(JobSettings settings) {
        Map<String, Map<String, String>> topics = new LinkedHashMap<>();
        // Event time is the broker's append time, which no device clock can push forward.
        topics.put(
                settings.sensorTopic,
                Map.of(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime"));
        topics.put(settings.embeddingsTopic, Map.of());
        topics.put(settings.predictionsTopic, Map.of());
        topics.put(settings.deadLetterTopic, Map.of());
        TopicPreflight.check(
                settings.bootstrapServers,
                topics,
                settings.topicPartitions,
                settings.createTopics,
                settings.topicPartitions,
                settings.topicReplication,
                settings.kafkaProperties,
                new TopicPreflight.Requirements(
                        settings.requireLogAppendTime,
                        settings.delivery == FmstreamOptions.Delivery.EXACTLY_ONCE
                                ? settings.transactionTimeout
                                : null));
    }

    /**
     * The Kafka source's option (KafkaSourceOptions) that puts the consumer's own metrics into
     * Flink's metric group; off by default in a bounded job (see {@link #sourceClientProperties}).
     */
    static final String REGISTER_CONSUMER_METRICS =
            org.apache.flink.connector.kafka.source.KafkaSourceOptions
                    .REGISTER_KAFKA_CONSUMER_METRICS
                    .key();

    /**
     * The source's client properties before fmstream's own settings: the user's pass-through
     * properties, and in a bounded job the consumer's metrics off unless the user names them. Once
     * a subtask has read its splits to their ends, the connector closes its consumer and opens a
     * second one only to commit the final checkpoint's offsets; that consumer's metrics collide
     * with the first's, still registered under the same names (about 90 WARN lines per subtask at
     * the end of every backfill), and what stays reported is a closed consumer's. A backfill is
     * followed by fmstream's metrics and Flink's source metrics instead.
     */
    static java.util.Properties sourceClientProperties(JobSettings settings) {
        java.util.Properties p =
                KafkaClientProperties.into(new java.util.Properties(), settings.kafkaProperties);
        if (settings.sourceBounded && !p.containsKey(REGISTER_CONSUMER_METRICS)) {
            p.setProperty(REGISTER_CONSUMER_METRICS, "false");
        }
        return p;
    }

    /**
     * The sensor-chunk source with watermarks on the Kafka record timestamps; a bounded one ends
     * where {@link #boundedEnd} finds the topic now.
     */
    public static DataStream<SourceRef> kafkaSource(
            StreamExecutionEnvironment env, JobSettings settings) {
        return kafkaSource(env, settings, settings.sourceBounded ? boundedEnd(settings) : null);
    }

    /** As above; a bounded source ({@code end} not null) stops at {@code end}. */
    public static DataStream<SourceRef> kafkaSource(
            StreamExecutionEnvironment env, JobSettings settings, BoundedEnd end) {
        var builder =
                KafkaSource.<SourceRef>builder()
                        // Pass-through client properties first: the settings below win (the
                        // reserved keys are refused in JobSettings anyway).
                        .setProperties(sourceClientProperties(settings))
                        .setBootstrapServers(settings.bootstrapServers)
                        .setTopics(settings.sensorTopic)
                        .setGroupId(settings.consumerGroup)
                        .setStartingOffsets(
                                OffsetsInitializer.committedOffsets(
                                        org.apache.kafka.clients.consumer.OffsetResetStrategy
                                                .EARLIEST))
                        .setDeserializer(new SourceRecordDeserializer())
                        .setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        if (end != null) {
            // The end is fixed before the job is submitted: what arrives later is left for the
            // next run. A partition added since would stop at its end when the job starts.
            builder.setBounded(
                    OffsetsInitializer.offsets(
                            new HashMap<>(end.offsets()),
                            org.apache.kafka.clients.consumer.OffsetResetStrategy.LATEST));
        }
        KafkaSource<SourceRef> source = builder.build();
        WatermarkStrategy<SourceRef> watermarks =
                WatermarkStrategy.<SourceRef>forBoundedOutOfOrderness(
                                settings.watermarkOutOfOrderness)
                        .withTimestampAssigner((record, kafkaTimestamp) -> record.appendTimeMillis)
                        .withIdleness(settings.sourceIdleness);
        return env.fromSource(source, watermarks, "Sensor chunks (Kafka)").uid(UID_SOURCE);
    }

    /** Sends the three outputs to their Kafka topics. */
    public static void attachKafkaSinks(
            Outputs outputs, JobSettings settings, BundleManifest manifest) {
        EncoderIdentity encoder = EncoderIdentity.of(manifest);
        outputs.embeddings
                .sinkTo(
                        sink(
                                settings,
                                TransactionalIds.EMBEDDINGS,
                                new EmbeddingSerializer(settings.embeddingsTopic, encoder)))
                .uid(UID_EMBEDDINGS_SINK)
                .name("Embeddings (Kafka)");
        outputs.predictions
                .sinkTo(
                        sink(
                                settings,
                                TransactionalIds.PREDICTIONS,
                                new PredictionSerializer(settings.predictionsTopic, encoder)))
                .uid(UID_PREDICTIONS_SINK)
                .name("Predictions (Kafka)");
        outputs.deadLetters
                .sinkTo(
                        sink(
                                settings,
                                TransactionalIds.DEAD_LETTERS,
                                new DeadLetterSerializer(
                                        settings.deadLetterTopic,
                                        settings.deadLetterPayload,
                                        settings.deadLetterMaxKeptBytes)))
                .uid(UID_DEAD_LETTERS_SINK)
                .name("Dead letters (Kafka)");
    }

    private static <T> QuietCloseKafkaSink<T> sink(
            JobSettings settings, String name, KafkaRecordSerializationSchema<T> serializer) {
        return kafkaSink(
                name,
                settings.bootstrapServers,
                settings.kafkaProperties,
                settings.delivery,
                TransactionalIds.inferenceSink(settings.transactionalIdPrefix, name),
                settings.transactionTimeout,
                serializer);
    }

    /**
     * A Kafka sink as the job's: exactly-once (POOLING transactional ids) or at-least-once, whose
     * writer's close does not turn a failed send into a TaskManager failure ({@link
     * QuietCloseKafkaSink}), whose commit failures are counted under {@code sink=name}.
     */
    public static <T> QuietCloseKafkaSink<T> kafkaSink(
            String name,
            String bootstrapServers,
            Map<String, String> kafkaProperties,
            FmstreamOptions.Delivery delivery,
            String transactionalIdPrefix,
            java.time.Duration transactionTimeout,
            KafkaRecordSerializationSchema<T> serializer) {
        boolean exactlyOnce = delivery == FmstreamOptions.Delivery.EXACTLY_ONCE;
        return new QuietCloseKafkaSink<>(
                KafkaSink.<T>builder()
                        .setKafkaProducerConfig(sinkProducerConfig(delivery, kafkaProperties))
                        .setBootstrapServers(bootstrapServers)
                        .setRecordSerializer(serializer)
                        .setDeliveryGuarantee(
                                exactlyOnce
                                        ? DeliveryGuarantee.EXACTLY_ONCE
                                        : DeliveryGuarantee.AT_LEAST_ONCE)
                        .setTransactionalIdPrefix(transactionalIdPrefix)
                        // Reuses a small pool of transactional ids instead of a new one per
                        // checkpoint,
                        // which has exhausted broker memory in production; needs fixed topics (we
                        // have).
                        .setTransactionNamingStrategy(TransactionNamingStrategy.POOLING)
                        .setProperty(
                                "transaction.timeout.ms",
                                String.valueOf(transactionTimeout.toMillis()))
                        .setProperty("enable.idempotence", "true")
                        .setProperty("acks", "all")
                        .build(),
                name);
    }

    /**
     * Exactly-once sinks' producers wait up to this long to fill a batch (Kafka's default is 5 ms).
     * Why: a {@code read_committed} reader sees nothing before the checkpoint's commit, and the
     * sink flushes every open batch when the checkpoint's barrier reaches it, so the wait costs
     * those readers no latency, while at 5 ms each producer sent a request every few records and
     * the broker's CPU per request competed with the encoder for the cores (measured: broker CPU
     * 2.55 -> 1.5 core-s and the job through Kafka 1,078 -> 1,293 windows/s at 200 devices, median
     * of 6 rounds: docs/sink-linger).
     */
    public static final String EXACTLY_ONCE_LINGER_MS = "50";

    /** Exactly-once sinks' largest batch per partition, so that a 50 ms wait can fill it. */
    public static final String EXACTLY_ONCE_BATCH_BYTES = String.valueOf(128 * 1024);

    /**
     * The sinks' producer properties before the connector's own: for exactly-once, {@code
     * linger.ms} and {@code batch.size} tuned for throughput ({@link #EXACTLY_ONCE_LINGER_MS});
     * at-least-once keeps Kafka's defaults, since its readers see each record as soon as it is
     * sent. The user's pass-through properties ({@code fmstream.kafka.properties.*}) win over both.
     */
    public static java.util.Properties sinkProducerConfig(
            FmstreamOptions.Delivery delivery, Map<String, String> kafkaProperties) {
        java.util.Properties producer = new java.util.Properties();
        if (delivery == FmstreamOptions.Delivery.EXACTLY_ONCE) {
            producer.setProperty("linger.ms", EXACTLY_ONCE_LINGER_MS);
            producer.setProperty("batch.size", EXACTLY_ONCE_BATCH_BYTES);
        }
        return KafkaClientProperties.into(producer, kafkaProperties);
    }

    /**
     * Parses {@code --key value} program arguments into a configuration, refusing unknown fmstream
     * keys.
     */
    public static Configuration parseArgs(String[] args) {
        Map<String, String> map = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--") || i + 1 >= args.length) {
                // The argument itself only where it is a key: a stray token may be part of a
                // password split by the shell, and this message reaches the logs and the UI.
                throw new IllegalArgumentException(
                        "Expected --key value pairs: argument "
                                + (i + 1)
                                + " of "
                                + args.length
                                + (arg.startsWith("--")
                                        ? " ('" + arg + "') has no value"
                                        : " is not a --key"));
            }
            map.put(arg.substring(2), args[++i]);
        }
        FmstreamOptions.checkValues(map);
        return Configuration.fromMap(map);
    }

    /**
     * The job's {@code fmstream.*} options from the environment's configuration: the cluster's
     * (config.yaml, {@code flink run -D}) with the program arguments over it, checked as the
     * arguments are. Options read only from the arguments made a key in config.yaml silently
     * ignored (a transactional-id prefix fell back to the default), and kept Kafka credentials on
     * the command line, where Flink does not hide them as it hides a configuration key naming a
     * password.
     */
    public static Configuration fmstreamOptions(
            org.apache.flink.configuration.ReadableConfig environment) {
        Map<String, String> options = new HashMap<>();
        environment
                .toMap()
                .forEach(
                        (k, v) -> {
                            if (k.startsWith("fmstream.")) {
                                options.put(k, v);
                            }
                        });
        FmstreamOptions.checkValues(options);
        return Configuration.fromMap(options);
    }

    public static void main(String[] args) throws Exception {
        Configuration arguments = parseArgs(args);
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(arguments);
        Configuration configuration = fmstreamOptions(env.getConfiguration());
        JobSettings settings = JobSettings.from(configuration);
        BundleManifest manifest = readManifest(settings.bundleUri);
        // Every model file against its hash before anything is submitted (a bad file was found
        // by each operator as it opened, and the job restarted into it).
        io.fmstream.core.model.ModelBundle.verifyFiles(
                new FlinkBundleFiles(settings.bundleUri), manifest);
        configure(env, settings);
        BoundedEnd end = wireKafka(env, settings, manifest);
        JobExecutionResult result =
                env.execute("fmstream " + manifest.bundleId() + " " + manifest.version());
        if (end != null) {
            commitBoundedEnd(settings, end, result);
        }
    }
}
