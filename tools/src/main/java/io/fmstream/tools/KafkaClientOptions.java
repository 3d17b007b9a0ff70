package io.fmstream.tools;

import io.fmstream.kafka.KafkaClientProperties;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * Pass-through Kafka client properties for every command that talks to Kafka (security, tuning),
 * declared once and mixed in with {@code @Mixin}. See {@link KafkaClientProperties}.
 */
public final class KafkaClientOptions {

    @Option(
            names = "--kafka-property",
            paramLabel = "KEY=VALUE",
            description =
                    "A Kafka client property for every client of this command, e.g."
                            + " security.protocol=SASL_SSL (repeatable; wins over the file).")
    List<String> pairs = new ArrayList<>();

    @Option(
            names = "--kafka-properties-file",
            paramLabel = "FILE",
            description =
                    "A Java properties file of Kafka client properties (e.g. client.properties).")
    Path file;

    /**
     * The properties given, checked: the bootstrap servers, (de)serializers and the guarantees the
     * tools set themselves ({@link KafkaClientProperties#RESERVED_BY_TOOLS}) are refused, never
     * silently overridden.
     */
    public Map<String, String> properties() {
        try {
            return KafkaClientProperties.checked(
                    KafkaClientProperties.load(pairs, file),
                    KafkaClientProperties.RESERVED_BY_TOOLS,
                    "--kafka-property ");
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + file, e);
        }
    }
}
