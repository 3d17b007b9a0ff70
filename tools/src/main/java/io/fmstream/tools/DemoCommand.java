package io.fmstream.tools;

import io.fmstream.core.model.BundleManifest;
import io.fmstream.core.sim.SimulatedChunk;
import io.fmstream.core.sim.SimulatedFleet;
import io.fmstream.schemas.GroundTruth;
import io.fmstream.schemas.SensorChunk;
import io.fmstream.core.util.RepositoryLayout;
import io.fmstream.job.FmstreamJob;
import io.fmstream.job.FmstreamOptions;
import io.fmstream.job.JobSettings;
import io.fmstream.schemas.DeadLetter;
import io.fmstream.schemas.Prediction;
import io.fmstream.schemas.codec.DecodeException;
import io.fmstream.schemas.codec.RecordCodec;
import io.fmstream.testkit.EmbeddedKafka;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The embedded default: an in-process Kafka broker, a local Flink cluster running the production
 * job, and a simulated fleet, with a status line every few seconds. Stops cleanly on Ctrl-C or
 * after {@code --duration}.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run broker, job and simulator in this process and print what flows.")
public final class DemoCommand implements Callable<Integer> {

    @Option(names = "--devices", defaultValue = "20", description = "Simulated devices (default: ${DEFAULT-VALUE}).")
    int devices;

    @Option(names = "--duration", description = "Stop after this long, ISO-8601 (e.g. PT2M); default: until Ctrl-C.")
    Duration duration;

    @Option(names = "--bundle", description = "Model bundle directory (default: model-artifacts/fixture-ecg-tiny).")
    Path bundle;

    @Option(names = "--parallelism", defaultValue = "2", description = "Job parallelism (default: ${DEFAULT-VALUE}).")
    int parallelism;

    @Option(names = "--status-every", defaultValue = "PT5S", description = "Status line interval (default: ${DEFAULT-VALUE}).")
    Duration statusEvery;

    private volatile boolean stopping;

    @Override
    public Integer call() throws Exception {
        Path bundleDir = bundle != null ? bundle : RepositoryLayout.fixtureBundle();
        CountDownLatch stopped = new CountDownLatch(1);
        Thread mainThread = Thread.currentThread();
        Thread hook = new Thread(() -> {
            stopping = true;
            mainThread.interrupt();
            try {
                stopped.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "fmstream-demo-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);

        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            Configuration conf = new Configuration();
            conf.set(FmstreamOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
            conf.set(FmstreamOptions.BUNDLE, bundleDir.toUri().toString());
            conf.set(FmstreamOptions.CREATE_TOPICS, true);
            conf.set(FmstreamOptions.TOPIC_PARTITIONS, Math.max(2, parallelism));
            conf.set(FmstreamOptions.CHECKPOINT_INTERVAL, Duration.ofSeconds(2));
            conf.set(FmstreamOptions.TRANSACTION_TIMEOUT, Duration.ofSeconds(60));
            JobSettings settings = JobSettings.from(conf);
            BundleManifest manifest = FmstreamJob.readManifest(settings.bundleUri);

            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism);
            FmstreamJob.configure(env, settings);
            FmstreamJob.wireKafka(env, settings, manifest);
            JobClient job = env.executeAsync("fmstream demo");
            System.out.printf("demo: broker %s, job %s on a local Flink cluster (parallelism %d), bundle %s%n",
                    kafka.bootstrapServers(), job.getJobID(), parallelism, manifest.bundleId());

            Topics.ensure(kafka.bootstrapServers(), settings.sensorTopic, Topics.DEFAULT_GROUND_TRUTH, true, 2);
            long start = System.currentTimeMillis();
            long simStart = Math.floorDiv(start * 1000L, 5_000_000L) * 5_000_000L;
            long scenarioMicros = (duration != null ? duration : Duration.ofHours(24)).toNanos() / 1000;
            SimulatedFleet fleet = SimulatedFleet.generate(devices, 1, simStart, 1.0, scenarioMicros);
            try (KafkaPublisher publisher = new KafkaPublisher(kafka.bootstrapServers(), settings.sensorTopic,
                            Topics.DEFAULT_GROUND_TRUTH);
                    Counter counter = new Counter(kafka.bootstrapServers(), settings)) {
                long nextStatus = start + statusEvery.toMillis();
                while (!stopping && (duration == null || System.currentTimeMillis() - start < duration.toMillis())) {
                    List<SimulatedChunk> ready = fleet.poll(System.currentTimeMillis() * 1000L);
                    List<SensorChunk> chunks = new ArrayList<>();
                    List<GroundTruth> truths = new ArrayList<>();
                    for (SimulatedChunk c : ready) {
                        chunks.add(c.chunk());
                        truths.add(Truths.toAvro(c.truth(), "simulator seed=1"));
                    }
                    publisher.publishChunks(chunks);
                    publisher.publishTruth(truths);
                    counter.poll();
                    if (System.currentTimeMillis() >= nextStatus) {
                        nextStatus += statusEvery.toMillis();
                        System.out.println(counter.status(devices, publisher.acknowledged(), System.currentTimeMillis() - start));
                    }
                    try {
                        Thread.sleep(200);
                    } catch (InterruptedException e) {
                        break;
                    }
                }
                Thread.interrupted();
                System.out.println("demo: stopping");
            } finally {
                job.cancel().get(30, TimeUnit.SECONDS);
            }
        } finally {
            stopped.countDown();
            if (!stopping) {
                Runtime.getRuntime().removeShutdownHook(hook);
            }
        }
        System.out.println("demo: stopped cleanly");
        return 0;
    }


    /** Reads the output topics (read_committed) and summarises what arrived. */
    private static final class Counter implements AutoCloseable {
        private final KafkaConsumer<byte[], byte[]> consumer;
        private final JobSettings settings;
        private final RecordCodec<Prediction> predictions = RecordCodec.forType(Prediction.class);
        private final RecordCodec<DeadLetter> deadLetters = RecordCodec.forType(DeadLetter.class);
        private long embeddingCount;
        private long predictionCount;
        private long deadLetterCount;
        private final List<Long> writtenLatency = new ArrayList<>();
        private final List<Long> committedLatency = new ArrayList<>();

        Counter(String bootstrapServers, JobSettings settings) {
            this.settings = settings;
            Properties p = new Properties();
            p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
            p.put(ConsumerConfig.GROUP_ID_CONFIG, "fmstream-demo-status");
            p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            consumer.subscribe(List.of(settings.embeddingsTopic, settings.predictionsTopic, settings.deadLetterTopic));
        }

        void poll() throws DecodeException {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                long now = System.currentTimeMillis();
                if (r.topic().equals(settings.embeddingsTopic)) {
                    embeddingCount++;
                } else if (r.topic().equals(settings.predictionsTopic)) {
                    predictionCount++;
                    Prediction p = predictions.decode(r.value());
                    writtenLatency.add(p.getEmitTimeMillis() - p.getNewestChunkAppendTimeMillis());
                    committedLatency.add(now - p.getNewestChunkAppendTimeMillis());
                } else {
                    deadLetterCount++;
                    deadLetters.decode(r.value());
                }
            }
        }

        String status(int devices, long chunks, long elapsedMillis) {
            double s = Math.max(1, elapsedMillis) / 1000.0;
            String line = String.format(
                    "demo: %3.0f s | %d devices | chunks %d (%.0f/s) | embeddings %d (%.1f/s) | predictions %d (%.1f/s)"
                            + " | dead letters %d | written latency p50/p99 %s ms | committed p50/p99 %s ms",
                    s, devices, chunks, chunks / s, embeddingCount, embeddingCount / s, predictionCount,
                    predictionCount / s, deadLetterCount, percentiles(writtenLatency), percentiles(committedLatency));
            writtenLatency.clear();
            committedLatency.clear();
            return line;
        }

        private static String percentiles(List<Long> values) {
            if (values.isEmpty()) {
                return "-/-";
            }
            List<Long> sorted = new ArrayList<>(values);
            Collections.sort(sorted);
            return sorted.get(sorted.size() / 2) + "/" + sorted.get(Math.min(sorted.size() - 1, (int) (sorted.size() * 0.99)));
        }

        @Override
        public void close() {
            consumer.close();
        }
    }
}
