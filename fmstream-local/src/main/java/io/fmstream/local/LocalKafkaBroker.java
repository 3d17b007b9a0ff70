package io.fmstream.local;

import io.fmstream.kafka.TopicReadiness;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real, in-process Kafka cluster for the demo and the tests: one combined KRaft broker+controller
 * started with Kafka's own test kit ({@link KafkaClusterTestKit}), plus the few client helpers
 * tests need to feed it and to read back what a pipeline wrote.
 *
 * <p>The helpers exist because the obvious ways of doing these things lose data silently (see
 * {@code shared/STACK-NOTES.md}, "Records lost right after topic creation"):
 *
 * <ul>
 *   <li>{@link #createTopics} returns only once every partition has a leader that answers {@code
 *       ListOffsets}, so the first produce cannot race partition creation;
 *   <li>{@link #produce} uses an idempotent {@code acks=all} producer and checks every send future,
 *       throwing on the first failure;
 *   <li>{@link #drain} reads {@code read_committed}, so aborted transactions (exactly-once
 *       duplicates) are invisible, as they are to a real downstream consumer.
 * </ul>
 *
 * <p>Broker settings make a single node behave: internal topics use replication factor and {@code
 * min.isr} 1, consumer groups rebalance without the 3 s initial delay, and transaction timeouts up
 * to {@value #TRANSACTION_MAX_TIMEOUT_MS} ms are accepted. Topics are <em>not</em> auto-created: an
 * auto-created topic skips the readiness wait above, so a test must call {@link #createTopics} (or
 * override {@code auto.create.topics.enable} through {@link #builder()}).
 *
 * <p>Use it with try-with-resources ({@code try (LocalKafkaBroker kafka =
 * LocalKafkaBroker.start())}). It depends on no test framework, so the command-line demo runs it
 * without JUnit on its class path; the JUnit 5 extension is {@code
 * io.fmstream.testkit.EmbeddedKafka}, a subclass. All methods are thread-safe.
 */
public class LocalKafkaBroker implements AutoCloseable {

    /**
     * Broker maximum for {@code transaction.timeout.ms}. Equal to Kafka's production default (15
     * min) on purpose: a producer left on a longer timeout (Flink's KafkaSink defaults to 1 h) must
     * fail here exactly as it would against a real broker, while the 60 s and 600 s timeouts the
     * pipeline uses are accepted.
     */
    public static final int TRANSACTION_MAX_TIMEOUT_MS = 900_000;

    private static final Logger LOG = LoggerFactory.getLogger(LocalKafkaBroker.class);
    private static final AtomicLong TOPIC_COUNTER = new AtomicLong();
    private static final Duration TOPIC_READY_TIMEOUT = TopicReadiness.DEFAULT_TIMEOUT;
    private static final Duration DRAIN_QUIET = Duration.ofSeconds(1);

    /** Upper bound on the extra polling after {@link #drain} saw its expected count. */
    private static final Duration DRAIN_QUIET_CAP = Duration.ofSeconds(10);

    private static final Duration POLL_SLICE = Duration.ofMillis(100);

    /** The producer's delivery.timeout.ms; send futures are awaited slightly longer than this. */
    private static final int DELIVERY_TIMEOUT_MS = 30_000;

    private final Map<String, String> brokerProperties;
    private final Object lock = new Object();

    private KafkaClusterTestKit cluster;
    private Path baseDirectory;
    private String bootstrapServers;
    private Duration startupDuration;
    private Admin admin;
    private KafkaProducer<byte[], byte[]> producer;
    private boolean closed;

    /** Broker settings (subclasses: see {@link #startIfStopped()}). */
    protected LocalKafkaBroker(Map<String, String> brokerProperties) {
        this.brokerProperties = Map.copyOf(brokerProperties);
    }

    /** Starts a broker with the default settings; the caller must {@link #close()} it. */
    public static LocalKafkaBroker start() {
        return builder().start();
    }

    /** Builder for a broker with extra or overridden broker properties. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A topic name that no other call in this JVM returns, so tests sharing a broker do not see
     * each other's records. The random part keeps names distinct across re-runs against a reused
     * broker too.
     */
    public static String uniqueTopic(String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        return prefix
                + "-"
                + TOPIC_COUNTER.incrementAndGet()
                + "-"
                + UUID.randomUUID().toString().substring(0, 8);
    }

    // ---------------------------------------------------------------------------------------------
    // Lifecycle
    // ---------------------------------------------------------------------------------------------

    /**
     * Starts the broker unless it is running; returns whether this call started it. For subclasses
     * that start lazily (the JUnit extension starts it in {@code beforeAll}).
     *
     * @throws IllegalStateException if it was closed or cannot start
     */
    protected final boolean startIfStopped() {
        synchronized (lock) {
            if (cluster != null) {
                return false;
            }
            doStart();
            return true;
        }
    }

    private void doStart() {
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the broker was closed; create a new one");
            }
            if (cluster != null) {
                return;
            }
            long t0 = System.nanoTime();
            KafkaClusterTestKit kit = null;
            Path dir = null;
            try {
                // Our own directory (not the kit's default) so close() can verify it is gone.
                dir = Files.createTempDirectory("fmstream-kafka-");
                TestKitNodes nodes =
                        new TestKitNodes.Builder()
                                .setCombined(true)
                                .setNumBrokerNodes(1)
                                .setNumControllerNodes(1)
                                .setBaseDirectory(dir)
                                .build();
                KafkaClusterTestKit.Builder builder =
                        new KafkaClusterTestKit.Builder(nodes).setDeleteOnClose(true);
                brokerProperties.forEach(builder::setConfigProp);
                kit = builder.build();
                kit.format();
                kit.startup();
                kit.waitForReadyBrokers();
                this.cluster = kit;
                this.baseDirectory = dir;
                this.bootstrapServers = kit.bootstrapServers();
                // Readiness as a client sees it: the broker answers metadata requests.
                admin().describeCluster()
                        .nodes()
                        .get(TOPIC_READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                this.startupDuration = Duration.ofNanos(System.nanoTime() - t0);
                LOG.info(
                        "Embedded Kafka ready at {} in {} ms (data in {})",
                        bootstrapServers,
                        startupDuration.toMillis(),
                        dir);
            } catch (Exception e) {
                RuntimeException failure =
                        new IllegalStateException("Cannot start embedded Kafka", e);
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                this.cluster = kit;
                this.baseDirectory = dir;
                try {
                    closeResources();
                } catch (RuntimeException cleanup) {
                    failure.addSuppressed(cleanup);
                }
                this.cluster = null;
                throw failure;
            }
        }
    }

    /**
     * Stops the broker and the helper clients and deletes the broker's data directory. Idempotent.
     *
     * @throws IllegalStateException if anything failed to close or the directory could not be
     *     deleted (after attempting every step)
     */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            closeResources();
        }
    }

    private void closeResources() {
        RuntimeException failure = null;
        failure =
                closeStep(
                        failure,
                        "producer",
                        () -> {
                            if (producer != null) {
                                producer.close(Duration.ofSeconds(10));
                            }
                        });
        failure =
                closeStep(
                        failure,
                        "admin",
                        () -> {
                            if (admin != null) {
                                admin.close(Duration.ofSeconds(10));
                            }
                        });
        failure =
                closeStep(
                        failure,
                        "cluster",
                        () -> {
                            if (cluster != null) {
                                cluster.close();
                            }
                        });
        failure =
                closeStep(
                        failure,
                        "data directory",
                        () -> {
                            if (baseDirectory != null) {
                                deleteRecursively(baseDirectory);
                            }
                        });
        producer = null;
        admin = null;
        cluster = null;
        if (failure != null) {
            throw failure;
        }
    }

    private interface Step {
        void run() throws Exception;
    }

    private static RuntimeException closeStep(RuntimeException failure, String what, Step step) {
        try {
            step.run();
            return failure;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            RuntimeException wrapped =
                    new IllegalStateException("Failed to close embedded Kafka " + what, e);
            if (failure == null) {
                return wrapped;
            }
            failure.addSuppressed(wrapped);
            return failure;
        }
    }

    private static void deleteRecursively(Path root) throws IOException {
        if (!Files.exists(root)) {
            return; // the kit's deleteOnClose already removed it
        }
        Files.walkFileTree(
                root,
                new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                            throws IOException {
                        Files.deleteIfExists(file);
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFileFailed(Path file, IOException exc)
                            throws IOException {
                        if (exc instanceof NoSuchFileException) {
                            return FileVisitResult.CONTINUE;
                        }
                        throw exc;
                    }

                    @Override
                    public FileVisitResult postVisitDirectory(Path dir, IOException exc)
                            throws IOException {
                        if (exc != null && !(exc instanceof NoSuchFileException)) {
                            throw exc;
                        }
                        Files.deleteIfExists(dir);
                        return FileVisitResult.CONTINUE;
                    }
                });
    }

    // ---------------------------------------------------------------------------------------------
    // Accessors
    // ---------------------------------------------------------------------------------------------

    /** {@code host:port} of the broker listener, for client {@code bootstrap.servers}. */
    public String bootstrapServers() {
        synchronized (lock) {
            requireRunning();
            return bootstrapServers;
        }
    }

    /** Wall time from the start call until the broker answered a client metadata request. */
    public Duration startupDuration() {
        synchronized (lock) {
            requireRunning();
            return startupDuration;
        }
    }

    /**
     * A shared Admin client, created on first use and closed by {@link #close()}. Do not close it.
     */
    public Admin admin() {
        synchronized (lock) {
            requireRunning();
            if (admin == null) {
                Properties props = new Properties();
                props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
                props.put(AdminClientConfig.CLIENT_ID_CONFIG, "embedded-kafka-admin");
                admin = Admin.create(props);
            }
            return admin;
        }
    }

    private void requireRunning() {
        if (cluster == null || closed) {
            throw new IllegalStateException(
                    closed ? "the broker is closed" : "the broker is not started");
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Topics
    // ---------------------------------------------------------------------------------------------

    /**
     * Creates the topics (replication factor 1) and waits until every partition has a leader that
     * answers {@code ListOffsets}: producing before that point was seen to lose records.
     *
     * @throws IllegalStateException if creation fails or the topics are not ready within 30 s
     */
    public void createTopics(int partitions, String... topics) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1, got " + partitions);
        }
        if (topics.length == 0) {
            throw new IllegalArgumentException("no topics given");
        }
        List<NewTopic> newTopics = new ArrayList<>();
        for (String topic : topics) {
            newTopics.add(
                    new NewTopic(Objects.requireNonNull(topic, "topic"), partitions, (short) 1));
        }
        try {
            admin().createTopics(newTopics)
                    .all()
                    .get(TOPIC_READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Cannot create topics " + List.of(topics), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted creating topics " + List.of(topics), e);
        }
        awaitTopicsReady(List.of(topics), partitions);
    }

    private void awaitTopicsReady(List<String> topics, int partitions) {
        try {
            TopicReadiness.await(admin(), topics, partitions, TOPIC_READY_TIMEOUT);
        } catch (TimeoutException e) {
            throw new IllegalStateException(
                    "Topics " + topics + " not ready: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted waiting for topics " + topics, e);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Producing
    // ---------------------------------------------------------------------------------------------

    /** Produces one record and waits for its acknowledgement. */
    public RecordMetadata produce(String topic, byte[] key, byte[] value) {
        return produce(topic, null, null, key, value);
    }

    /**
     * Produces one record and waits for its acknowledgement.
     *
     * @param partition target partition, or null to partition by key
     * @param timestamp record timestamp in epoch milliseconds, or null for the current time
     * @throws IllegalStateException if the broker does not acknowledge the record
     */
    public RecordMetadata produce(
            String topic, Integer partition, Long timestamp, byte[] key, byte[] value) {
        return produceAll(List.of(new ProducerRecord<>(topic, partition, timestamp, key, value)))
                .get(0);
    }

    /**
     * Sends all records (pipelined), then waits for every acknowledgement. Records of one partition
     * keep their order (idempotent producer).
     *
     * @return the metadata of each record, in the order given
     * @throws IllegalStateException naming the first record that was not acknowledged
     */
    public List<RecordMetadata> produceAll(Collection<ProducerRecord<byte[], byte[]>> records) {
        KafkaProducer<byte[], byte[]> p = producer();
        List<ProducerRecord<byte[], byte[]>> sent = new ArrayList<>(records);
        List<Future<RecordMetadata>> futures = new ArrayList<>(sent.size());
        for (ProducerRecord<byte[], byte[]> record : sent) {
            futures.add(p.send(record));
        }
        p.flush();
        List<RecordMetadata> result = new ArrayList<>(sent.size());
        for (int i = 0; i < futures.size(); i++) {
            try {
                result.add(
                        futures.get(i).get(DELIVERY_TIMEOUT_MS + 10_000L, TimeUnit.MILLISECONDS));
            } catch (ExecutionException | TimeoutException e) {
                throw new IllegalStateException(
                        "Record "
                                + i
                                + " of "
                                + sent.size()
                                + " to topic "
                                + sent.get(i).topic()
                                + " was not acknowledged",
                        e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(
                        "Interrupted waiting for record " + i + " of " + sent.size(), e);
            }
        }
        return result;
    }

    private KafkaProducer<byte[], byte[]> producer() {
        synchronized (lock) {
            requireRunning();
            if (producer == null) {
                Properties props = new Properties();
                props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
                props.put(ProducerConfig.CLIENT_ID_CONFIG, "embedded-kafka-producer");
                props.put(ProducerConfig.ACKS_CONFIG, "all");
                props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
                props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
                props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, DELIVERY_TIMEOUT_MS);
                props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
                // A missing topic should fail a test in seconds, not after the 60 s default.
                props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000);
                props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
                props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
                producer = new KafkaProducer<>(props);
            }
            return producer;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Consuming
    // ---------------------------------------------------------------------------------------------

    /**
     * Reads the topic from the beginning ({@code read_committed}, all partitions assigned, no
     * consumer group) until {@code expectedCount} records arrived, then keeps polling until 1 s
     * passes without a new record, so that unexpected extras are returned too. On timeout it
     * returns what it has instead of throwing, so the caller can report a precise difference.
     *
     * @return the records in arrival order (ordered within each partition)
     */
    public List<ConsumerRecord<byte[], byte[]>> drain(
            String topic, int expectedCount, Duration timeout) {
        try (KafkaConsumer<byte[], byte[]> consumer = assignedFromBeginning(topic)) {
            List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (records.size() < expectedCount && System.nanoTime() < deadline) {
                pollInto(consumer, records, remainingSlice(deadline));
            }
            if (records.size() < expectedCount) {
                LOG.warn(
                        "drain({}): {} of {} expected records after {}",
                        topic,
                        records.size(),
                        expectedCount,
                        timeout);
                return records;
            }
            pollUntilQuiet(consumer, records, DRAIN_QUIET, DRAIN_QUIET_CAP);
            return records;
        }
    }

    /**
     * Reads the topic from the beginning ({@code read_committed}) until no record has arrived for
     * {@code quiet}, or {@code max} has elapsed.
     */
    public List<ConsumerRecord<byte[], byte[]>> drainUntilQuiet(
            String topic, Duration quiet, Duration max) {
        try (KafkaConsumer<byte[], byte[]> consumer = assignedFromBeginning(topic)) {
            List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
            pollUntilQuiet(consumer, records, quiet, max);
            return records;
        }
    }

    private static void pollUntilQuiet(
            KafkaConsumer<byte[], byte[]> consumer,
            List<ConsumerRecord<byte[], byte[]>> records,
            Duration quiet,
            Duration max) {
        long end = System.nanoTime() + max.toNanos();
        long quietUntil = System.nanoTime() + quiet.toNanos();
        while (true) {
            long now = System.nanoTime();
            long stop = Math.min(end, quietUntil);
            if (now >= stop) {
                return;
            }
            if (pollInto(consumer, records, remainingSlice(stop)) > 0) {
                quietUntil = System.nanoTime() + quiet.toNanos();
            }
        }
    }

    private static int pollInto(
            KafkaConsumer<byte[], byte[]> consumer,
            List<ConsumerRecord<byte[], byte[]>> records,
            Duration slice) {
        ConsumerRecords<byte[], byte[]> batch = consumer.poll(slice);
        for (ConsumerRecord<byte[], byte[]> r : batch) {
            records.add(r);
        }
        return batch.count();
    }

    private static Duration remainingSlice(long deadlineNanos) {
        long left = deadlineNanos - System.nanoTime();
        return Duration.ofNanos(Math.max(1_000_000L, Math.min(left, POLL_SLICE.toNanos())));
    }

    private KafkaConsumer<byte[], byte[]> assignedFromBeginning(String topic) {
        List<TopicPartition> partitions = partitionsOf(topic);
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "embedded-kafka-drain-" + topic);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // No group: manual assignment of every partition avoids rebalances and leaves no offsets
        // behind.
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props);
        try {
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            // Resolve the start offsets now, so quiet periods are not eaten by the first lookup.
            for (TopicPartition tp : partitions) {
                consumer.position(tp, Duration.ofSeconds(15));
            }
            return consumer;
        } catch (RuntimeException e) {
            try {
                consumer.close();
            } catch (RuntimeException closeFailure) {
                e.addSuppressed(closeFailure);
            }
            throw e;
        }
    }

    private List<TopicPartition> partitionsOf(String topic) {
        try {
            TopicDescription d =
                    admin().describeTopics(List.of(topic))
                            .allTopicNames()
                            .get(15, TimeUnit.SECONDS)
                            .get(topic);
            List<TopicPartition> result = new ArrayList<>();
            for (TopicPartitionInfo p : d.partitions()) {
                result.add(new TopicPartition(topic, p.partition()));
            }
            return result;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                throw new IllegalArgumentException("Topic " + topic + " does not exist", e);
            }
            throw new IllegalStateException("Cannot describe topic " + topic, e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("Cannot describe topic " + topic, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted describing topic " + topic, e);
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted", e);
        }
    }

    /** Broker settings; {@link #start()} creates the instance. */
    public static class Builder {
        private final Map<String, String> props = new LinkedHashMap<>();

        protected Builder() {
            // Single node: internal topics cannot have more replicas than brokers.
            props.put("offsets.topic.replication.factor", "1");
            props.put("offsets.topic.num.partitions", "1");
            props.put("transaction.state.log.replication.factor", "1");
            props.put("transaction.state.log.min.isr", "1");
            props.put("transaction.state.log.num.partitions", "1");
            props.put("min.insync.replicas", "1");
            props.put("default.replication.factor", "1");
            // Tests start consumers one by one; the default 3 s wait only slows them down.
            props.put("group.initial.rebalance.delay.ms", "0");
            props.put("transaction.max.timeout.ms", Integer.toString(TRANSACTION_MAX_TIMEOUT_MS));
            // A transaction abandoned by a killed producer (60 s timeout in tests) is aborted about
            // 1 s after it expires instead of up to 10 s, so read_committed readers unblock
            // promptly.
            props.put("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000");
            props.put("auto.create.topics.enable", "false");
        }

        /** Sets or overrides one broker property (e.g. {@code auto.create.topics.enable}). */
        public Builder brokerProperty(String key, String value) {
            props.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** The broker properties so far, for subclasses' builders. */
        protected final Map<String, String> properties() {
            return Map.copyOf(props);
        }

        /** Starts the broker now; the caller must close it. */
        public LocalKafkaBroker start() {
            LocalKafkaBroker kafka = new LocalKafkaBroker(props);
            kafka.doStart();
            return kafka;
        }
    }

    @Override
    public String toString() {
        synchronized (lock) {
            return "LocalKafkaBroker["
                    + (cluster == null ? (closed ? "closed" : "not started") : bootstrapServers)
                    + "]";
        }
    }
}
