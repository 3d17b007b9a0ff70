package io.fmstream.tools.bench;

import io.fmstream.core.model.BundleManifest;
import io.fmstream.core.records.SourceRef;
import io.fmstream.job.FmstreamJob;
import io.fmstream.job.FmstreamOptions;
import io.fmstream.job.JobSettings;
import io.fmstream.local.LocalKafkaCluster;
import io.fmstream.schemas.WindowEmbedding;
import io.fmstream.schemas.codec.RecordCodec;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The production job end to end through a real broker: a sensor topic filled beforehand (the
 * generator's time and CPU reported, not counted), the job with its Kafka source (bounded at the
 * end offsets of the start, {@code fmstream.source.bounded}) and exactly-once sinks, and a {@code
 * read_committed} consumer that checks every window arrived once. The rate is windows / time from
 * the first embedding written to the last (their Kafka timestamps are the sink's send times), as in
 * memory. The broker is Kafka's own, one node, as a child JVM, so its CPU is measured apart.
 */
public final class KafkaRun {

    /**
     * One run's figures. CPU in core-seconds over the job's run; {@code brokerJitCpu} is the part
     * of {@code brokerCpu} spent by the broker's JIT compiler threads.
     */
    public record Result(
            int windows,
            int predictions,
            double seconds,
            double chunksPerSecond,
            double megabytesPerSecond,
            double brokerCpu,
            double brokerJitCpu,
            double jobCpu,
            double otherCpu,
            double stealCpu,
            double runSeconds,
            double fillSeconds,
            double fillCpu,
            double encoderSeconds,
            double encoderCpuSeconds,
            Map<String, Double> threads) {}

    private final LocalKafkaCluster kafka;
    private final Path bundleDir;
    private final int parallelism;
    private final Map<String, String> jobOptions;
    private final String sensorTopic = "bench-sensor-" + UUID.randomUUID();
    private final int chunks;
    private final long bytes;
    private final double fillSeconds;
    private final double fillCpu;

    private KafkaRun(
            LocalKafkaCluster kafka,
            Path bundleDir,
            int parallelism,
            Map<String, String> jobOptions,
            List<SourceRef> input)
            throws Exception {
        this.kafka = kafka;
        this.bundleDir = bundleDir;
        this.parallelism = parallelism;
        this.jobOptions = Map.copyOf(jobOptions);
        this.chunks = input.size();
        // Topics as the job would create them (the sensor topic with LogAppendTime).
        FmstreamJob.checkTopics(settings("fill"));
        long cpu0 = ownCpuNanos();
        long t0 = System.nanoTime();
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024);
        long total = 0;
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (SourceRef r : input) {
                producer.send(new ProducerRecord<>(sensorTopic, r.key, r.payload));
                total += r.payload.length + r.key.length;
            }
            producer.flush();
        }
        this.bytes = total;
        this.fillSeconds = (System.nanoTime() - t0) / 1e9;
        this.fillCpu = (ownCpuNanos() - cpu0) / 1e9;
    }

    /**
     * Starts a one-node broker under {@code scratch} and fills the sensor topic with {@code input};
     * every run's job gets {@code jobOptions} (fmstream.* keys) over the production defaults.
     */
    public static KafkaRun prepare(
            Path scratch,
            Path bundleDir,
            int parallelism,
            Map<String, String> jobOptions,
            List<SourceRef> input)
            throws Exception {
        LocalKafkaCluster kafka = new LocalKafkaCluster(scratch.resolve("kafka"), 1).stopOnExit();
        kafka.start();
        try {
            return new KafkaRun(kafka, bundleDir, parallelism, jobOptions, input);
        } catch (Exception | Error e) {
            kafka.close();
            throw e;
        }
    }

    public double fillSeconds() {
        return fillSeconds;
    }

    public double fillCpu() {
        return fillCpu;
    }

    /**
     * One run of the production job over the whole topic into fresh output topics; checks that
     * exactly {@code expectedWindows} distinct windows arrived once each, and {@code tasks}
     * predictions per window.
     */
    public Result run(StreamExecutionEnvironment env, int expectedWindows, int tasks)
            throws Exception {
        return run(env, expectedWindows, tasks, false);
    }

    /**
     * As above; with {@code sampleThreads}, each of this JVM's threads' CPU is sampled during the
     * job ({@link Result#threads}, core-seconds by thread name, the run's id replaced by {@code
     * <run>}), to show what the job spends through Kafka besides the encoder. The sampler takes CPU
     * of its own (about 5 % of a core, {@link FanOutRun.ThreadCpu}), so a profiled round compares
     * with the profiled in-memory run beside it, not with unprofiled ones.
     */
    public Result run(
            StreamExecutionEnvironment env, int expectedWindows, int tasks, boolean sampleThreads)
            throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        JobSettings settings = settings(run);
        BundleManifest manifest = FmstreamJob.readManifest(settings.bundleUri);
        FmstreamJob.configure(env, settings);
        FmstreamJob.wireKafka(env, settings, manifest);
        EncoderTimeReporter.reset();
        long broker0 = processCpuTicks(kafka.node(1).pid());
        long brokerJit0 = jitCpuTicks(kafka.node(1).pid());
        long own0 = ownCpuNanos();
        long[] machine0 = machineTicks();
        long t0 = System.nanoTime();
        FanOutRun.ThreadCpu sampler = sampleThreads ? FanOutRun.ThreadCpu.start() : null;
        try {
            env.execute("fmstream bench through Kafka " + run);
        } finally {
            if (sampler != null) {
                sampler.stop();
            }
        }
        double runSeconds = (System.nanoTime() - t0) / 1e9;
        Map<String, Double> threads = new java.util.TreeMap<>();
        if (sampler != null) {
            sampler.byName()
                    .forEach((n, c) -> threads.merge(n.replace(run, "<run>"), c, Double::sum));
        }
        double brokerCpu = (processCpuTicks(kafka.node(1).pid()) - broker0) / TICKS;
        double brokerJitCpu = (jitCpuTicks(kafka.node(1).pid()) - brokerJit0) / TICKS;
        // Less the thread sampler's own CPU, when profiling: the measurement's, not the job's.
        double jobCpu =
                (ownCpuNanos() - own0) / 1e9 - (sampler == null ? 0 : sampler.ownCpuSeconds());
        long[] machine1 = machineTicks();
        double machineBusy = (machine1[0] - machine0[0]) / TICKS;
        double steal = (machine1[1] - machine0[1]) / TICKS;

        // Every window once, from its committed embeddings.
        Set<String> keys = new HashSet<>();
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        int embeddings = 0;
        RecordCodec<WindowEmbedding> codec = RecordCodec.forType(WindowEmbedding.class);
        for (ConsumerRecord<byte[], byte[]> r :
                readCommitted(settings.embeddingsTopic, expectedWindows)) {
            WindowEmbedding e = codec.decode(r.value());
            keys.add(e.getDeviceId() + "@" + e.getWindowStartMicros());
            embeddings++;
            first = Math.min(first, r.timestamp());
            last = Math.max(last, r.timestamp());
        }
        int predictions = readCommitted(settings.predictionsTopic, expectedWindows * tasks).size();
        if (embeddings != expectedWindows
                || keys.size() != expectedWindows
                || predictions != expectedWindows * tasks) {
            throw new IllegalStateException(
                    String.format(
                            "through Kafka: %d embeddings (%d distinct windows) and %d"
                                    + " predictions; expected %d windows once each and %d"
                                    + " predictions",
                            embeddings,
                            keys.size(),
                            predictions,
                            expectedWindows,
                            expectedWindows * tasks));
        }
        double seconds = (last - first) / 1e3;
        return new Result(
                embeddings,
                predictions,
                seconds,
                chunks / seconds,
                bytes / 1e6 / seconds,
                brokerCpu,
                brokerJitCpu,
                jobCpu,
                Math.max(0, machineBusy - brokerCpu - jobCpu),
                steal,
                runSeconds,
                fillSeconds,
                fillCpu,
                EncoderTimeReporter.totals().seconds(),
                EncoderTimeReporter.totals().cpuSeconds(),
                threads);
    }

    /** The job's settings for run {@code run}: its own outputs, group and transactional ids. */
    private JobSettings settings(String run) {
        Configuration c = options(kafka, bundleDir, parallelism, "bench", sensorTopic, run);
        c.set(FmstreamOptions.SOURCE_BOUNDED, true);
        // The job's production defaults otherwise (checkpoints, transactions, batch size), and
        // what the user passed.
        jobOptions.forEach(c::setString);
        return JobSettings.from(c);
    }

    /**
     * A benchmark job's options against {@code kafka}: reads {@code sensorTopic}, writes fresh
     * topics named after {@code name} and {@code run}, with its own group and transactional ids;
     * the production defaults otherwise.
     */
    static Configuration options(
            LocalKafkaCluster kafka,
            Path bundleDir,
            int parallelism,
            String name,
            String sensorTopic,
            String run) {
        Configuration c = new Configuration();
        c.set(FmstreamOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
        c.set(FmstreamOptions.BUNDLE, bundleDir.toUri().toString());
        c.set(FmstreamOptions.SENSOR_TOPIC, sensorTopic);
        c.set(FmstreamOptions.EMBEDDINGS_TOPIC, name + "-embeddings-" + run);
        c.set(FmstreamOptions.PREDICTIONS_TOPIC, name + "-predictions-" + run);
        c.set(FmstreamOptions.DEAD_LETTER_TOPIC, name + "-dead-letters-" + run);
        c.set(FmstreamOptions.CONSUMER_GROUP, name + "-" + run);
        c.set(FmstreamOptions.TRANSACTIONAL_ID_PREFIX, name + "-" + run);
        c.set(FmstreamOptions.CREATE_TOPICS, true);
        c.set(FmstreamOptions.TOPIC_PARTITIONS, 2 * parallelism);
        return c;
    }

    /**
     * Every committed record of {@code topic}: reads until {@code expected} arrived and then 1 s
     * more without a new one (a duplicate would show), or 30 s without a new one.
     */
    private List<ConsumerRecord<byte[], byte[]>> readCommitted(String topic, int expected) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        List<ConsumerRecord<byte[], byte[]>> out = new java.util.ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c =
                new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = new java.util.ArrayList<>();
            for (PartitionInfo i : c.partitionsFor(topic, Duration.ofSeconds(30))) {
                parts.add(new TopicPartition(topic, i.partition()));
            }
            c.assign(parts);
            c.seekToBeginning(parts);
            long lastNew = System.nanoTime();
            while (true) {
                var records = c.poll(Duration.ofMillis(100));
                if (!records.isEmpty()) {
                    records.forEach(out::add);
                    lastNew = System.nanoTime();
                }
                long quiet = System.nanoTime() - lastNew;
                if (quiet > TimeUnit.SECONDS.toNanos(out.size() >= expected ? 1 : 30)) {
                    return out;
                }
            }
        }
    }

    public void close() throws Exception {
        kafka.close();
    }

    /** Linux clock ticks per second (USER_HZ), 100 on every Linux this runs on. */
    static final double TICKS = 100.0;

    static long ownCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean)
                        ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /**
     * CPU ticks of the JIT compiler threads of process {@code pid} (HotSpot's {@code C1/C2
     * CompilerThreadN}, named so in {@code /proc/<pid>/task/<tid>/stat}, cut to 15 characters): the
     * broker's share that is its own warm-up, not the job's load.
     */
    static long jitCpuTicks(long pid) {
        return RunQueueWait.take(pid).jitTicks();
    }

    /** utime + stime of {@code pid}, in clock ticks. */
    static long processCpuTicks(long pid) throws IOException {
        return cpuTicks(Files.readString(Path.of("/proc/" + pid + "/stat")));
    }

    /** User plus system ticks from a process's or thread's {@code stat} line. */
    static long cpuTicks(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    /** The machine's busy and steal ticks, all cores ({@code /proc/stat}). */
    static long[] machineTicks() throws IOException {
        String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        long user = Long.parseLong(f[1]);
        long nice = Long.parseLong(f[2]);
        long system = Long.parseLong(f[3]);
        long irq = Long.parseLong(f[6]);
        long softirq = Long.parseLong(f[7]);
        long steal = f.length > 8 ? Long.parseLong(f[8]) : 0;
        return new long[] {user + nice + system + irq + softirq, steal};
    }
}
