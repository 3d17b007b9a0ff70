package io.fmstream.tools;

import io.fmstream.schemas.GroundTruth;
import io.fmstream.schemas.SensorChunk;
import io.fmstream.schemas.codec.RecordCodec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Publishes sensor chunks and ground truth keyed by device id with an idempotent, acks=all
 * producer. A failed send is never ignored: the first error is kept and rethrown by the next call
 * (and by close), so a simulator or replay run cannot silently lose records. The variants taking a
 * {@link Completion} hand each outcome to the caller instead, so one producer can serve many
 * recordings that fail one by one.
 */
public final class KafkaPublisher implements AutoCloseable {

    private final String chunkTopic;
    private final String truthTopic;
    private final KafkaProducer<byte[], byte[]> producer;
    private final RecordCodec<SensorChunk> chunks = RecordCodec.forType(SensorChunk.class);
    private final RecordCodec<GroundTruth> truths = RecordCodec.forType(GroundTruth.class);
    private final AtomicReference<Exception> firstError = new AtomicReference<>();
    private final AtomicLong chunksAcknowledged = new AtomicLong();
    private final AtomicLong truthAcknowledged = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();

    /**
     * @param truthTopic null to publish no ground truth
     */
    public KafkaPublisher(String bootstrapServers, String chunkTopic, String truthTopic) {
        this(bootstrapServers, chunkTopic, truthTopic, java.util.Map.of());
    }

    /** As above with pass-through client properties (applied first; the settings below win). */
    public KafkaPublisher(
            String bootstrapServers,
            String chunkTopic,
            String truthTopic,
            java.util.Map<String, String> clientProperties) {
        this.chunkTopic = chunkTopic;
        this.truthTopic = truthTopic;
        this.producer =
                new KafkaProducer<>(
                        producerProperties(bootstrapServers, clientProperties),
                        new ByteArraySerializer(),
                        new ByteArraySerializer());
    }

    /**
     * The producer's properties: acks=all and idempotence always (a user value for either is
     * refused by {@link KafkaClientOptions}); linger, delivery and blocking timeouts are defaults
     * that a user's value overrides (a flaky link may want a longer delivery timeout).
     */
    static Properties producerProperties(
            String bootstrapServers, java.util.Map<String, String> clientProperties) {
        Properties p =
                io.fmstream.kafka.KafkaClientProperties.into(new Properties(), clientProperties);
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "60000");
        p.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, "15000");
        return p;
    }

    /** Fails fast, with the address in the message, when no broker answers. */
    public static void requireReachable(String bootstrapServers) {
        requireReachable(bootstrapServers, java.util.Map.of());
    }

    /** As above with pass-through client properties (e.g. security settings). */
    public static void requireReachable(
            String bootstrapServers, java.util.Map<String, String> clientProperties) {
        refuseIfNoServerListens(bootstrapServers);
        Properties p =
                io.fmstream.kafka.KafkaClientProperties.forAdmin(
                        bootstrapServers, clientProperties, java.time.Duration.ofSeconds(10));
        p.putIfAbsent(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        try (Admin admin = Admin.create(p)) {
            admin.describeCluster().clusterId().get(10, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(
                    "Cannot reach Kafka at " + bootstrapServers + " within 10 s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(
                    "Interrupted while contacting Kafka at " + bootstrapServers, e);
        }
    }

    /**
     * Fails at once when no bootstrap server accepts a TCP connection (a wrong port, a broker not
     * started), where the admin client would retry for its whole timeout first. Where one accepts,
     * or an address cannot be parsed, the admin client's check decides.
     */
    private static void refuseIfNoServerListens(String bootstrapServers) {
        List<String> refused = new ArrayList<>();
        for (String server : bootstrapServers.split(",")) {
            String s = server.strip();
            int colon = s.lastIndexOf(':');
            if (colon <= 0) {
                return;
            }
            int port;
            try {
                port = Integer.parseInt(s.substring(colon + 1));
            } catch (NumberFormatException e) {
                return;
            }
            String host = s.substring(0, colon).replace("[", "").replace("]", "");
            try (java.net.Socket socket = new java.net.Socket()) {
                socket.connect(new java.net.InetSocketAddress(host, port), 2_000);
                return;
            } catch (java.io.IOException | IllegalArgumentException e) {
                refused.add(s + ": " + e.getMessage());
            }
        }
        throw new IllegalStateException(
                "Cannot reach Kafka at "
                        + bootstrapServers
                        + ": no bootstrap server accepts a connection ("
                        + String.join("; ", refused)
                        + ")");
    }

    public void publishChunks(Collection<SensorChunk> batch) {
        for (SensorChunk c : batch) {
            send(chunkTopic, c.getDeviceId(), chunks.encode(c), chunksAcknowledged);
        }
    }

    public void publishChunk(SensorChunk c) {
        send(chunkTopic, c.getDeviceId(), chunks.encode(c), chunksAcknowledged);
    }

    public void publishTruth(Collection<GroundTruth> batch) {
        if (truthTopic == null) {
            return;
        }
        for (GroundTruth t : batch) {
            send(truthTopic, t.getDeviceId(), truths.encode(t), truthAcknowledged);
        }
    }

    /** Sends already-encoded bytes (the load generator's templates). */
    public void publishEncoded(String deviceId, byte[] value) {
        send(chunkTopic, deviceId, value, chunksAcknowledged);
    }

    /**
     * Outcome of one send, called once on the producer's I/O thread (keep it short, never block in
     * it).
     */
    @FunctionalInterface
    public interface Completion {
        /**
         * @param error null when the broker acknowledged the record
         */
        void completed(Exception error);
    }

    /**
     * Sends a chunk and hands its outcome to {@code done} instead of keeping it as the publisher's
     * error: when many recordings share this publisher, a failed send fails its own recording and
     * the others go on. The caller must check every outcome. An exception the producer throws
     * instead of reporting (e.g. no metadata within max.block.ms) is reported to {@code done} too.
     */
    public void publishChunk(SensorChunk c, Completion done) {
        sendTracked(chunkTopic, c.getDeviceId(), chunks.encode(c), chunksAcknowledged, done);
    }

    /** Sends one ground-truth span; its outcome goes to {@code done}, as for a chunk. */
    public void publishTruth(GroundTruth t, Completion done) {
        if (truthTopic == null) {
            done.completed(null);
            return;
        }
        sendTracked(truthTopic, t.getDeviceId(), truths.encode(t), truthAcknowledged, done);
    }

    private void sendTracked(
            String topic, String key, byte[] value, AtomicLong acknowledged, Completion done) {
        try {
            producer.send(
                    new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value),
                    (metadata, exception) -> {
                        if (exception != null) {
                            failed.incrementAndGet();
                        } else {
                            acknowledged.incrementAndGet();
                        }
                        done.completed(exception);
                    });
        } catch (RuntimeException e) {
            failed.incrementAndGet();
            done.completed(e);
        }
    }

    private void send(String topic, String key, byte[] value, AtomicLong acknowledged) {
        Exception error = firstError.get();
        if (error != null) {
            throw new IllegalStateException(
                    "Sending to " + topic + " failed: " + error.getMessage(), error);
        }
        producer.send(
                new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value),
                (metadata, exception) -> {
                    if (exception != null) {
                        failed.incrementAndGet();
                        firstError.compareAndSet(null, exception);
                    } else {
                        acknowledged.incrementAndGet();
                    }
                });
    }

    /** Sensor chunks acknowledged by the broker. */
    public long acknowledged() {
        return chunksAcknowledged.get();
    }

    /** Ground-truth records acknowledged by the broker. */
    public long truthAcknowledged() {
        return truthAcknowledged.get();
    }

    /** Records whose send failed. */
    public long failed() {
        return failed.get();
    }

    public void flush() {
        producer.flush();
    }

    @Override
    public void close() {
        try {
            producer.flush();
        } finally {
            // Also when the flush was interrupted (a stopped simulator): the producer's network
            // thread must not outlive it.
            producer.close();
        }
        Exception error = firstError.get();
        if (error != null) {
            throw new IllegalStateException("Sending failed: " + error.getMessage(), error);
        }
    }
}
