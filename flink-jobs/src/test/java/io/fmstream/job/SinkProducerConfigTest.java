package io.fmstream.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The sinks' producer properties: throughput defaults for exactly-once, the user's keys win. */
class SinkProducerConfigTest {

    /** Settings from the job's required arguments and {@code extra}. */
    static JobSettings settings(String... extra) {
        String[] required = {
            "--fmstream.kafka.bootstrap-servers", "kafka:9092", "--fmstream.bundle", "file:///b"
        };
        String[] args = new String[required.length + extra.length];
        System.arraycopy(required, 0, args, 0, required.length);
        System.arraycopy(extra, 0, args, required.length, extra.length);
        return JobSettings.from(FmstreamJob.parseArgs(args));
    }

    private static Properties config(JobSettings s) {
        return FmstreamJob.sinkProducerConfig(s.delivery, s.kafkaProperties);
    }

    @Test
    void exactlyOnceSinksBatchForThroughputByDefault() {
        Properties p = config(settings());
        assertThat(p.getProperty("linger.ms")).isEqualTo("50");
        assertThat(p.getProperty("batch.size")).isEqualTo("131072");
    }

    @Test
    void atLeastOnceSinksKeepKafkasDefaultsSinceTheirReadersSeeEachSend() {
        Properties p = config(settings("--fmstream.delivery", "AT_LEAST_ONCE"));
        assertThat(p).doesNotContainKeys("linger.ms", "batch.size");
    }

    @Test
    void passThroughPropertiesWinOverTheDefaults() {
        Properties p =
                config(
                        settings(
                                "--fmstream.kafka.properties.linger.ms", "5",
                                "--fmstream.kafka.properties.compression.type", "lz4"));
        assertThat(p.getProperty("linger.ms")).isEqualTo("5");
        assertThat(p.getProperty("batch.size")).isEqualTo("131072");
        assertThat(p.getProperty("compression.type")).isEqualTo("lz4");
        Properties atLeastOnce =
                config(
                        settings(
                                "--fmstream.delivery", "AT_LEAST_ONCE",
                                "--fmstream.kafka.properties.linger.ms", "20"));
        assertThat(atLeastOnce.getProperty("linger.ms")).isEqualTo("20");
    }
}
