package io.fmstream.tools.bench;

import io.fmstream.core.window.WindowPhase;
import io.fmstream.core.window.WindowSpec;
import io.fmstream.data.sim.HeartRateProfile;
import io.fmstream.data.sim.SimulatedDevice;
import io.fmstream.job.FmstreamJob;
import io.fmstream.job.FmstreamOptions;
import io.fmstream.job.JobSettings;
import io.fmstream.local.LocalKafkaCluster;
import io.fmstream.schemas.Prediction;
import io.fmstream.schemas.PredictionScope;
import io.fmstream.schemas.SensorChunk;
import io.fmstream.schemas.codec.RecordCodec;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.checkpoint.AbstractCheckpointStats;
import org.apache.flink.runtime.checkpoint.CheckpointStatsStatus;
import org.apache.flink.runtime.checkpoint.SubtaskStateStats;
import org.apache.flink.runtime.checkpoint.TaskStateStats;
import org.apache.flink.runtime.minicluster.MiniCluster;
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
 * Real-time capacity: a fleet of devices at 250 Hz sending a 1 s chunk each second, produced in
 * real time through a real broker (a one-node child JVM) into the production job (unbounded Kafka
 * source, exactly-once sinks, production defaults), while two consumers measure what users see:
 *
 * <ul>
 *   <li><b>event-time lag</b> of each window: when its prediction was written (the record's send
 *       time) minus the window's end. It includes the device's own buffering (the chunk holding a
 *       window's last second leaves the device up to 1 s after it, devices spread over the second)
 *       and the chunk after it, which the resampler's look-ahead waits for: an idle job shows about
 *       2 s;
 *   <li><b>written latency</b>: prediction written minus the append time of the newest chunk in its
 *       window (the job's own time);
 *   <li><b>committed latency</b>: when a {@code read_committed} consumer saw the prediction minus
 *       that same append time (written latency plus the wait for the checkpoint's commit).
 * </ul>
 *
 * <p>A window the job has not written by the end of the run counts with infinite lag, so a job that
 * falls behind fails the percentiles rather than leaving them. The generator runs in this JVM and
 * its CPU is measured (it competes for the same cores, as the devices' gateway would); the broker's
 * CPU, other processes' and steal are measured from {@code /proc}.
 */
public final class CapacityRun implements AutoCloseable {

    /** Devices' sample rate and chunk length. */
    public static final int RATE_HZ = 250;

    /**
     * One run at one fleet size. Times in seconds, CPU in cores (core-seconds per second). The
     * encoder's figures come from its own metrics over the measured span: windows per call, the
     * mean wait of a window before its call ({@code fmstream_encoder_wait_seconds}) and the CPU of
     * the threads that ran the calls ({@code fmstream_inference_cpu_seconds}).
     */
    public record Result(
            int devices,
            double measuredSeconds,
            int windowsExpected,
            int windowsMissing,
            double lagP50,
            double lagP99,
            double lagP999,
            double lagSlope,
            double writtenP50,
            double writtenP99,
            double writtenP999,
            double committedP50,
            double committedP99,
            double committedP999,
            double chunksPerSecond,
            double jobCores,
            double generatorCores,
            double brokerCores,
            double otherCores,
            double stealCores,
            long heapAfterGcBytes,
            long rssBytes,
            long checkpointBytes,
            double windowsPerEncoderCall,
            double encoderWaitMeanSeconds,
            double encoderCores,
            LatencyTail.Result writtenTail,
            double runQueueWaitThreads,
            Map<String, Double> runQueueWaitByThread,
            double brokerRunQueueWaitThreads) {

        /**
         * Held: lag p99 at most {@code maxLagP99} seconds, not growing (slope at most {@code
         * maxSlope} seconds per second), nothing missing.
         */
        public boolean held(double maxLagP99, double maxSlope) {
            return windowsMissing == 0 && lagP99 <= maxLagP99 && lagSlope <= maxSlope;
        }

        /** Whether other processes or steal took over {@code fraction} of the machine. */
        public boolean disturbed(double fraction, int cores) {
            return otherCores > fraction * cores || stealCores > fraction * cores;
        }
    }

    /**
     * Written latency above which a prediction counts as slow in {@link Result#writtenTail}: the
     * p99 the capacity target asks for at half the capacity.
     */
    public static final double SLOW_WRITTEN_SECONDS = 0.150;

    private static final int TEMPLATE_DEVICES = 64;
    private static final int TEMPLATE_SECONDS = 60;

    private final LocalKafkaCluster kafka;
    private final Path checkpoints;
    private final Path bundleDir;
    private final int parallelism;
    private final WindowPhase phase;
    private final Map<String, String> jobOptions;

    /** Pre-made chunks [template device][second], re-addressed per device and second when sent. */
    private final SensorChunk[][] templates = new SensorChunk[TEMPLATE_DEVICES][TEMPLATE_SECONDS];

    private CapacityRun(
            LocalKafkaCluster kafka,
            Path bundleDir,
            int parallelism,
            Path checkpoints,
            WindowPhase phase,
            Map<String, String> jobOptions) {
        this.kafka = kafka;
        this.phase = phase;
        this.jobOptions = Map.copyOf(jobOptions);
        this.checkpoints = checkpoints;
        this.bundleDir = bundleDir;
        this.parallelism = parallelism;
        for (int d = 0; d < TEMPLATE_DEVICES; d++) {
            SimulatedDevice device =
                    new SimulatedDevice(
                            "template-" + d,
                            1000 + d,
                            RATE_HZ,
                            0,
                            HeartRateProfile.resting(55 + (d % 30)));
            for (int s = 0; s < TEMPLATE_SECONDS; s++) {
                templates[d][s] = device.nextChunk(RATE_HZ);
            }
        }
    }

    /**
     * Starts a one-node broker under {@code scratch}; the jobs' checkpoints are found under {@code
     * checkpoints} (the cluster's {@code execution.checkpointing.dir}); the job runs with window
     * phase {@code phase} ({@code fmstream.window.phase}).
     */
    public static CapacityRun start(
            Path scratch,
            Path bundleDir,
            int parallelism,
            Path checkpoints,
            WindowPhase phase,
            Map<String, String> jobOptions)
            throws Exception {
        LocalKafkaCluster kafka = new LocalKafkaCluster(scratch.resolve("kafka"), 1).stopOnExit();
        kafka.start();
        try {
            return new CapacityRun(kafka, bundleDir, parallelism, checkpoints, phase, jobOptions);
        } catch (RuntimeException | Error e) {
            kafka.close();
            throw e;
        }
    }

    /**
     * One run: {@code devices} devices sending in real time for {@code warmUp} (not measured: the
     * job starts, the encoder warms up, the first windows fill) and then {@code hold} (measured).
     */
    public Result run(
            StreamExecutionEnvironment env,
            MiniCluster cluster,
            int devices,
            Duration warmUp,
            Duration hold)
            throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        JobSettings settings = settings(run);
        FmstreamJob.checkTopics(settings);
        FmstreamJob.configure(env, settings);
        var manifest = FmstreamJob.readManifest(settings.bundleUri);
        FmstreamJob.wireKafka(env, settings, manifest);
        JobClient job = env.executeAsync("fmstream capacity " + devices + " devices " + run);
        try (GcPauses gcPauses = new GcPauses();
                SecondSampler perSecond = SecondSampler.start(kafka.node(1).pid())) {
            // The windows the job makes (its hop and phase, also when --job-option sets them).
            return measure(
                    job,
                    cluster,
                    gcPauses,
                    perSecond,
                    settings,
                    FmstreamJob.windowSpec(settings, manifest),
                    devices,
                    warmUp,
                    hold);
        } finally {
            stop(job);
        }
    }

    /**
     * Cancels the job if it still runs and waits until it is gone, so the next run gets its slots;
     * a job that failed on its own is reported with its cause (its missing windows show in the
     * result).
     */
    private static void stop(JobClient job) throws Exception {
        org.apache.flink.api.common.JobStatus status = job.getJobStatus().get();
        if (status == org.apache.flink.api.common.JobStatus.FAILED) {
            try {
                job.getJobExecutionResult().get();
            } catch (java.util.concurrent.ExecutionException e) {
                Throwable cause = e;
                while (cause.getCause() != null) {
                    cause = cause.getCause();
                }
                System.err.printf("capacity: the job failed during the run: %s%n", cause);
            }
        } else if (!status.isGloballyTerminalState()) {
            try {
                job.cancel().get();
            } catch (java.util.concurrent.ExecutionException e) {
                // It reached another terminal state in the meantime.
            }
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!job.getJobStatus().get().isGloballyTerminalState()
                && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        // The slots are released shortly after the job is terminal.
        Thread.sleep(2_000);
    }

    private Result measure(
            JobClient job,
            MiniCluster cluster,
            GcPauses gcPauses,
            SecondSampler perSecond,
            JobSettings settings,
            WindowSpec windowSpec,
            int devices,
            Duration warmUp,
            Duration hold)
            throws Exception {
        long windowMicros = windowSpec.windowMicros();
        long hopMicros = windowSpec.hopMicros();
        // The devices' clocks start on a window boundary a little ahead, so the job is up first.
        long startMicros = (System.currentTimeMillis() * 1000 / hopMicros + 2) * hopMicros;
        long measureFromMicros = startMicros + warmUp.toNanos() / 1000;
        long endMicros = measureFromMicros + hold.toNanos() / 1000;
        Generator generator = new Generator(settings.sensorTopic, devices, startMicros, endMicros);
        Reader written = new Reader(settings.predictionsTopic, false, measureFromMicros);
        Reader committed = new Reader(settings.predictionsTopic, true, measureFromMicros);
        written.start();
        committed.start();
        generator.start();
        try {
            return measureStarted(
                    job,
                    cluster,
                    gcPauses,
                    settings,
                    windowSpec,
                    devices,
                    generator,
                    written,
                    committed,
                    measureFromMicros,
                    endMicros,
                    perSecond);
        } finally {
            // On any failure too: the readers' consumers and the generator's producer (threads
            // polling a broker) outlived a failed run, one set per run of a search.
            generator.interrupt();
            written.finish();
            committed.finish();
        }
    }

    private Result measureStarted(
            JobClient job,
            MiniCluster cluster,
            GcPauses gcPauses,
            JobSettings settings,
            WindowSpec windowSpec,
            int devices,
            Generator generator,
            Reader written,
            Reader committed,
            long measureFromMicros,
            long endMicros,
            SecondSampler perSecond)
            throws Exception {
        long windowMicros = windowSpec.windowMicros();
        long hopMicros = windowSpec.hopMicros();
        sleepUntilMicros(measureFromMicros);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long own0 = KafkaRun.ownCpuNanos();
        long gen0 = generator.cpuNanos(threads);
        long readers0 = written.cpuNanos(threads) + committed.cpuNanos(threads);
        long broker0 = KafkaRun.processCpuTicks(kafka.node(1).pid());
        long[] machine0 = KafkaRun.machineTicks();
        long chunks0 = generator.sent.get();
        EncoderTimeReporter.Totals encoder0 = EncoderTimeReporter.totals();
        RunQueueWait.Snapshot waits0 = RunQueueWait.take();
        RunQueueWait.Snapshot brokerWaits0 = RunQueueWait.take(kafka.node(1).pid());
        long t0 = System.nanoTime();
        generator.join();
        EncoderTimeReporter.Totals encoder1 = EncoderTimeReporter.totals();
        RunQueueWait.Snapshot waits1 = RunQueueWait.take();
        RunQueueWait.Snapshot brokerWaits1 = RunQueueWait.take(kafka.node(1).pid());
        // The encoder's batches, waits and CPU over the measured span, from its own metrics.
        long encoded = encoder1.encodedWindows() - encoder0.encodedWindows();
        double seconds = (System.nanoTime() - t0) / 1e9;
        RunQueueWait.Waits runQueueWait = RunQueueWait.perSecond(waits0, waits1, seconds, 6);
        double brokerRunQueueWait =
                RunQueueWait.perSecond(brokerWaits0, brokerWaits1, seconds, 0).all();
        long chunks = generator.sent.get() - chunks0;
        long[] machine1 = KafkaRun.machineTicks();
        double brokerCpu =
                (KafkaRun.processCpuTicks(kafka.node(1).pid()) - broker0) / KafkaRun.TICKS;
        double genCpu = (generator.cpuNanos(threads) - gen0) / 1e9;
        double readersCpu =
                (written.cpuNanos(threads) + committed.cpuNanos(threads) - readers0) / 1e9;
        double ownCpu = (KafkaRun.ownCpuNanos() - own0) / 1e9;
        double machineBusy = (machine1[0] - machine0[0]) / KafkaRun.TICKS;
        double steal = (machine1[1] - machine0[1]) / KafkaRun.TICKS;
        if (generator.failure != null) {
            throw new IllegalStateException("generator failed", generator.failure);
        }
        // Windows ending in the measured span must be written; allow what was in flight at the
        // end one grace period (a checkpoint interval for the committed reader, plus 5 s).
        long checkpointBytes = lastCheckpointBytes(job.getJobID().toString());
        long graceMillis = settings.checkpointInterval.toMillis() + 5_000;
        Thread.sleep(graceMillis);
        written.finish();
        committed.finish();
        long measuredToMillis = System.currentTimeMillis();
        LatencyTail.Result writtenTail;
        // The reader may still be polling if it did not stop within finish()'s wait.
        synchronized (written) {
            writtenTail =
                    LatencyTail.attribute(
                            written.samples,
                            SLOW_WRITTEN_SECONDS,
                            checkpoints(cluster, job, measureFromMicros / 1000, measuredToMillis),
                            gcPauses.between(measureFromMicros / 1000, measuredToMillis),
                            perSecond.between(measureFromMicros / 1000 - 1000, measuredToMillis));
        }
        System.gc();
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        long rss = rssBytes();

        // Windows whose every sample was sent within the measured span, and the chunk after them
        // too (the resampler looks a little ahead, so a window completes with the next chunk):
        // ends in [firstEnd, lastEnd], on each device's own grid. The grid is of starts (k x hop
        // + phase), so an end lies a window after one: with a window that is not a whole number
        // of hops (10 s windows, 3 s hop) the ends are off the hop grid.
        long firstEnd = measureFromMicros + windowMicros;
        long lastEnd = endMicros - 1_000_000L;
        int expected = 0;
        for (int d = 0; d < devices; d++) {
            expected +=
                    windowsEndingIn(
                            firstEnd,
                            lastEnd,
                            windowMicros,
                            hopMicros,
                            windowSpec.phaseMicros(deviceId(d)));
        }
        List<double[]> lags = written.lagsOfWindowsEndingIn(firstEnd, lastEnd);
        int missing = expected - lags.size();
        double[] lagValues = new double[Math.max(expected, lags.size())];
        for (int i = 0; i < lags.size(); i++) {
            lagValues[i] = lags.get(i)[1];
        }
        for (int i = lags.size(); i < expected; i++) {
            lagValues[i] = Double.POSITIVE_INFINITY;
        }
        Arrays.sort(lagValues);
        double[] writtenLatency = written.latencies();
        double[] committedLatency = committed.latencies();
        return new Result(
                devices,
                seconds,
                expected,
                Math.max(0, missing),
                percentile(lagValues, 0.50),
                percentile(lagValues, 0.99),
                percentile(lagValues, 0.999),
                slope(lags),
                percentile(writtenLatency, 0.50),
                percentile(writtenLatency, 0.99),
                percentile(writtenLatency, 0.999),
                percentile(committedLatency, 0.50),
                percentile(committedLatency, 0.99),
                percentile(committedLatency, 0.999),
                chunks / seconds,
                (ownCpu - genCpu - readersCpu) / seconds,
                genCpu / seconds,
                brokerCpu / seconds,
                Math.max(0, machineBusy - ownCpu - brokerCpu) / seconds,
                steal / seconds,
                heap,
                rss,
                checkpointBytes,
                (double) encoded / Math.max(1, encoder1.calls() - encoder0.calls()),
                (encoder1.waitSeconds() - encoder0.waitSeconds()) / Math.max(1, encoded),
                (encoder1.cpuSeconds() - encoder0.cpuSeconds()) / seconds,
                writtenTail,
                runQueueWait.all(),
                runQueueWait.byThread(),
                brokerRunQueueWait);
    }

    /**
     * The job's completed checkpoints triggered in {@code [fromMillis, toMillis]}, from the
     * cluster's checkpoint statistics (the history the web UI shows; {@link BenchCluster} keeps
     * enough of it for a long run).
     */
    private static List<LatencyTail.Checkpoint> checkpoints(
            MiniCluster cluster, JobClient job, long fromMillis, long toMillis) throws Exception {
        List<LatencyTail.Checkpoint> out = new ArrayList<>();
        var history =
                cluster.getExecutionGraph(job.getJobID())
                        .get()
                        .getCheckpointStatsSnapshot()
                        .getHistory();
        for (AbstractCheckpointStats c : history.getCheckpoints()) {
            if (c.getStatus() != CheckpointStatsStatus.COMPLETED
                    || c.getTriggerTimestamp() < fromMillis
                    || c.getTriggerTimestamp() > toMillis) {
                continue;
            }
            double startDelay = -1;
            double alignment = -1;
            double sync = -1;
            double async = -1;
            for (TaskStateStats task : c.getAllTaskStateStats()) {
                for (SubtaskStateStats s : task.getSubtaskStats()) {
                    if (s == null) {
                        continue;
                    }
                    startDelay = Math.max(startDelay, s.getCheckpointStartDelay() / 1e3);
                    alignment = Math.max(alignment, s.getAlignmentDuration() / 1e3);
                    sync = Math.max(sync, s.getSyncCheckpointDuration() / 1e3);
                    async = Math.max(async, s.getAsyncCheckpointDuration() / 1e3);
                }
            }
            out.add(
                    new LatencyTail.Checkpoint(
                            new LatencyTail.Span(
                                    c.getTriggerTimestamp(),
                                    c.getTriggerTimestamp() + c.getEndToEndDuration()),
                            startDelay,
                            alignment,
                            sync,
                            async));
        }
        return out;
    }

    /**
     * Bytes of the job's newest completed checkpoint (the cluster's {@code
     * execution.checkpointing.dir}: {@code <checkpoints>/<job>/chk-N}), or -1 when none.
     */
    private long lastCheckpointBytes(String jobId) throws java.io.IOException {
        // The job goes on checkpointing: the newest folder may be subsumed and deleted between
        // the listing and the walk. The next listing finds its successor.
        for (int attempt = 1; ; attempt++) {
            try {
                return lastCheckpointBytesOnce(jobId);
            } catch (java.nio.file.NoSuchFileException | java.io.UncheckedIOException gone) {
                if (attempt == 3) {
                    throw gone;
                }
            }
        }
    }

    private long lastCheckpointBytesOnce(String jobId) throws java.io.IOException {
        Path jobDir = checkpoints.resolve(jobId);
        if (!Files.isDirectory(jobDir)) {
            return -1;
        }
        Path newest = null;
        long newestN = -1;
        try (var dirs = Files.list(jobDir)) {
            for (Path p : (Iterable<Path>) dirs::iterator) {
                String name = p.getFileName().toString();
                if (name.startsWith("chk-") && Files.exists(p.resolve("_metadata"))) {
                    long n = Long.parseLong(name.substring(4));
                    if (n > newestN) {
                        newestN = n;
                        newest = p;
                    }
                }
            }
        }
        if (newest == null) {
            return -1;
        }
        try (var files = Files.walk(newest)) {
            return files.filter(Files::isRegularFile)
                    .mapToLong(
                            f -> {
                                try {
                                    return Files.size(f);
                                } catch (java.io.IOException e) {
                                    return 0; // subsumed and deleted meanwhile
                                }
                            })
                    .sum();
        }
    }

    /** The job's settings for run {@code run}: fresh topics, the production defaults otherwise. */
    private JobSettings settings(String run) {
        org.apache.flink.configuration.Configuration c =
                KafkaRun.options(
                                kafka,
                                bundleDir,
                                parallelism,
                                "capacity",
                                "capacity-sensor-" + run,
                                run)
                        .set(FmstreamOptions.WINDOW_PHASE, phase);
        jobOptions.forEach(c::setString);
        return JobSettings.from(c);
    }

    /** The id of the generator's device {@code d}. */
    private static String deviceId(int d) {
        return "device-" + d;
    }

    /** The devices: each second, every device's chunk of the second before, spread evenly. */
    private final class Generator extends Thread {
        final String topic;
        final int devices;
        final long startMicros;
        final long endMicros;
        final AtomicLong sent = new AtomicLong();
        final AtomicLong sendFailures = new AtomicLong();
        volatile Throwable failure;
        volatile long cpuAtEnd = -1;

        Generator(String topic, int devices, long startMicros, long endMicros) {
            super("capacity-generator");
            setDaemon(true);
            this.topic = topic;
            this.devices = devices;
            this.startMicros = startMicros;
            this.endMicros = endMicros;
        }

        @Override
        public void run() {
            Properties p = new Properties();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
            p.put(ProducerConfig.CLIENT_ID_CONFIG, "capacity-generator");
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
            p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
            RecordCodec<SensorChunk> codec = RecordCodec.forType(SensorChunk.class);
            byte[][] keys = new byte[devices][];
            for (int d = 0; d < devices; d++) {
                keys[d] = deviceId(d).getBytes(StandardCharsets.UTF_8);
            }
            try (KafkaProducer<byte[], byte[]> producer =
                    new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
                for (long s = 0; startMicros + (s + 1) * 1_000_000L <= endMicros; s++) {
                    // The chunk of [start + s, start + s + 1) leaves each device after it ends,
                    // devices spread evenly over the following second.
                    long secondEndNanos = microsToNanoClock(startMicros + (s + 1) * 1_000_000L);
                    for (int d = 0; d < devices; d++) {
                        sleepUntilNanos(secondEndNanos + (long) d * 1_000_000_000L / devices);
                        SensorChunk t =
                                templates[d % TEMPLATE_DEVICES][(int) (s % TEMPLATE_SECONDS)];
                        SensorChunk c =
                                SensorChunk.newBuilder(t)
                                        .setDeviceId(deviceId(d))
                                        .setFirstSampleTimeMicros(startMicros + s * 1_000_000L)
                                        .setFirstSampleIndex(s * RATE_HZ)
                                        .setSamples(t.getSamples().duplicate())
                                        .build();
                        // A send that fails is counted: the fleet was not offered in full, and
                        // the run must not pass as measuring it (they were dropped unseen).
                        producer.send(
                                new ProducerRecord<>(topic, keys[d], codec.encode(c)),
                                (m, e) -> {
                                    if (e != null) {
                                        sendFailures.incrementAndGet();
                                    }
                                });
                        sent.incrementAndGet();
                    }
                }
                producer.flush();
                if (sendFailures.get() > 0) {
                    throw new IllegalStateException(
                            sendFailures.get() + " of " + sent.get() + " chunks failed to send");
                }
                // Read while the producer's I/O thread is still alive: a finished thread has no
                // CPU time to read.
                cpuAtEnd = cpuNanos(ManagementFactory.getThreadMXBean());
            } catch (Throwable e) {
                failure = e;
            }
        }

        /** CPU time of the generator and its producer, also after both finished. */
        long cpuNanos(ThreadMXBean mx) {
            if (cpuAtEnd >= 0) {
                return cpuAtEnd;
            }
            // The generator and its producer's I/O thread (client id capacity-generator).
            return threadsCpuNanos(mx, getName());
        }
    }

    /**
     * A consumer of the predictions: written ({@code read_uncommitted}, each record's send time) or
     * committed ({@code read_committed}, when it was read).
     */
    private final class Reader extends Thread {
        final String topic;
        final boolean committed;
        final long measureFromMicros;
        final AtomicBoolean stop = new AtomicBoolean();

        /** Per window seen first: {window end micros, lag seconds, write time millis}. */
        final List<double[]> windows = new ArrayList<>();

        final Set<String> seen = new HashSet<>();

        /** Every prediction's write (or read) time and latency; guarded by this. */
        final LatencyTail.Samples samples = new LatencyTail.Samples();

        Reader(String topic, boolean committed, long measureFromMicros) {
            super("capacity-reader-" + (committed ? "committed" : "written"));
            setDaemon(true);
            this.topic = topic;
            this.committed = committed;
            this.measureFromMicros = measureFromMicros;
        }

        @Override
        public void run() {
            Properties p = new Properties();
            p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
            p.put(
                    ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                    committed ? "read_committed" : "read_uncommitted");
            p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            p.put(ConsumerConfig.CLIENT_ID_CONFIG, getName());
            RecordCodec<Prediction> codec = RecordCodec.forType(Prediction.class);
            try (KafkaConsumer<byte[], byte[]> c =
                    new KafkaConsumer<>(
                            p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                List<TopicPartition> parts = new ArrayList<>();
                while (parts.isEmpty() && !stop.get()) {
                    List<PartitionInfo> infos = c.partitionsFor(topic, Duration.ofSeconds(10));
                    for (PartitionInfo i : infos) {
                        parts.add(new TopicPartition(topic, i.partition()));
                    }
                }
                c.assign(parts);
                c.seekToBeginning(parts);
                while (!stop.get()) {
                    for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(100))) {
                        long now = System.currentTimeMillis();
                        Prediction pr = codec.decode(r.value());
                        if (pr.getScope() != PredictionScope.WINDOW
                                || pr.getWindowStartMicros() < measureFromMicros) {
                            continue;
                        }
                        long at = committed ? now : r.timestamp();
                        synchronized (this) {
                            samples.add(at, (at - pr.getNewestChunkAppendTimeMillis()) / 1e3);
                            if (seen.add(pr.getDeviceId() + "@" + pr.getWindowStartMicros())) {
                                windows.add(
                                        new double[] {
                                            pr.getWindowEndMicros(),
                                            (at * 1000.0 - pr.getWindowEndMicros()) / 1e6,
                                            at
                                        });
                            }
                        }
                    }
                }
            } catch (Exception e) {
                throw new IllegalStateException("capacity reader of " + topic, e);
            }
        }

        void finish() throws InterruptedException {
            stop.set(true);
            join(30_000);
        }

        synchronized List<double[]> lagsOfWindowsEndingIn(long fromMicros, long toMicros) {
            List<double[]> out = new ArrayList<>();
            for (double[] w : windows) {
                if (w[0] >= fromMicros && w[0] <= toMicros) {
                    out.add(w);
                }
            }
            return out;
        }

        synchronized double[] latencies() {
            return samples.sortedLatencies();
        }

        long cpuNanos(ThreadMXBean mx) {
            return threadsCpuNanos(mx, getName());
        }
    }

    /** CPU time of the live threads whose name contains {@code name} (a client and its I/O). */
    private static long threadsCpuNanos(ThreadMXBean mx, String name) {
        long n = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().contains(name)) {
                n += Math.max(0, mx.getThreadCpuTime(t.getId()));
            }
        }
        return n;
    }

    /**
     * Least-squares slope of lag (seconds) against the window's end (seconds): positive when the
     * job falls further behind as the run goes on.
     */
    static double slope(List<double[]> lags) {
        int n = lags.size();
        if (n < 2) {
            return 0;
        }
        double mx = 0;
        double my = 0;
        for (double[] l : lags) {
            mx += l[0] / 1e6;
            my += l[1];
        }
        mx /= n;
        my /= n;
        double sxy = 0;
        double sxx = 0;
        for (double[] l : lags) {
            double dx = l[0] / 1e6 - mx;
            sxy += dx * (l[1] - my);
            sxx += dx * dx;
        }
        return sxx == 0 ? 0 : sxy / sxx;
    }

    /** Nearest-rank percentile of sorted {@code v} (NaN when empty). */
    static double percentile(double[] v, double q) {
        if (v.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(q * v.length) - 1;
        return v[Math.max(0, Math.min(v.length - 1, i))];
    }

    /** Windows of one device (grid phase {@code phase}) whose ends lie in [firstEnd, lastEnd]. */
    static int windowsEndingIn(
            long firstEnd, long lastEnd, long windowMicros, long hopMicros, long phase) {
        int n = 0;
        for (long e = ceilTo(firstEnd - windowMicros - phase, hopMicros) + phase + windowMicros;
                e <= lastEnd;
                e += hopMicros) {
            n++;
        }
        return n;
    }

    private static long ceilTo(long v, long step) {
        return Math.floorDiv(v + step - 1, step) * step;
    }

    /** Wall-clock micros to the System.nanoTime() clock, for precise pacing. */
    private static long microsToNanoClock(long micros) {
        return System.nanoTime() + (micros * 1000 - System.currentTimeMillis() * 1_000_000L);
    }

    private static void sleepUntilMicros(long micros) throws InterruptedException {
        long ms = micros / 1000 - System.currentTimeMillis();
        if (ms > 0) {
            Thread.sleep(ms);
        }
    }

    private static void sleepUntilNanos(long nanoClock) throws InterruptedException {
        long wait = nanoClock - System.nanoTime();
        if (wait > 200_000) {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
    }

    private static long rssBytes() {
        long kb = io.fmstream.tools.cluster.Soak.rssKb(ProcessHandle.current().pid());
        return kb > 0 ? kb * 1024 : -1;
    }

    @Override
    public void close() throws Exception {
        kafka.close();
    }
}
