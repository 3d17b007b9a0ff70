package io.fmstream.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class KafkaClientOptionsTest {

    @TempDir Path dir;

    @Test
    void readsAPropertiesFileAndKeyValuePairsThePairsWinning() throws Exception {
        Path file = dir.resolve("client.properties");
        Files.writeString(
                file,
                "security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\n"
                        + "ssl.truststore.location=/etc/kafka/truststore.p12\n");
        SimulateCommand simulate = new SimulateCommand();
        new CommandLine(simulate)
                .parseArgs(
                        "--bootstrap-servers",
                        "kafka:9093",
                        "--kafka-properties-file",
                        file.toString(),
                        "--kafka-property",
                        "sasl.mechanism=SCRAM-SHA-256",
                        "--kafka-property",
                        "sasl.jaas.config=a=b;c=\"d\"");
        assertThat(simulate.producer.kafka.properties())
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-256")
                .containsEntry("ssl.truststore.location", "/etc/kafka/truststore.p12")
                .containsEntry("sasl.jaas.config", "a=b;c=\"d\"")
                .hasSize(4);
    }

    @Test
    void refusesWhatTheCommandSetsItselfAndMalformedPairs() {
        KafkaClientOptions o = new KafkaClientOptions();
        o.pairs = List.of("bootstrap.servers=elsewhere:9092");
        assertThatThrownBy(o::properties)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bootstrap.servers");
        o.pairs = List.of("security.protocol");
        assertThatThrownBy(o::properties).hasMessageContaining("key=value");
        // The guarantees the tools' results depend on are refused, not silently overridden.
        for (String reserved :
                List.of(
                        "acks=1",
                        "enable.idempotence=false",
                        "isolation.level=read_uncommitted",
                        "transactional.id=x",
                        "transaction.timeout.ms=60000",
                        "group.id=g")) {
            o.pairs = List.of(reserved);
            assertThatThrownBy(o::properties)
                    .hasMessageContaining(reserved.substring(0, reserved.indexOf('=')))
                    .hasMessageContaining("is set by fmstream itself");
        }
    }

    /** Tuning a user passes wins over the tools' defaults (it was silently overridden). */
    @Test
    void aUsersTuningWinsOverTheToolsDefaults() {
        var p =
                KafkaPublisher.producerProperties(
                        "localhost:9092",
                        java.util.Map.of("linger.ms", "100", "delivery.timeout.ms", "300000"));
        assertThat(p)
                .containsEntry("linger.ms", "100")
                .containsEntry("delivery.timeout.ms", "300000");
        assertThat(p).containsEntry("acks", "all").containsEntry("max.block.ms", "15000");
        assertThat(
                        io.fmstream.kafka.KafkaClientProperties.forAdmin(
                                "localhost:9092",
                                java.util.Map.of("default.api.timeout.ms", "120000"),
                                java.time.Duration.ofSeconds(10)))
                .containsEntry("default.api.timeout.ms", "120000");
        // A longer request timeout raises the API timeout with it (the admin client refuses an
        // API timeout under the request timeout).
        var admin =
                io.fmstream.kafka.KafkaClientProperties.forAdmin(
                        "localhost:9092",
                        java.util.Map.of("request.timeout.ms", "30000"),
                        java.time.Duration.ofSeconds(10));
        assertThat(admin).containsEntry("default.api.timeout.ms", "30000");
        org.apache.kafka.clients.admin.Admin.create(admin).close(java.time.Duration.ZERO);
    }

    @Test
    void everyCommandThatTalksToKafkaTakesThem() {
        for (Object command :
                List.of(
                        new SimulateCommand(),
                        new ReplayCommand(),
                        new TailCommand(),
                        new io.fmstream.tools.audit.AuditCommand())) {
            assertThat(new CommandLine(command).getCommandSpec().optionsMap())
                    .as(command.getClass().getSimpleName())
                    .containsKeys("--kafka-property", "--kafka-properties-file");
        }
    }
}
