package io.fmstream.job;

import io.fmstream.core.ingest.ValidationRules;
import io.fmstream.core.model.BundleManifest;
import io.fmstream.core.window.StreamLimits;
import java.io.Serializable;
import java.time.Duration;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ReadableConfig;

/**
 * The job's settings, parsed once from a {@link Configuration} by {@link #from} and immutable
 * afterwards; operators receive the parts they need from here, never configuration keys.
 */
public final class JobSettings implements Serializable {
    private static final long serialVersionUID = 1L;

    public final String bootstrapServers;
    public final String sensorTopic;
    public final String embeddingsTopic;
    public final String predictionsTopic;
    public final String deadLetterTopic;
    public final boolean createTopics;
    public final boolean requireLogAppendTime;
    public final int topicPartitions;
    public final short topicReplication;
    public final String consumerGroup;

    /**
     * Pass-through Kafka client properties ({@code fmstream.kafka.properties.*}, prefix removed)
     * for the source, the sinks and the topic check.
     */
    public final java.util.TreeMap<String, String> kafkaProperties;

    public final String bundleUri;

    /**
     * {@code fmstream.window.hop} if set, else null: then the bundle's hop applies, see {@link
     * #windowHop}.
     */
    public final Duration windowHopOverride;

    public final io.fmstream.core.window.WindowPhase windowPhase;

    /**
     * The grid of devices restored from a savepoint written before each device's state recorded its
     * grid: {@code fmstream.window.phase} if the configuration sets it, else EPOCH, the default of
     * the builds that wrote such savepoints.
     */
    public final io.fmstream.core.window.WindowPhase unrecordedWindowPhase;

    public final Duration allowedLateness;
    public final double maxMissingFraction;
    public final Duration deviceIdleTimeout;
    public final ValidationRules validation;
    public final StreamLimits streamLimits;
    public final int batchSize;
    public final FmstreamOptions.BatchPolicy batchPolicy;
    public final Duration batchMaxDelay;
    public final FmstreamOptions.EncoderInput encoderInput;
    public final Duration networkBufferTimeout;
    public final int onnxThreads;
    public final FmstreamOptions.Delivery delivery;
    public final FmstreamOptions.DeadLetterPayload deadLetterPayload;
    public final int deadLetterMaxKeptBytes;
    public final String transactionalIdPrefix;
    public final Duration transactionTimeout;
    public final Duration checkpointInterval;

    /** The checkpoint timeout the job sets; null: Flink's (at-least-once, none configured). */
    public final Duration checkpointTimeout;

    /** Whether {@code fmstream.checkpoint-timeout} set it (else derived, or Flink's own). */
    public final boolean checkpointTimeoutSet;

    /** Consecutive failed checkpoints tolerated before a restart. */
    public final int tolerableFailedCheckpoints;

    public final Duration watermarkOutOfOrderness;
    public final Duration sourceIdleness;
    public final boolean sourceBounded;
    public final int maxParallelism;

    /** The window hop: {@code fmstream.window.hop} if set, else the bundle's {@code hopSeconds}. */
    public Duration windowHop(BundleManifest manifest) {
        return windowHopOverride != null ? windowHopOverride : manifest.hop();
    }

    private JobSettings(Configuration c) {
        bootstrapServers = required(c, FmstreamOptions.BOOTSTRAP_SERVERS);
        sensorTopic = c.get(FmstreamOptions.SENSOR_TOPIC);
        embeddingsTopic = c.get(FmstreamOptions.EMBEDDINGS_TOPIC);
        predictionsTopic = c.get(FmstreamOptions.PREDICTIONS_TOPIC);
        deadLetterTopic = c.get(FmstreamOptions.DEAD_LETTER_TOPIC);
        createTopics = c.get(FmstreamOptions.CREATE_TOPICS);
        requireLogAppendTime = c.get(FmstreamOptions.REQUIRE_LOG_APPEND_TIME);
        topicPartitions = positive(c, FmstreamOptions.TOPIC_PARTITIONS);
        topicReplication = (short) (int) positive(c, FmstreamOptions.TOPIC_REPLICATION);
        consumerGroup = c.get(FmstreamOptions.CONSUMER_GROUP);
        kafkaProperties =
                new java.util.TreeMap<>(io.fmstream.kafka.KafkaClientProperties.ofJob(c.toMap()));
        bundleUri = required(c, FmstreamOptions.BUNDLE);
        if (!bundleUri.startsWith("/") && !bundleUri.matches("[a-zA-Z][a-zA-Z0-9+.-]*:.*")) {
            // Read at submission on the client, where a relative path resolves, then by every
            // TaskManager against its own working directory: the job passed submission and
            // restarted for ever.
            throw new IllegalArgumentException(
                    FmstreamOptions.BUNDLE.key()
                            + " '"
                            + bundleUri
                            + "' is a relative path, which each TaskManager would resolve against"
                            + " its own working directory: give an absolute path or a URI"
                            + " (file:///..., s3://...) that every TaskManager can read");
        }
        windowHopOverride =
                c.getOptional(FmstreamOptions.WINDOW_HOP).isPresent()
                        ? positiveDuration(c, FmstreamOptions.WINDOW_HOP)
                        : null;
        windowPhase = c.get(FmstreamOptions.WINDOW_PHASE);
        unrecordedWindowPhase =
                c.contains(FmstreamOptions.WINDOW_PHASE)
                        ? windowPhase
                        : io.fmstream.core.window.WindowPhase.EPOCH;
        allowedLateness = c.get(FmstreamOptions.ALLOWED_LATENESS);
        maxMissingFraction = c.get(FmstreamOptions.MAX_MISSING_FRACTION);
        if (!(maxMissingFraction >= 0 && maxMissingFraction < 1)) {
            throw new IllegalArgumentException(
                    FmstreamOptions.MAX_MISSING_FRACTION.key()
                            + " must be in [0, 1), got "
                            + maxMissingFraction);
        }
        deviceIdleTimeout = positiveDuration(c, FmstreamOptions.DEVICE_IDLE_TIMEOUT);
        try {
            validation =
                    new ValidationRules(
                            c.get(FmstreamOptions.MIN_SAMPLE_RATE),
                            c.get(FmstreamOptions.MAX_SAMPLE_RATE),
                            positive(c, FmstreamOptions.MAX_SAMPLES_PER_CHUNK),
                            c.get(FmstreamOptions.MAX_SATURATED_FRACTION),
                            c.get(FmstreamOptions.MAX_FUTURE).toNanos() / 1000,
                            positive(c, FmstreamOptions.MAX_DEVICE_ID_LENGTH));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "fmstream.validation.* (min-sample-rate, max-sample-rate,"
                            + " max-saturated-fraction, max-future): "
                            + e.getMessage(),
                    e);
        }
        streamLimits =
                StreamLimits.of(
                        positiveDuration(c, FmstreamOptions.STREAM_MAX_GAP),
                        positive(c, FmstreamOptions.STREAM_MAX_PENDING_CHUNKS),
                        c.get(FmstreamOptions.STREAM_CLOCK_TOLERANCE));
        batchSize = positive(c, FmstreamOptions.BATCH_SIZE);
        if (batchSize > MAX_BATCH_SIZE) {
            // The batch's buffer is batch x window samples floats (twice with continuous
            // batching): a million overflowed an int, or took gigabytes, on the TaskManager after
            // submission succeeded.
            throw new IllegalArgumentException(
                    FmstreamOptions.BATCH_SIZE.key()
                            + " must be at most "
                            + MAX_BATCH_SIZE
                            + ", got "
                            + batchSize);
        }
        batchPolicy = c.get(FmstreamOptions.BATCH_POLICY);
        batchMaxDelay = positiveDuration(c, FmstreamOptions.BATCH_MAX_DELAY);
        encoderInput = c.get(FmstreamOptions.ENCODER_INPUT);
        networkBufferTimeout = positiveDuration(c, FmstreamOptions.NETWORK_BUFFER_TIMEOUT);
        onnxThreads = c.get(FmstreamOptions.ONNX_THREADS);
        if (onnxThreads < 0) {
            throw new IllegalArgumentException(
                    FmstreamOptions.ONNX_THREADS.key() + " must be >= 0, got " + onnxThreads);
        }
        delivery = c.get(FmstreamOptions.DELIVERY);
        deadLetterPayload = c.get(FmstreamOptions.DEAD_LETTER_PAYLOAD);
        deadLetterMaxKeptBytes = c.get(FmstreamOptions.DEAD_LETTER_MAX_KEPT_BYTES);
        if (deadLetterMaxKeptBytes < 0) {
            throw new IllegalArgumentException(
                    FmstreamOptions.DEAD_LETTER_MAX_KEPT_BYTES.key()
                            + " must be >= 0, got "
                            + deadLetterMaxKeptBytes);
        }
        requireDeadLettersFit(
                deadLetterMaxKeptBytes, validation.maxDeviceIdLength(), kafkaProperties);
        transactionalIdPrefix = c.get(FmstreamOptions.TRANSACTIONAL_ID_PREFIX);
        transactionTimeout = positiveDuration(c, FmstreamOptions.TRANSACTION_TIMEOUT);
        checkpointInterval = positiveDuration(c, FmstreamOptions.CHECKPOINT_INTERVAL);
        tolerableFailedCheckpoints = c.get(FmstreamOptions.TOLERABLE_FAILED_CHECKPOINTS);
        checkpointTimeout = checkpointTimeout(c);
        checkpointTimeoutSet = c.getOptional(FmstreamOptions.CHECKPOINT_TIMEOUT).isPresent();
        watermarkOutOfOrderness = c.get(FmstreamOptions.WATERMARK_OUT_OF_ORDERNESS);
        sourceIdleness = positiveDuration(c, FmstreamOptions.SOURCE_IDLENESS);
        sourceBounded = c.get(FmstreamOptions.SOURCE_BOUNDED);
        maxParallelism = positive(c, FmstreamOptions.MAX_PARALLELISM);
    }

    /** Largest {@code fmstream.batch.size}: far above what pays (the roof's best is 8-64). */
    static final int MAX_BATCH_SIZE = 4096;

    /** Kafka's producer default for {@code max.request.size}. */
    private static final int KAFKA_DEFAULT_MAX_REQUEST_SIZE = 1024 * 1024;

    /**
     * Room a dead letter needs beside what it keeps of the record: its reason, detail, topic and
     * offsets, the record batch's overhead (the device id, up to 4 bytes a character, is counted
     * apart, twice: key and field).
     */
    static final int DEAD_LETTER_OVERHEAD_BYTES = 16 * 1024;

    /**
     * Refuses a dead-letter bound that a dead letter could exceed the sink producer's {@code
     * max.request.size} with: one such dead letter fails the sink, and the job restarts into the
     * same record for ever.
     */
    static void requireDeadLettersFit(
            int maxKeptBytes,
            int maxDeviceIdLength,
            java.util.Map<String, String> kafkaProperties) {
        String set = kafkaProperties.get("max.request.size");
        long limit;
        try {
            limit = set == null ? KAFKA_DEFAULT_MAX_REQUEST_SIZE : Long.parseLong(set.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    io.fmstream.kafka.KafkaClientProperties.JOB_PREFIX
                            + "max.request.size must be a number of bytes, got '"
                            + set
                            + "'");
        }
        long needed = (long) maxKeptBytes + DEAD_LETTER_OVERHEAD_BYTES + 8L * maxDeviceIdLength;
        if (needed > limit) {
            throw new IllegalArgumentException(
                    FmstreamOptions.DEAD_LETTER_MAX_KEPT_BYTES.key()
                            + " ("
                            + maxKeptBytes
                            + ") with fmstream.validation.max-device-id-length ("
                            + maxDeviceIdLength
                            + ") makes dead letters of up to "
                            + needed
                            + " bytes, over the sink producer's max.request.size ("
                            + limit
                            + (set == null ? ", Kafka's default" : "")
                            + "): lower the first or raise "
                            + io.fmstream.kafka.KafkaClientProperties.JOB_PREFIX
                            + "max.request.size (and the dead-letter topic's max.message.bytes)");
        }
    }

    public static JobSettings from(Configuration configuration) {
        return new JobSettings(configuration);
    }

    private static String required(Configuration c, ConfigOption<String> option) {
        String value = c.get(option);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(
                    "Missing required setting "
                            + option.key()
                            + ": "
                            + new org.apache.flink.configuration.description.HtmlFormatter()
                                    .format(option.description()));
        }
        return value;
    }

    private static int positive(Configuration c, ConfigOption<Integer> option) {
        int value = c.get(option);
        if (value <= 0) {
            throw new IllegalArgumentException(option.key() + " must be > 0, got " + value);
        }
        return value;
    }

    private static Duration positiveDuration(Configuration c, ConfigOption<Duration> option) {
        Duration value = c.get(option);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(option.key() + " must be > 0, got " + value);
        }
        return value;
    }

    /**
     * The checkpoint timeout for {@code c}, refusing, with exactly-once delivery, settings under
     * which the broker could abort a transaction before its commit. A transaction is committed when
     * a later checkpoint completes; with failed checkpoints tolerated that may be the (tolerable +
     * 1)-th after it, and each of those may take up to the checkpoint timeout. So the transaction
     * timeout must cover (tolerable + 2) x the longer of the interval and the checkpoint timeout,
     * or the exactly-once sinks lose the aborted transactions (Flink's connector only logs that).
     * Unset, the checkpoint timeout is the transaction timeout / (tolerable + 2): Flink's own
     * default, 10 min, would let one hung checkpoint outlast the default transaction timeout.
     * Shared by the accuracy job.
     *
     * @return the checkpoint timeout to set; null for Flink's (at-least-once, none configured)
     */
    public static Duration checkpointTimeout(Configuration c) {
        FmstreamOptions.Delivery delivery = c.get(FmstreamOptions.DELIVERY);
        Duration transactionTimeout = positiveDuration(c, FmstreamOptions.TRANSACTION_TIMEOUT);
        Duration interval = positiveDuration(c, FmstreamOptions.CHECKPOINT_INTERVAL);
        int tolerable = c.get(FmstreamOptions.TOLERABLE_FAILED_CHECKPOINTS);
        if (tolerable < 0 || tolerable > 1000) {
            // The bound keeps (tolerable + 2) x interval from overflowing: MAX_VALUE ("never
            // fail") passed the transaction check with a negative product.
            throw new IllegalArgumentException(
                    FmstreamOptions.TOLERABLE_FAILED_CHECKPOINTS.key()
                            + " must be in [0, 1000], got "
                            + tolerable);
        }
        Duration explicit =
                c.getOptional(FmstreamOptions.CHECKPOINT_TIMEOUT)
                        .map(t -> positiveDuration(c, FmstreamOptions.CHECKPOINT_TIMEOUT))
                        .orElse(null);
        if (delivery != FmstreamOptions.Delivery.EXACTLY_ONCE) {
            return explicit;
        }
        int attempts = tolerable + 2;
        if (transactionTimeout.compareTo(interval.multipliedBy(attempts)) < 0) {
            throw new IllegalArgumentException(
                    FmstreamOptions.TRANSACTION_TIMEOUT.key()
                            + " ("
                            + transactionTimeout
                            + ") must be at least "
                            + attempts
                            + " x "
                            + FmstreamOptions.CHECKPOINT_INTERVAL.key()
                            + " ("
                            + interval
                            + ") with "
                            + FmstreamOptions.TOLERABLE_FAILED_CHECKPOINTS.key()
                            + " = "
                            + tolerable
                            + ", and should exceed that plus recovery time: a transaction is"
                            + " committed only when a later checkpoint completes, and the"
                            + " broker aborts it at the timeout");
        }
        if (explicit != null) {
            requireCheckpointTimeoutFits(
                    explicit,
                    FmstreamOptions.CHECKPOINT_TIMEOUT.key(),
                    transactionTimeout,
                    interval,
                    tolerable);
            return explicit;
        }
        return transactionTimeout.dividedBy(attempts);
    }

    /**
     * Sets the checkpoint timeout into {@code target} (the job's Flink configuration), unless the
     * cluster's own {@code execution.checkpointing.timeout} ({@code flink}) is set and the job's
     * option is not: then that one stands, checked against the same bound. Shared by both jobs.
     *
     * @param timeout the job's timeout ({@link #checkpointTimeout}); null: nothing to set
     * @param optionSet whether {@code fmstream.checkpoint-timeout} set it
     */
    public static void applyCheckpointTimeout(
            ReadableConfig flink,
            Configuration target,
            Duration timeout,
            boolean optionSet,
            Duration transactionTimeout,
            Duration interval,
            int tolerable) {
        if (timeout == null) {
            return;
        }
        var flinkTimeout = flink.getOptional(CheckpointingOptions.CHECKPOINTING_TIMEOUT);
        if (!optionSet && flinkTimeout.isPresent()) {
            // The cluster's own timeout (tuned for its storage) stands, within the bound: refused,
            // not silently replaced.
            requireCheckpointTimeoutFits(
                    flinkTimeout.get(),
                    CheckpointingOptions.CHECKPOINTING_TIMEOUT.key(),
                    transactionTimeout,
                    interval,
                    tolerable);
        } else {
            // Bounded by the transaction timeout: a hung checkpoint fails in time for a later one
            // to commit its transactions before the broker aborts them.
            target.set(CheckpointingOptions.CHECKPOINTING_TIMEOUT, timeout);
        }
    }

    /**
     * Refuses a checkpoint timeout ({@code source}: the option that set it) under which the
     * checkpoints a transaction may wait for could outlast the transaction timeout (see {@link
     * #checkpointTimeout}). Also applied to a timeout the Flink cluster's configuration sets.
     */
    public static void requireCheckpointTimeoutFits(
            Duration timeout,
            String source,
            Duration transactionTimeout,
            Duration interval,
            int tolerable) {
        int attempts = tolerable + 2;
        Duration derived = transactionTimeout.dividedBy(attempts);
        if (timeout.compareTo(derived) > 0 && timeout.compareTo(interval) > 0) {
            throw new IllegalArgumentException(
                    source
                            + " ("
                            + timeout
                            + ") x "
                            + attempts
                            + " (with "
                            + FmstreamOptions.TOLERABLE_FAILED_CHECKPOINTS.key()
                            + " = "
                            + tolerable
                            + ") exceeds "
                            + FmstreamOptions.TRANSACTION_TIMEOUT.key()
                            + " ("
                            + transactionTimeout
                            + "): a transaction waits for up to that many checkpoints, each as"
                            + " long as the timeout, and the broker would abort it first. Lower"
                            + " the checkpoint timeout to at most "
                            + derived
                            + " or raise the transaction timeout");
        }
    }
}
