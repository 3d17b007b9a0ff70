package io.fmstream.job;

import io.fmstream.core.ingest.ValidationRules;
import io.fmstream.core.window.StreamLimits;
import io.fmstream.core.window.WindowPhase;
import io.fmstream.core.window.WindowSpec;
import io.fmstream.kafka.Topics;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

/**
 * Every setting of the fmstream job, as typed Flink {@link ConfigOption}s with defaults and
 * descriptions. They are read once, in {@link JobSettings#from}, into an immutable object; no other
 * class looks up configuration keys. Set them as {@code --key value} program arguments or in the
 * Flink configuration (the arguments win; {@link FmstreamJob#fmstreamOptions}). The README's
 * configuration table is generated from this class.
 */
public final class FmstreamOptions {

    /** Delivery guarantee of the output topics. */
    public enum Delivery {
        /** Kafka transactions committed on checkpoints; consumers read with read_committed. */
        EXACTLY_ONCE,
        /**
         * Lower latency; on recovery records may repeat: consumers de-duplicate on the idempotency
         * key.
         */
        AT_LEAST_ONCE
    }

    /** How windows travel from the assembler to the encoder (see {@link #ENCODER_INPUT}). */
    /** When the encoder cuts a batch; see {@link #BATCH_POLICY}. */
    public enum BatchPolicy {
        /** When the batch is full or its oldest window has waited {@link #BATCH_MAX_DELAY}. */
        DEADLINE,
        /**
         * Whenever the encoder is free: a window that finds it idle is encoded at once, the windows
         * that come while it works form the next batch.
         */
        CONTINUOUS
    }

    public enum EncoderInput {
        /**
         * Dealt round-robin over every encoder subtask, whichever subtask assembled them: each
         * encoder gets the same share of the windows however the devices hash over the subtasks.
         */
        REBALANCE,
        /**
         * Encoded on the subtask that assembled them, in the assembler's thread (the 0.1 topology):
         * a device's outputs are written by one sink subtask, in the order they were assembled.
         */
        KEYED
    }

    public static final ConfigOption<String> BOOTSTRAP_SERVERS =
            ConfigOptions.key("fmstream.kafka.bootstrap-servers")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Kafka bootstrap servers (host:port,...). Required.");

    public static final ConfigOption<String> SENSOR_TOPIC =
            ConfigOptions.key("fmstream.topic.sensor-chunks")
                    .stringType()
                    .defaultValue(Topics.SENSOR_CHUNKS)
                    .withDescription("Input topic of SensorChunk records, keyed by device id.");

    public static final ConfigOption<String> EMBEDDINGS_TOPIC =
            ConfigOptions.key("fmstream.topic.embeddings")
                    .stringType()
                    .defaultValue(Topics.EMBEDDINGS)
                    .withDescription("Output topic of WindowEmbedding records.");

    public static final ConfigOption<String> PREDICTIONS_TOPIC =
            ConfigOptions.key("fmstream.topic.predictions")
                    .stringType()
                    .defaultValue(Topics.PREDICTIONS)
                    .withDescription(
                            "Output topic of Prediction records, all tasks, keyed by device id.");

    public static final ConfigOption<String> DEAD_LETTER_TOPIC =
            ConfigOptions.key("fmstream.topic.dead-letters")
                    .stringType()
                    .defaultValue(Topics.DEAD_LETTERS)
                    .withDescription("Output topic of DeadLetter records.");

    public static final ConfigOption<String> GROUND_TRUTH_TOPIC =
            ConfigOptions.key("fmstream.topic.ground-truth")
                    .stringType()
                    .defaultValue("fmstream.ground-truth.v1")
                    .withDescription(
                            "Accuracy job: the ground truth it scores predictions against"
                                    + " (GroundTruth records, from the simulator, replay or"
                                    + " clinicians).");

    public static final ConfigOption<String> ACCURACY_TOPIC =
            ConfigOptions.key("fmstream.topic.accuracy")
                    .stringType()
                    .defaultValue("fmstream.accuracy.v1")
                    .withDescription(
                            "Accuracy job: where it writes one AccuracyOutcome per scored"
                                    + " prediction.");

    public static final ConfigOption<Duration> ACCURACY_HORIZON =
            ConfigOptions.key("fmstream.accuracy.horizon")
                    .durationType()
                    .defaultValue(Duration.ofMinutes(10))
                    .withDescription(
                            "Accuracy job: how long a prediction waits for its truth (wall"
                                    + " clock) and how much truth a device keeps (device time);"
                                    + " bounds its state. A recording longer than this is not"
                                    + " scored at recording scope.");

    public static final ConfigOption<Boolean> CREATE_TOPICS =
            ConfigOptions.key("fmstream.topics.create")
                    .booleanType()
                    .defaultValue(false)
                    .withDescription(
                            "Create missing topics at start instead of refusing to start.");

    public static final ConfigOption<Boolean> REQUIRE_LOG_APPEND_TIME =
            ConfigOptions.key("fmstream.topics.require-log-append-time")
                    .booleanType()
                    .defaultValue(true)
                    .withDescription(
                            "Refuse to start on a sensor topic whose records carry the producers'"
                                    + " timestamps (message.timestamp.type=CreateTime): the job's"
                                    + " event time is the broker's append time, which no device"
                                    + " clock can push forward. false accepts one (a recorded"
                                    + " topic replayed with its own timestamps), where a clock"
                                    + " running ahead moves its partition's watermark.");

    public static final ConfigOption<Integer> TOPIC_PARTITIONS =
            ConfigOptions.key("fmstream.topics.partitions")
                    .intType()
                    .defaultValue(4)
                    .withDescription(
                            "Minimum partition count of every topic; also the count used when"
                                    + " creating them.");

    public static final ConfigOption<Integer> TOPIC_REPLICATION =
            ConfigOptions.key("fmstream.topics.replication-factor")
                    .intType()
                    .defaultValue(1)
                    .withDescription(
                            "Replication factor used when creating topics (use 3 in production).");

    public static final ConfigOption<String> CONSUMER_GROUP =
            ConfigOptions.key("fmstream.kafka.group-id")
                    .stringType()
                    .defaultValue("fmstream")
                    .withDescription(
                            "Consumer group of the sensor topic source (offsets live in Flink"
                                    + " checkpoints; the group only reports progress).");

    public static final ConfigOption<String> BUNDLE =
            ConfigOptions.key("fmstream.bundle")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Model bundle directory as a Flink FileSystem URI (file:///...,"
                                    + " s3://..., hdfs://...). Required.");

    public static final ConfigOption<Duration> WINDOW_HOP =
            ConfigOptions.key("fmstream.window.hop")
                    .durationType()
                    .noDefaultValue()
                    .withDescription(
                            "Distance between a device's window starts. Default: the bundle's"
                                + " hopSeconds (5 s for the shipped bundles), the hop its heads"
                                + " were fitted and evaluated with; the window length always comes"
                                + " from the bundle.");

    public static final ConfigOption<WindowPhase> WINDOW_PHASE =
            ConfigOptions.key("fmstream.window.phase")
                    .enumType(WindowPhase.class)
                    .defaultValue(WindowPhase.DEVICE)
                    .withDescription(
                            "Where each device's windows sit. DEVICE: each device's grid is shifted"
                                + " by a phase in [0, hop) taken from its id (CRC-32 of the UTF-8"
                                + " id modulo the hop's samples at the model rate), which spreads"
                                + " the fleet's windows evenly over the hop, so the encoder sees a"
                                + " steady stream instead of a burst. EPOCH: every device's windows"
                                + " start at multiples of the hop, so the fleet's windows close"
                                + " together and reach the encoder as one burst per hop (the 0.1"
                                + " default). Each device records its grid in its state: a change"
                                + " applies to a restored device from its next segment on, and a"
                                + " device restored from a savepoint that predates the record keeps"
                                + " the grid set here, or the epoch grid when this is not set. See"
                                + " the README, \"Window semantics\".");

    public static final ConfigOption<Duration> ALLOWED_LATENESS =
            ConfigOptions.key("fmstream.window.allowed-lateness")
                    .durationType()
                    .defaultValue(WindowSpec.DEFAULT_ALLOWED_LATENESS)
                    .withDescription(
                            "How long a chunk may still fill a gap before the gap is declared"
                                    + " missing: until the device's own later data is this far"
                                    + " past the gap's end, or the watermark (Kafka append time)"
                                    + " this far past the append time of the first chunk after"
                                    + " the gap.");

    public static final ConfigOption<Double> MAX_MISSING_FRACTION =
            ConfigOptions.key("fmstream.window.max-missing-fraction")
                    .doubleType()
                    .defaultValue(WindowSpec.DEFAULT_MAX_MISSING_FRACTION)
                    .withDescription(
                            "Windows missing more than this fraction of samples are dropped"
                                    + " (counted as INCOMPLETE).");

    public static final ConfigOption<Duration> DEVICE_IDLE_TIMEOUT =
            ConfigOptions.key("fmstream.device.idle-timeout")
                    .durationType()
                    .defaultValue(Duration.ofMinutes(30))
                    .withDescription(
                            "Processing time after a device's last chunk at which its partial"
                                    + " windows are closed and its state cleared. Longer than the"
                                    + " longest expected phone-offline period.");

    public static final ConfigOption<Duration> STREAM_MAX_GAP =
            ConfigOptions.key("fmstream.stream.max-gap")
                    .durationType()
                    .defaultValue(StreamLimits.DEFAULT_MAX_GAP)
                    .withDescription(
                            "A device silent for longer starts a new segment (counted with cause"
                                    + " LONG_GAP) instead of a gap filled sample by sample; bounds"
                                    + " the work any one chunk can cause.");

    public static final ConfigOption<Integer> STREAM_MAX_PENDING_CHUNKS =
            ConfigOptions.key("fmstream.stream.max-pending-chunks")
                    .intType()
                    .defaultValue(StreamLimits.DEFAULT_MAX_PENDING_CHUNKS)
                    .withDescription(
                            "Chunks one device may hold behind its gaps; one more declares the"
                                    + " oldest gap missing at once. Bounds the state per device.");

    public static final ConfigOption<Duration> STREAM_CLOCK_TOLERANCE =
            ConfigOptions.key("fmstream.stream.clock-tolerance")
                    .durationType()
                    .defaultValue(StreamLimits.DEFAULT_CLOCK_TOLERANCE)
                    .withDescription(
                            "A chunk whose timestamp is further from the time its index implies"
                                    + " starts a new segment (REBOOT when the index went back,"
                                    + " else CLOCK_JUMP).");

    public static final ConfigOption<Integer> MAX_DEVICE_ID_LENGTH =
            ConfigOptions.key("fmstream.validation.max-device-id-length")
                    .intType()
                    .defaultValue(ValidationRules.DEFAULT_MAX_DEVICE_ID_LENGTH)
                    .withDescription(
                            "Chunks with a longer deviceId (in characters) are rejected"
                                + " (UNDECODABLE): the id is the state key and the output key.");

    public static final ConfigOption<Double> MIN_SAMPLE_RATE =
            ConfigOptions.key("fmstream.validation.min-sample-rate")
                    .doubleType()
                    .defaultValue(ValidationRules.DEFAULT_MIN_SAMPLE_RATE_HZ)
                    .withDescription("Lowest accepted sample rate in Hz (BAD_SAMPLE_RATE below).");

    public static final ConfigOption<Double> MAX_SAMPLE_RATE =
            ConfigOptions.key("fmstream.validation.max-sample-rate")
                    .doubleType()
                    .defaultValue(ValidationRules.DEFAULT_MAX_SAMPLE_RATE_HZ)
                    .withDescription("Highest accepted sample rate in Hz (BAD_SAMPLE_RATE above).");

    public static final ConfigOption<Integer> MAX_SAMPLES_PER_CHUNK =
            ConfigOptions.key("fmstream.validation.max-samples-per-chunk")
                    .intType()
                    .defaultValue(ValidationRules.DEFAULT_MAX_SAMPLES_PER_CHUNK)
                    .withDescription("Largest accepted chunk in samples (OVERSIZED_CHUNK above).");

    public static final ConfigOption<Double> MAX_SATURATED_FRACTION =
            ConfigOptions.key("fmstream.validation.max-saturated-fraction")
                    .doubleType()
                    .defaultValue(ValidationRules.DEFAULT_MAX_SATURATED_FRACTION)
                    .withDescription(
                            "Chunks with more samples at the int16 limits are rejected"
                                    + " (SATURATED).");

    public static final ConfigOption<Duration> MAX_FUTURE =
            ConfigOptions.key("fmstream.validation.max-future")
                    .durationType()
                    .defaultValue(ValidationRules.DEFAULT_MAX_FUTURE)
                    .withDescription(
                            "Chunks whose last sample is later than their Kafka append time by more"
                                    + " are rejected (FUTURE).");

    public static final ConfigOption<Duration> NETWORK_BUFFER_TIMEOUT =
            ConfigOptions.key("fmstream.network.buffer-timeout")
                    .durationType()
                    .defaultValue(Duration.ofMillis(10))
                    .withDescription(
                            "Longest a record waits in a part-filled network buffer before it is"
                                    + " sent to the next task (Flink's"
                                    + " execution.buffer-timeout.interval, set by the job;"
                                    + " Flink's own default is 100 ms). Lower cuts latency when"
                                    + " the stream is thin and costs CPU; at 10 ms the written"
                                    + " p99 at half of capacity is 44 ms against 233 ms at 100 ms:"
                                    + " see the README, \"Real-time capacity\".");

    public static final ConfigOption<Integer> BATCH_SIZE =
            ConfigOptions.key("fmstream.batch.size")
                    .intType()
                    .defaultValue(64)
                    .withDescription(
                            "Windows per encoder call, across devices; a full batch is flushed at"
                                    + " once. Each head scores what one encoder call produced in"
                                    + " one call of its own, up to this many windows.");

    public static final ConfigOption<EncoderInput> ENCODER_INPUT =
            ConfigOptions.key("fmstream.encoder.input")
                    .enumType(EncoderInput.class)
                    .defaultValue(EncoderInput.REBALANCE)
                    .withDescription(
                            "How windows reach the encoder. REBALANCE: dealt round-robin over every"
                                + " encoder subtask, so each does the same share however the"
                                + " devices hash over the subtasks; a device's consecutive windows"
                                + " may then be written by different sink subtasks, out of order"
                                + " when the job works off a backlog. KEYED: encoded on the subtask"
                                + " that assembled them, in the assembler's thread; the subtask"
                                + " with the most devices sets the pace. See the README,"
                                + " \"Real-time capacity\".");

    public static final ConfigOption<BatchPolicy> BATCH_POLICY =
            ConfigOptions.key("fmstream.batch.policy")
                    .enumType(BatchPolicy.class)
                    .defaultValue(BatchPolicy.CONTINUOUS)
                    .withDescription(
                            "When the encoder cuts a batch. CONTINUOUS: whenever the encoder is"
                                + " free; it runs in a thread of its own, a window that finds it"
                                + " idle is encoded at once and the windows that come while it"
                                + " works form the next batch, so batches grow with the load and no"
                                + " window waits for company. DEADLINE: in the task thread, when"
                                + " the batch is full or its oldest window has waited"
                                + " fmstream.batch.max-delay (the 0.1 behaviour); it held the epoch"
                                + " grid's largest fleet more reliably, where the fleet's burst"
                                + " fills the batches either way. See the README, \"Real-time"
                                + " capacity\".");

    public static final ConfigOption<Duration> BATCH_MAX_DELAY =
            ConfigOptions.key("fmstream.batch.max-delay")
                    .durationType()
                    .defaultValue(Duration.ofMillis(50))
                    .withDescription(
                            "Longest a window waits for its batch to fill (processing time), with"
                                    + " fmstream.batch.policy=DEADLINE.");

    public static final ConfigOption<Integer> ONNX_THREADS =
            ConfigOptions.key("fmstream.onnx.intra-op-threads")
                    .intType()
                    .defaultValue(0)
                    .withDescription(
                            "Threads of the TaskManager-wide ONNX Runtime pool; 0 = CPU cores /"
                                    + " task slots.");

    public static final ConfigOption<Delivery> DELIVERY =
            ConfigOptions.key("fmstream.delivery")
                    .enumType(Delivery.class)
                    .defaultValue(Delivery.EXACTLY_ONCE)
                    .withDescription(
                            "EXACTLY_ONCE (transactions, read_committed consumers) or AT_LEAST_ONCE"
                                    + " (lower latency; consumers de-duplicate on (deviceId,"
                                    + " windowStartMicros, task, encoderId.sha256)).");

    /** What a dead letter carries of the rejected record's value. */
    public enum DeadLetterPayload {
        /** The original value, byte for byte (for debugging producers). */
        KEEP,
        /** Its SHA-256 (32 bytes): a bad record can be matched, its health data is not kept. */
        HASH,
        /** Nothing (payload null). */
        DROP
    }

    public static final ConfigOption<DeadLetterPayload> DEAD_LETTER_PAYLOAD =
            ConfigOptions.key("fmstream.dead-letters.payload")
                    .enumType(DeadLetterPayload.class)
                    .defaultValue(DeadLetterPayload.KEEP)
                    .withDescription(
                            "KEEP the rejected record's value in its dead letter, HASH it (SHA-256,"
                                    + " 32 bytes) or DROP it: the value is raw health data; the"
                                    + " detail says which was done.");

    public static final ConfigOption<Integer> DEAD_LETTER_MAX_KEPT_BYTES =
            ConfigOptions.key("fmstream.dead-letters.max-kept-bytes")
                    .intType()
                    .defaultValue(512 * 1024)
                    .withDescription(
                            "Most bytes of a rejected record a dead letter keeps as they are:"
                                    + " its key twice (record key and field) and its value. A key"
                                    + " whose two copies are over it, and a value that does not fit"
                                    + " beside the key kept, are kept as their SHA-256, and the"
                                    + " detail says so. A dead letter must fit the sink producer's"
                                    + " max.request.size (1 MiB unless set): a larger one failed"
                                    + " the sink, and the job restarted into it again and again.");

    public static final ConfigOption<String> TRANSACTIONAL_ID_PREFIX =
            ConfigOptions.key("fmstream.transactional-id-prefix")
                    .stringType()
                    .defaultValue("fmstream")
                    .withDescription(
                            "Prefix of the sinks' transactional ids. Must stay the same across"
                                    + " restarts and savepoints of one job and differ between jobs"
                                    + " writing to the same cluster.");

    public static final ConfigOption<Duration> TRANSACTION_TIMEOUT =
            ConfigOptions.key("fmstream.transaction-timeout")
                    .durationType()
                    .defaultValue(Duration.ofMinutes(10))
                    .withDescription(
                            "Producer transaction.timeout.ms. Must exceed the checkpoint interval"
                                    + " plus recovery time and stay below the broker's"
                                    + " transaction.max.timeout.ms (15 min by default); the job"
                                    + " refuses one under (tolerable failed checkpoints + 2) x"
                                    + " the longer of the checkpoint interval and timeout (with"
                                    + " exactly-once delivery).");

    public static final ConfigOption<Duration> CHECKPOINT_INTERVAL =
            ConfigOptions.key("fmstream.checkpoint-interval")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(10))
                    .withDescription(
                            "Checkpoint interval; exactly-once outputs become visible at each"
                                    + " checkpoint.");

    public static final ConfigOption<Duration> CHECKPOINT_TIMEOUT =
            ConfigOptions.key("fmstream.checkpoint-timeout")
                    .durationType()
                    .noDefaultValue()
                    .withDescription(
                            "How long a checkpoint may take before it counts as failed. With"
                                    + " exactly-once delivery it defaults to"
                                    + " fmstream.transaction-timeout / (tolerable failed"
                                    + " checkpoints + 2) (2 min with the defaults), and the job"
                                    + " refuses one longer than that: a transaction is committed"
                                    + " when a later checkpoint completes, so the checkpoints it"
                                    + " may wait for must end within the transaction timeout, or"
                                    + " the broker aborts it and its outputs are lost (Flink's own"
                                    + " default, 10 min, equals the default transaction timeout)."
                                    + " A cluster's own execution.checkpointing.timeout stands"
                                    + " when this is unset, within the same bound. With"
                                    + " at-least-once delivery, Flink's.");

    public static final ConfigOption<Integer> TOLERABLE_FAILED_CHECKPOINTS =
            ConfigOptions.key("fmstream.checkpoint-tolerable-failures")
                    .intType()
                    .defaultValue(3)
                    .withDescription(
                            "Consecutive failed checkpoints the job rides out before it restarts"
                                    + " from its last completed one (Flink's default is 0: one"
                                    + " slow or refused checkpoint restarts the job and redoes"
                                    + " its work). The exactly-once sinks' transactions of a"
                                    + " failed checkpoint are committed with the next completed"
                                    + " one, so outputs stay exactly once but become visible up"
                                    + " to this many intervals later; with exactly-once delivery"
                                    + " the transaction timeout must cover that (the job refuses"
                                    + " one under (this + 2) intervals). Set here: the job"
                                    + " overrides Flink's"
                                    + " execution.checkpointing.tolerable-failed-checkpoints.");

    public static final ConfigOption<Duration> WATERMARK_OUT_OF_ORDERNESS =
            ConfigOptions.key("fmstream.watermark.out-of-orderness")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(5))
                    .withDescription("Bound on out-of-order Kafka timestamps within a partition.");

    public static final ConfigOption<Duration> SOURCE_IDLENESS =
            ConfigOptions.key("fmstream.watermark.idleness")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(30))
                    .withDescription(
                            "A partition without records for this long stops holding back the"
                                    + " watermark.");

    public static final ConfigOption<Boolean> SOURCE_BOUNDED =
            ConfigOptions.key("fmstream.source.bounded")
                    .booleanType()
                    .defaultValue(false)
                    .withDescription(
                            "Stop at the sensor topic's end offsets as the job's main reads"
                                    + " them before submitting, then finish (backfills and"
                                    + " benchmarks); every window is flushed and the last"
                                    + " transactions committed. Submitted attached, main then moves"
                                    + " the consumer group to those ends, where the next run starts"
                                    + " (detached, it logs them). The Kafka consumer's own metrics"
                                    + " are not registered (the connector's second consumer at the"
                                    + " end would collide with them);"
                                    + " fmstream.kafka.properties.register.consumer.metrics=true"
                                    + " registers them.");

    public static final ConfigOption<Integer> MAX_PARALLELISM =
            ConfigOptions.key("fmstream.max-parallelism")
                    .intType()
                    .defaultValue(128)
                    .withDescription(
                            "pipeline.max-parallelism of the job: the number of key groups, fixed"
                                    + " for the job's life.");

    private FmstreamOptions() {}

    /**
     * Refuses the option values a user cannot have meant: an {@code fmstream.*} key that is not
     * declared here (a misspelt option was passed to Flink and ignored), and a duration without its
     * unit (Flink reads a bare number as milliseconds: {@code fmstream.device.idle-timeout 1800}
     * was 1.8 s, and every device's state was cleared between its chunks). The job's arguments and
     * every tool's {@code --job-option} go through here.
     */
    public static void checkValues(java.util.Map<String, String> values) {
        for (java.util.Map.Entry<String, String> e : values.entrySet()) {
            String key = e.getKey();
            if (!key.startsWith("fmstream.")
                    || key.startsWith(io.fmstream.kafka.KafkaClientProperties.JOB_PREFIX)) {
                continue;
            }
            ConfigOption<?> option =
                    all().stream()
                            .filter(o -> o.key().equals(key))
                            .findFirst()
                            .orElseThrow(
                                    () ->
                                            new IllegalArgumentException(
                                                    "Unknown option "
                                                            + key
                                                            + "; see README 'Configuration'"));
            if (isDuration(option) && e.getValue().strip().matches("[-+]?\\d+")) {
                throw new IllegalArgumentException(
                        key
                                + " '"
                                + e.getValue().strip()
                                + "' has no unit, and Flink would read it as milliseconds: write"
                                + " the unit (e.g. 30s, 10min, 250ms)");
            }
        }
    }

    /** Whether {@code option} holds a {@link java.time.Duration} (read back from a probe value). */
    private static boolean isDuration(ConfigOption<?> option) {
        try {
            return org.apache.flink.configuration.Configuration.fromMap(
                                    java.util.Map.of(option.key(), "1 s"))
                            .get(option)
                    instanceof java.time.Duration;
        } catch (RuntimeException notADuration) {
            return false;
        }
    }

    /** All options declared above, in declaration order (for docs and argument checks). */
    public static List<ConfigOption<?>> all() {
        List<ConfigOption<?>> options = new ArrayList<>();
        for (Field f : FmstreamOptions.class.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers())
                    && ConfigOption.class.isAssignableFrom(f.getType())) {
                try {
                    options.add((ConfigOption<?>) f.get(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return options;
    }
}
