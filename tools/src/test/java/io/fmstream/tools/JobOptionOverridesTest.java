package io.fmstream.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.core.window.WindowPhase;
import io.fmstream.job.FmstreamJob;
import io.fmstream.job.FmstreamOptions;
import java.time.Duration;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

class JobOptionOverridesTest {

    @Command(name = "probe")
    static final class Probe implements Runnable {
        @Mixin JobOptionOverrides jobOptions = new JobOptionOverrides();

        @Override
        public void run() {}
    }

    @Test
    void optionsGivenOnTheCommandLineReachTheJobAsItsOwnArguments() {
        // What the cluster soak submits: the job's main parses these into its configuration.
        Probe probe = new Probe();
        new CommandLine(probe)
                .execute(
                        "--job-option",
                        "fmstream.window.phase=EPOCH",
                        "--job-option",
                        "fmstream.network.buffer-timeout=100ms");

        assertThat(probe.jobOptions.asJobArguments())
                .containsExactly(
                        "--fmstream.window.phase",
                        "EPOCH",
                        "--fmstream.network.buffer-timeout",
                        "100ms");
        Configuration c =
                FmstreamJob.parseArgs(probe.jobOptions.asJobArguments().toArray(new String[0]));
        assertThat(c.get(FmstreamOptions.WINDOW_PHASE)).isEqualTo(WindowPhase.EPOCH);
        assertThat(c.get(FmstreamOptions.NETWORK_BUFFER_TIMEOUT)).isEqualTo(Duration.ofMillis(100));
        assertThat(probe.jobOptions.markdown())
                .isEqualTo(
                        "Job options: `fmstream.window.phase=EPOCH`,"
                                + " `fmstream.network.buffer-timeout=100ms`.\n\n");
        assertThat(new JobOptionOverrides().asJobArguments()).isEmpty();
    }

    @Test
    void refusesWhatTheJobWouldNotHaveMeantBeforeAnythingRuns() {
        // bench and capacity set these on the configuration unchecked: a misspelt option ran
        // with the default while the report listed it as applied
        JobOptionOverrides misspelt = new JobOptionOverrides();
        misspelt.values.put("fmstream.batch.max-dealy", "10ms");
        org.assertj.core.api.Assertions.assertThatThrownBy(misspelt::check)
                .hasMessageContaining("Unknown option fmstream.batch.max-dealy");
        JobOptionOverrides bare = new JobOptionOverrides();
        bare.values.put("fmstream.batch.max-delay", "10");
        org.assertj.core.api.Assertions.assertThatThrownBy(bare::check)
                .hasMessageContaining("has no unit");
        JobOptionOverrides flink = new JobOptionOverrides();
        flink.values.put("parallelism.default", "4");
        org.assertj.core.api.Assertions.assertThatThrownBy(flink::check)
                .hasMessageContaining("only fmstream.* options are job options");
        JobOptionOverrides fine = new JobOptionOverrides();
        fine.values.put("fmstream.batch.max-delay", "10ms");
        fine.values.put("fmstream.kafka.properties.linger.ms", "20");
        assertThat(fine.check()).isSameAs(fine);
    }

    @Test
    void reportsMaskSecretsAmongTheKafkaProperties() {
        JobOptionOverrides o = new JobOptionOverrides();
        o.values.put("fmstream.kafka.properties.ssl.keystore.password", "s3cr3t");
        o.values.put("fmstream.kafka.properties.sasl.jaas.config", "x password=\"s3cr3t\";");
        o.values.put("fmstream.kafka.properties.linger.ms", "20");
        assertThat(o.markdown()).doesNotContain("s3cr3t").contains("linger.ms=20");
        assertThat(o.forReports())
                .containsEntry("fmstream.kafka.properties.ssl.keystore.password", "******")
                .containsEntry("fmstream.kafka.properties.linger.ms", "20");
        // the job itself still gets them
        assertThat(o.asJobArguments()).contains("s3cr3t");
    }
}
