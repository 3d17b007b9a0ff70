package io.fmstream.tools;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.concurrent.Callable;

/** Streams a fleet of simulated ECG wearables into the sensor topic, in real time or faster. */
@Command(name = "simulate", mixinStandardHelpOptions = true,
        description = "Publish simulated ECG chunks (SensorChunk, single-object Avro) to Kafka.")
public final class SimulateCommand implements Callable<Integer> {

    @Option(names = "--bootstrap-servers", required = true, description = "Kafka bootstrap servers.")
    String bootstrapServers;

    @Option(names = "--topic", defaultValue = "fmstream.sensor-chunks.v1", description = "Sensor topic (default: ${DEFAULT-VALUE}).")
    String topic;

    @Option(names = "--devices", defaultValue = "10", description = "Number of devices (default: ${DEFAULT-VALUE}).")
    int devices;

    @Option(names = "--rates", split = ",", defaultValue = "250,360",
            description = "Native sample rates in Hz, assigned round-robin (default: ${DEFAULT-VALUE}).")
    double[] rates;

    @Option(names = "--chunk-seconds", defaultValue = "1.0", description = "Seconds of signal per chunk (default: ${DEFAULT-VALUE}).")
    double chunkSeconds;

    @Option(names = "--speed", defaultValue = "1.0",
            description = "Simulated seconds per wall-clock second (default: ${DEFAULT-VALUE}).")
    double speed;

    @Option(names = "--duration", defaultValue = "PT1M",
            description = "Simulated time to produce, ISO-8601 (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(names = "--seed", defaultValue = "1", description = "Seed: the same seed gives the same bytes (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        if (!(speed > 0)) {
            throw new IllegalArgumentException("--speed must be > 0");
        }
        long wallStart = System.currentTimeMillis();
        // Device time starts now minus the duration at speeds above real time, so no chunk is in the future.
        long simStart = (wallStart - (speed > 1 ? duration.toMillis() : 0)) * 1000L;
        simStart = Math.floorDiv(simStart, 5_000_000L) * 5_000_000L;
        DeviceFleet fleet = new DeviceFleet(devices, rates, seed, simStart, chunkSeconds);
        long simEnd = simStart + duration.toNanos() / 1000;
        long lastReport = 0;
        try (KafkaPublisher publisher = new KafkaPublisher(bootstrapServers, topic, null)) {
            while (true) {
                long elapsedWall = System.currentTimeMillis() - wallStart;
                long simNow = Math.min(simEnd, simStart + (long) (elapsedWall * 1000L * speed));
                publisher.publishChunks(fleet.chunksUntil(simNow));
                if (elapsedWall - lastReport >= 5000) {
                    lastReport = elapsedWall;
                    System.out.printf("simulate: %d devices, %.0f s simulated, %d chunks acknowledged%n",
                            devices, (simNow - simStart) / 1e6, publisher.acknowledged());
                }
                if (simNow >= simEnd) {
                    break;
                }
                Thread.sleep(100);
            }
        }
        System.out.printf("simulate: done, %d devices, %s simulated%n", devices, duration);
        return 0;
    }
}
