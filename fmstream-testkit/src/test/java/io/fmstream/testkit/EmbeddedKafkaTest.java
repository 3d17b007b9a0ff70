package io.fmstream.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Checks that the embedded broker delivers exactly what was produced, and hides aborted
 * transactions.
 */
class EmbeddedKafkaTest {

    private static EmbeddedKafka kafka;

    @BeforeAll
    static void startBroker() {
        kafka = EmbeddedKafka.start();
        System.out.println(
                "Embedded Kafka start-up: "
                        + kafka.startupDuration().toMillis()
                        + " ms at "
                        + kafka.bootstrapServers());
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void drainReturnsExactlyWhatWasProducedWithKeys() {
        String topic = EmbeddedKafka.uniqueTopic("plain");
        kafka.createTopics(3, topic);

        List<ProducerRecord<byte[], byte[]>> batch = new ArrayList<>();
        Map<String, String> expected = new HashMap<>();
        for (int i = 0; i < 100; i++) {
            String key = "device-" + (i % 7) + "-" + i;
            String value = "value-" + i;
            expected.put(key, value);
            if (i < 10) {
                kafka.produce(topic, utf8(key), utf8(value)); // single-record path
            } else {
                batch.add(new ProducerRecord<>(topic, utf8(key), utf8(value)));
            }
        }
        assertThat(kafka.produceAll(batch)).hasSize(90);

        List<ConsumerRecord<byte[], byte[]>> records =
                kafka.drain(topic, 100, Duration.ofSeconds(30));

        assertThat(records).hasSize(100);
        Map<String, String> actual = new HashMap<>();
        Set<Integer> partitions = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            actual.put(str(r.key()), str(r.value()));
            partitions.add(r.partition());
        }
        assertThat(actual).isEqualTo(expected);
        assertThat(partitions).as("keys spread over the 3 partitions").hasSize(3);
    }

    @Test
    void explicitPartitionAndTimestampAreKept() {
        String topic = EmbeddedKafka.uniqueTopic("explicit");
        kafka.createTopics(2, topic);
        kafka.produce(topic, 1, 1_700_000_000_000L, utf8("k"), utf8("v"));

        List<ConsumerRecord<byte[], byte[]>> records =
                kafka.drainUntilQuiet(topic, Duration.ofSeconds(1), Duration.ofSeconds(10));

        assertThat(records).hasSize(1);
        assertThat(records.get(0).partition()).isEqualTo(1);
        assertThat(records.get(0).timestamp()).isEqualTo(1_700_000_000_000L);
    }

    @Test
    void abortedTransactionIsInvisibleAndCommittedOneIsVisible() {
        String topic = EmbeddedKafka.uniqueTopic("txn");
        kafka.createTopics(3, topic);

        try (KafkaProducer<byte[], byte[]> producer = transactionalProducer("txn-test", 60_000)) {
            producer.initTransactions();

            producer.beginTransaction();
            for (int i = 0; i < 5; i++) {
                producer.send(new ProducerRecord<>(topic, utf8("aborted-" + i), utf8("x")));
            }
            producer.flush();
            producer.abortTransaction();

            producer.beginTransaction();
            for (int i = 0; i < 3; i++) {
                producer.send(new ProducerRecord<>(topic, utf8("committed-" + i), utf8("y")));
            }
            producer.commitTransaction();
        }

        List<ConsumerRecord<byte[], byte[]>> records =
                kafka.drain(topic, 3, Duration.ofSeconds(30));

        assertThat(records)
                .extracting(r -> str(r.key()))
                .containsExactlyInAnyOrder("committed-0", "committed-1", "committed-2");
        // The aborted records are in the log: only read_committed hides them.
        assertThat(readUncommittedCount(topic)).isEqualTo(8);
    }

    private static int readUncommittedCount(String topic) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (int p = 0; p < 3; p++) {
                partitions.add(new TopicPartition(topic, p));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            int count = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (count < 8 && System.nanoTime() < deadline) {
                count += consumer.poll(Duration.ofMillis(200)).count();
            }
            return count;
        }
    }

    @Test
    void transactionTimeoutsUsedByThePipelineAreAccepted() {
        for (int timeoutMs : new int[] {60_000, 600_000}) {
            try (KafkaProducer<byte[], byte[]> producer =
                    transactionalProducer("timeout-" + timeoutMs, timeoutMs)) {
                producer.initTransactions();
            }
        }
        // Flink's KafkaSink default (1 h) must be rejected, as by a production broker.
        try (KafkaProducer<byte[], byte[]> producer =
                transactionalProducer("timeout-1h", 3_600_000)) {
            assertThatThrownBy(producer::initTransactions).isInstanceOf(KafkaException.class);
        }
    }

    @Test
    void uniqueTopicNamesDiffer() {
        assertThat(EmbeddedKafka.uniqueTopic("t"))
                .isNotEqualTo(EmbeddedKafka.uniqueTopic("t"))
                .startsWith("t-");
    }

    @Test
    void closeDeletesTheDataDirectory() throws Exception {
        Path tmp = Paths.get(System.getProperty("java.io.tmpdir"));
        Set<Path> before = kafkaDirs(tmp);
        EmbeddedKafka second = EmbeddedKafka.start();
        Set<Path> during = kafkaDirs(tmp);
        during.removeAll(before);
        assertThat(during).as("new data directory").hasSize(1);
        second.close();
        assertThat(during.iterator().next()).doesNotExist();
        assertThatThrownBy(second::bootstrapServers).isInstanceOf(IllegalStateException.class);
    }

    private static Set<Path> kafkaDirs(Path tmp) throws Exception {
        Set<Path> result = new HashSet<>();
        try (var stream = Files.list(tmp)) {
            stream.filter(p -> p.getFileName().toString().startsWith("fmstream-kafka-"))
                    .forEach(result::add);
        }
        return result;
    }

    private static KafkaProducer<byte[], byte[]> transactionalProducer(String id, int timeoutMs) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, id + "-" + System.nanoTime());
        props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, timeoutMs);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return new KafkaProducer<>(props);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String str(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
