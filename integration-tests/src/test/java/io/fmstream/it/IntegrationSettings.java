package io.fmstream.it;

import io.fmstream.data.RepositoryLayout;
import io.fmstream.job.FmstreamOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.apache.flink.configuration.Configuration;

/** The job's production options with test-sized values: fast checkpoints and short transactions. */
final class IntegrationSettings {

    static final int MAX_SAMPLES_PER_CHUNK = 5_000;

    private IntegrationSettings() {}

    static Configuration forRun(String bootstrapServers, String suffix) {
        Configuration c = new Configuration();
        c.set(FmstreamOptions.BOOTSTRAP_SERVERS, bootstrapServers);
        c.set(FmstreamOptions.SENSOR_TOPIC, "sensor-" + suffix);
        c.set(FmstreamOptions.EMBEDDINGS_TOPIC, "embeddings-" + suffix);
        c.set(FmstreamOptions.PREDICTIONS_TOPIC, "predictions-" + suffix);
        c.set(FmstreamOptions.DEAD_LETTER_TOPIC, "dead-letters-" + suffix);
        c.set(FmstreamOptions.CREATE_TOPICS, true);
        c.set(FmstreamOptions.TOPIC_PARTITIONS, 2);
        c.set(FmstreamOptions.CONSUMER_GROUP, "it-" + suffix);
        c.set(FmstreamOptions.TRANSACTIONAL_ID_PREFIX, "it-" + suffix);
        c.set(FmstreamOptions.BUNDLE, fixtureBundle().toUri().toString());
        c.set(FmstreamOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(500));
        // Short, so a transaction left open by the injected failure cannot stall read_committed
        // readers long.
        c.set(FmstreamOptions.TRANSACTION_TIMEOUT, Duration.ofSeconds(60));
        c.set(FmstreamOptions.BATCH_SIZE, 16);
        c.set(FmstreamOptions.BATCH_MAX_DELAY, Duration.ofMillis(20));
        c.set(FmstreamOptions.ONNX_THREADS, 1);
        c.set(FmstreamOptions.MAX_SAMPLES_PER_CHUNK, MAX_SAMPLES_PER_CHUNK);
        return c;
    }

    static String uniqueSuffix() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    static Path fixtureBundle() {
        return RepositoryLayout.fixtureBundle();
    }

    /**
     * Where a device's windows start in each hop under {@link #forRun}'s settings (the job's
     * default, per-device phase), microseconds: its windows start at {@code k * hop + this}.
     */
    static long phaseMicros(String device) {
        var settings = io.fmstream.job.JobSettings.from(forRun("unused:9092", "phase"));
        return io.fmstream.job.FmstreamJob.windowSpec(
                        settings, io.fmstream.job.FmstreamJob.readManifest(settings.bundleUri))
                .phaseMicros(device);
    }
}
