package io.fmstream.tools;

import io.fmstream.data.replay.RecordChunker;
import io.fmstream.data.sim.ChunkTemplates;
import io.fmstream.data.sim.DeviceUplink;
import io.fmstream.data.sim.SimulatedChunk;
import io.fmstream.data.sim.SimulatedFleet;
import io.fmstream.schemas.GroundTruth;
import io.fmstream.schemas.SensorChunk;
import io.fmstream.schemas.codec.RecordCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Streams a fleet of simulated ECG wearables into the sensor topic, with ground truth, in real time
 * or accelerated; or, with {@code --load-chunks}, fills the topic as fast as possible from
 * pre-generated templates and reports its own CPU time.
 */
@Command(
        name = "simulate",
        mixinStandardHelpOptions = true,
        description = {
            "Publish a simulated wearable fleet (SensorChunk) and its ground truth (GroundTruth) to"
                    + " Kafka.",
            "Each device follows a scenario drawn from the seed: normal sinus rhythm, atrial"
                + " fibrillation or frequent PVCs at 40-180 bpm, with baseline wander, muscle and"
                + " electrode-motion noise of known level, drop-outs and offline periods whose"
                + " backlog is uploaded late. Same seed, same bytes."
        })
public final class SimulateCommand implements Callable<Integer> {

    @Mixin ProducerOptions producer;

    @Mixin LinkFaultOptions faults;

    @Option(
            names = "--devices",
            defaultValue = "10",
            description = "Number of devices (default: ${DEFAULT-VALUE}).")
    int devices;

    @Option(
            names = "--seed",
            defaultValue = "1",
            description = "Fleet seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(
            names = "--chunk-seconds",
            defaultValue = "1.0",
            description = "Seconds of signal per chunk (default: ${DEFAULT-VALUE}).")
    double chunkSeconds;

    @Option(
            names = "--speed",
            defaultValue = "1.0",
            description = "Simulated seconds per wall-clock second (default: ${DEFAULT-VALUE}).")
    double speed;

    @Option(
            names = "--duration",
            defaultValue = "PT10M",
            description = "Simulated time, ISO-8601 (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(
            names = "--start",
            description =
                    "Device time at which the fleet starts, ISO-8601 (default: rebased so the"
                        + " simulated span ends no later than it is sent). With a fixed start, the"
                        + " same seed gives the same bytes.")
    java.time.Instant start;

    @Option(
            names = "--metrics-port",
            defaultValue = "9400",
            description =
                    "Port of the simulator's Prometheus endpoint; 0 = off (default:"
                            + " ${DEFAULT-VALUE}).")
    int metricsPort;

    @Option(
            names = "--load-chunks",
            description = "Load mode: send this many chunks from templates as fast as possible.")
    Long loadChunks;

    @Option(
            names = "--progress-every",
            defaultValue = "5",
            description = "Seconds between progress lines (default: ${DEFAULT-VALUE}).")
    double progressEvery;

    @Override
    public Integer call() throws Exception {
        if (!(speed > 0) || devices < 1) {
            throw new IllegalArgumentException("--speed must be > 0 and --devices >= 1");
        }
        try (KafkaPublisher publisher = producer.openPublisher();
                SimulatorMetrics metrics = new SimulatorMetrics(metricsPort, publisher)) {
            if (metricsPort > 0) {
                System.out.printf(
                        "simulate: metrics at http://localhost:%d/metrics%n", metricsPort);
            }
            return loadChunks != null ? load(publisher) : stream(publisher, metrics);
        }
    }

    private int stream(KafkaPublisher publisher, SimulatorMetrics metrics)
            throws InterruptedException {
        long durationMicros = duration.toNanos() / 1000;
        long simStart =
                start != null
                        ? start.getEpochSecond() * 1_000_000L + start.getNano() / 1000
                        : RecordChunker.rebasedStartMicros(
                                System.currentTimeMillis() * 1000L,
                                durationMicros / 1e6,
                                speed,
                                5_000_000L);
        long simEnd = simStart + durationMicros;
        SimulatedFleet fleet =
                faults.apply(
                        SimulatedFleet.generate(
                                devices, seed, simStart, chunkSeconds, durationMicros),
                        seed,
                        durationMicros);
        String source = "simulator seed=" + seed;
        long wallStart = System.nanoTime();
        long lastProgress = wallStart;
        long sent = 0;
        long backlogged = 0;
        while (true) {
            long simNow =
                    Math.min(
                            simEnd,
                            simStart + (long) ((System.nanoTime() - wallStart) / 1000.0 * speed));
            List<SimulatedChunk> ready = fleet.poll(simNow);
            List<SensorChunk> chunks = new ArrayList<>(ready.size());
            List<GroundTruth> truths = new ArrayList<>(ready.size());
            for (SimulatedChunk c : ready) {
                chunks.add(c.chunk());
                truths.add(Truths.toAvro(c.truth(), source));
                if (c.backlogged()) {
                    backlogged++;
                }
            }
            publisher.publishChunks(chunks);
            publisher.publishTruth(truths);
            sent += ready.size();
            updateGauges(fleet, simNow, metrics);
            if (System.nanoTime() - lastProgress >= progressEvery * 1e9) {
                lastProgress = System.nanoTime();
                System.out.printf(
                        "simulate: %d devices, %.0f/%.0f s simulated, %d chunks sent (%d from"
                                + " backlogs), %d records acknowledged%n",
                        devices,
                        (simNow - simStart) / 1e6,
                        durationMicros / 1e6,
                        sent,
                        backlogged,
                        publisher.acknowledged());
            }
            if (simNow >= simEnd) {
                break;
            }
            Thread.sleep(100);
        }
        publisher.flush();
        System.out.printf(
                "simulate: done, %d devices, %s simulated, %d chunks sent, %d still held by offline"
                        + " devices%n",
                devices, duration, sent, (long) metrics.backlog.get());
        return 0;
    }

    private static void updateGauges(SimulatedFleet fleet, long simNow, SimulatorMetrics metrics) {
        int online = 0;
        long held = 0;
        for (DeviceUplink u : fleet.uplinks()) {
            long offset = simNow - u.device().startTimeMicros();
            boolean offline =
                    u.device().isScenarioDriven()
                            && u.device().scenario().offlineUntil(offset) > offset;
            if (!offline) {
                online++;
            }
            long k = u.nextChunkIndex();
            while (u.recordedAtMicros(k) <= simNow) {
                long release = u.releaseAtMicros(k);
                if (release == Long.MAX_VALUE) {
                    k++; // lost or never recorded: not held, and never sent
                    continue;
                }
                if (release <= simNow) {
                    break; // due: send times never decrease, so nothing after it is held
                }
                held++;
                k++;
            }
        }
        metrics.devicesOnline.set(online);
        metrics.backlog.set(held);
    }

    /**
     * Load mode: template chunks as fast as the producer takes them; reports the generator's own
     * CPU.
     */
    private int load(KafkaPublisher publisher) {
        long n = loadChunks;
        ChunkTemplates templates =
                ChunkTemplates.generate(seed, Math.min(devices, 32), chunkSeconds, 60);
        RecordCodec<SensorChunk> codec = RecordCodec.forType(SensorChunk.class);
        long perDevice = (n + devices - 1) / devices;
        long streamStart =
                System.currentTimeMillis() * 1000L
                        - Math.round((perDevice + 1) * chunkSeconds * 1e6);
        String[] ids = new String[devices];
        for (int d = 0; d < devices; d++) {
            ids[d] = String.format(java.util.Locale.ROOT, "load-%05d", d);
        }
        double cpuBefore = SimulatorMetrics.processCpuSeconds();
        long wallBefore = System.nanoTime();
        for (long i = 0; i < n; i++) {
            int d = (int) (i % devices);
            SensorChunk c = templates.emit(d % templates.size(), ids[d], i / devices, streamStart);
            publisher.publishEncoded(ids[d], codec.encode(c));
        }
        publisher.flush();
        double wall = (System.nanoTime() - wallBefore) / 1e9;
        double cpu = SimulatorMetrics.processCpuSeconds() - cpuBefore;
        System.out.printf(
                "simulate: load, %d chunks (%d devices) in %.2f s = %.0f chunks/s; simulator CPU"
                        + " %.2f s (%.0f%% of one core)%n",
                publisher.acknowledged(), devices, wall, n / wall, cpu, 100 * cpu / wall);
        return 0;
    }
}
