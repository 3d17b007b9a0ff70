package io.fmstream.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Credentials kept in a file on each TaskManager through Kafka's own config providers: the job's
 * configuration (program arguments, Flink's configuration, its web UI) holds only a reference,
 * which every client the job builds (source, sinks, the submission's admin client) resolves.
 */
class KafkaConfigProvidersTest {

    @TempDir Path dir;

    @Test
    void aSecretInAFileIsResolvedByEveryClientAndTheJobsConfigurationHoldsOnlyItsReference()
            throws Exception {
        Path secrets = dir.resolve("kafka-secrets.properties");
        Files.writeString(
                secrets,
                "jaas=org.apache.kafka.common.security.scram.ScramLoginModule required"
                        + " username=\"fmstream-job\" password=\"from-the-file\";\n");
        String reference = "${file:" + secrets + ":jaas}";
        JobSettings s =
                SinkProducerConfigTest.settings(
                        "--fmstream.kafka.properties.config.providers",
                        "file",
                        "--fmstream.kafka.properties.config.providers.file.class",
                        "org.apache.kafka.common.config.provider.FileConfigProvider",
                        "--fmstream.kafka.properties.security.protocol",
                        "SASL_SSL",
                        "--fmstream.kafka.properties.sasl.mechanism",
                        "SCRAM-SHA-512",
                        "--fmstream.kafka.properties.sasl.jaas.config",
                        reference);
        assertThat(s.kafkaProperties).containsEntry("sasl.jaas.config", reference);

        Properties producer = FmstreamJob.sinkProducerConfig(s.delivery, s.kafkaProperties);
        producer.put("bootstrap.servers", "kafka:9092");
        producer.put("key.serializer", ByteArraySerializer.class.getName());
        producer.put("value.serializer", ByteArraySerializer.class.getName());
        assertThat(new ProducerConfig(producer).getPassword("sasl.jaas.config").value())
                .contains("password=\"from-the-file\"");

        Properties consumer = FmstreamJob.sourceClientProperties(s);
        consumer.put("bootstrap.servers", "kafka:9092");
        consumer.put("key.deserializer", ByteArrayDeserializer.class.getName());
        consumer.put("value.deserializer", ByteArrayDeserializer.class.getName());
        assertThat(new ConsumerConfig(consumer).getPassword("sasl.jaas.config").value())
                .contains("password=\"from-the-file\"");

        Properties admin =
                io.fmstream.kafka.KafkaClientProperties.forAdmin("kafka:9092", s.kafkaProperties);
        assertThat(new AdminClientConfig(admin).getPassword("sasl.jaas.config").value())
                .contains("password=\"from-the-file\"");
    }
}
