package io.fmstream.tools;

import io.fmstream.schemas.SensorChunk;
import io.fmstream.schemas.codec.RecordCodec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Publishes sensor chunks keyed by device id with an idempotent, acks=all producer. A failed
 * send is never ignored: the first error is kept and rethrown by the next call, so a simulator
 * run cannot silently lose chunks.
 */
public final class ChunkPublisher implements AutoCloseable {

    private final String topic;
    private final KafkaProducer<byte[], byte[]> producer;
    private final RecordCodec<SensorChunk> codec = RecordCodec.forType(SensorChunk.class);
    private final AtomicReference<Exception> firstError = new AtomicReference<>();
    private final AtomicLong sent = new AtomicLong();

    public ChunkPublisher(String bootstrapServers, String topic) {
        this.topic = topic;
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000);
        this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    public void publish(List<SensorChunk> chunks) {
        Exception error = firstError.get();
        if (error != null) {
            throw new IllegalStateException("Sending to " + topic + " failed: " + error.getMessage(), error);
        }
        for (SensorChunk c : chunks) {
            producer.send(new ProducerRecord<>(topic, c.getDeviceId().getBytes(StandardCharsets.UTF_8), codec.encode(c)),
                    (metadata, exception) -> {
                        if (exception != null) {
                            firstError.compareAndSet(null, exception);
                        } else {
                            sent.incrementAndGet();
                        }
                    });
        }
    }

    /** Chunks acknowledged by the broker. */
    public long sent() {
        return sent.get();
    }

    @Override
    public void close() {
        producer.flush();
        producer.close();
        Exception error = firstError.get();
        if (error != null) {
            throw new IllegalStateException("Sending to " + topic + " failed: " + error.getMessage(), error);
        }
    }
}
