package io.fmstream.tools.audit;

import io.fmstream.schemas.DeadLetter;
import io.fmstream.schemas.GroundTruth;
import io.fmstream.schemas.WindowEmbedding;
import io.fmstream.schemas.codec.DecodeException;
import io.fmstream.schemas.codec.RecordCodec;
import io.fmstream.tools.KafkaPublisher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * An independent consumer of a running pipeline (for example {@code bin/fmstream demo}): reads the
 * embeddings, dead letters and the simulator's ground truth ({@code read_committed}) for a while
 * and audits the job against the truth with {@link WindowAudit}.
 */
@Command(
        name = "audit",
        mixinStandardHelpOptions = true,
        description =
                "Read a running pipeline's embeddings, dead letters and the simulator's ground"
                    + " truth and report latency of windows clear of gaps vs windows touching one,"
                    + " how many clear windows were emitted, duplicate keys and dead letters. Exits"
                    + " 3 when an idempotency key (device, window, encoder) was seen twice.")
public final class AuditCommand implements Callable<Integer> {

    /** The exit status when an embedding's idempotency key was seen more than once. */
    static final int DUPLICATES_EXIT = 3;

    @Option(
            names = "--bootstrap-servers",
            required = true,
            description = "Kafka bootstrap servers.")
    String bootstrapServers;

    @picocli.CommandLine.Mixin
    io.fmstream.tools.KafkaClientOptions kafka = new io.fmstream.tools.KafkaClientOptions();

    @Option(
            names = "--duration",
            defaultValue = "PT10M",
            description = "How long to read (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(
            names = "--embeddings-topic",
            defaultValue = "fmstream.embeddings.v1",
            description = "(default: ${DEFAULT-VALUE})")
    String embeddingsTopic;

    @Option(
            names = "--dead-letter-topic",
            defaultValue = "fmstream.dead-letters.v1",
            description = "(default: ${DEFAULT-VALUE})")
    String deadLetterTopic;

    @Option(
            names = "--ground-truth-topic",
            defaultValue = "fmstream.ground-truth.v1",
            description = "(default: ${DEFAULT-VALUE})")
    String truthTopic;

    @Option(
            names = "--window-seconds",
            defaultValue = "10",
            description = "Window length (default: ${DEFAULT-VALUE}).")
    double windowSeconds;

    @Option(
            names = "--hop-seconds",
            defaultValue = "5",
            description = "Window hop (default: ${DEFAULT-VALUE}).")
    double hopSeconds;

    @Option(
            names = "--window-phase",
            defaultValue = "DEVICE",
            description =
                    "The job's fmstream.window.phase: DEVICE or EPOCH (default: ${DEFAULT-VALUE},"
                        + " the job's). A job restored from a savepoint written before devices"
                        + " recorded their grid keeps each device on the epoch grid until its next"
                        + " segment; audit such a span with EPOCH.")
    io.fmstream.core.window.WindowPhase windowPhase;

    @Option(
            names = "--model-rate-hz",
            defaultValue = "100",
            description =
                    "The bundle's input rate, which sets a device's phase in whole samples"
                            + " (default: ${DEFAULT-VALUE}, the shipped bundles').")
    double modelRateHz;

    @Option(
            names = "--settle-seconds",
            defaultValue = "90",
            description =
                    "Clear windows ending later than this before a device's newest truth are not"
                            + " expected yet: the allowed lateness plus a margin (default:"
                            + " ${DEFAULT-VALUE}).")
    double settleSeconds;

    /** The job's window geometry, for each device's phase. */
    private io.fmstream.core.window.WindowSpec phases() {
        return io.fmstream.core.window.WindowSpec.of(
                modelRateHz,
                windowSeconds,
                Duration.ofNanos(Math.round(hopSeconds * 1e9)),
                io.fmstream.core.window.WindowSpec.DEFAULT_ALLOWED_LATENESS,
                io.fmstream.core.window.WindowSpec.DEFAULT_MAX_MISSING_FRACTION,
                windowPhase);
    }

    @Override
    public Integer call() throws DecodeException {
        // Without it, a wrong address polled for the whole duration and printed a report of
        // zeros with exit 0.
        KafkaPublisher.requireReachable(bootstrapServers, kafka.properties());
        Properties p =
                io.fmstream.kafka.KafkaClientProperties.into(new Properties(), kafka.properties());
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        RecordCodec<WindowEmbedding> embeddings = RecordCodec.forType(WindowEmbedding.class);
        RecordCodec<GroundTruth> truths = RecordCodec.forType(GroundTruth.class);
        RecordCodec<DeadLetter> deadLetters = RecordCodec.forType(DeadLetter.class);
        WindowAudit audit =
                new WindowAudit(
                        Math.round(windowSeconds * 1e6),
                        Math.round(hopSeconds * 1e6),
                        Math.round(settleSeconds * 1e6),
                        phases()::phaseMicros);
        Map<String, Long> deadLettersByReason = new TreeMap<>();
        long end = System.currentTimeMillis() + duration.toMillis();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            // Every partition from the beginning, without a consumer group: an audit commits
            // nothing, and a principal that may read the topics needs no group ACL for it.
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : List.of(embeddingsTopic, deadLetterTopic, truthTopic)) {
                List<PartitionInfo> found = consumer.partitionsFor(topic, Duration.ofSeconds(10));
                if (found == null || found.isEmpty()) {
                    throw new IllegalArgumentException(
                            "Topic " + topic + " does not exist on " + bootstrapServers);
                }
                for (PartitionInfo info : found) {
                    partitions.add(new TopicPartition(topic, info.partition()));
                }
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (System.currentTimeMillis() < end) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.topic().equals(embeddingsTopic)) {
                        WindowEmbedding e = embeddings.decode(r.value());
                        audit.window(
                                e.getDeviceId(),
                                e.getWindowStartMicros(),
                                e.getEncoderId().getSha256(),
                                e.getEmitTimeMillis() - e.getNewestChunkAppendTimeMillis());
                    } else if (r.topic().equals(truthTopic)) {
                        GroundTruth t = truths.decode(r.value());
                        audit.truth(
                                t.getDeviceId(),
                                t.getSpanStartMicros(),
                                t.getSpanEndMicros(),
                                t.getDroppedFraction());
                    } else {
                        deadLettersByReason.merge(
                                deadLetters.decode(r.value()).getReason().name(), 1L, Long::sum);
                    }
                }
            }
        }
        WindowAudit.Report r = audit.report();
        System.out.printf(
                "audit: windows clear of gaps: %d, written latency p50/p99/max %d/%d/%d ms%n",
                r.clear().windows(), r.clear().p50(), r.clear().p99(), r.clear().max());
        System.out.printf(
                "audit: windows touching a gap: %d, written latency p50/p99/max %d/%d/%d ms%n",
                r.touching().windows(), r.touching().p50(), r.touching().p99(), r.touching().max());
        System.out.printf(
                "audit: clear windows the truth says exist (settled): %d, emitted %d (%.1f %%)%n",
                r.expectedClear(), r.emittedClear(), 100 * r.clearEmittedFraction());
        System.out.printf(
                "audit: idempotency keys seen more than once: %d; dead letters: %s%n",
                r.duplicateKeys(), deadLettersByReason.isEmpty() ? "none" : deadLettersByReason);
        if (r.duplicateKeys() > 0) {
            // Exactly-once output was broken: fail, so the audit can gate a roll-out or a test.
            System.err.printf(
                    "audit: %d idempotency keys (device, window, encoder) seen more than once%n",
                    r.duplicateKeys());
            return DUPLICATES_EXIT;
        }
        return 0;
    }
}
