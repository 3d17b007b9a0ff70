package io.fmstream.data.sim;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A deterministic fleet of simulated wearables with ground truth: N devices, each with its own
 * seed, native sample rate and {@link Scenario} derived from one fleet seed, each behind a {@link
 * DeviceUplink} that applies its drop-outs and offline periods. A driver advances simulated time
 * and asks {@link #poll} for what the devices send by then.
 *
 * <p>Same fleet seed and parameters, same devices, same scenarios, same chunk bytes and ground
 * truth, whatever the poll times (polling only decides which poll returns a chunk, not its
 * content). Devices are independent, so a fleet can also be assembled from explicitly built uplinks
 * (tests). Not thread-safe.
 */
public final class SimulatedFleet {

    /**
     * Native sample rates of the simulated wearables, Hz (the rates of the common ECG databases).
     */
    public static final List<Double> NATIVE_RATES_HZ = List.of(128.0, 250.0, 300.0, 360.0, 500.0);

    private static final long STREAM_DEVICE = 0xDE1CEL;
    private static final long STREAM_RATE = 0x4A7EL;
    private static final long STREAM_FAULTS = 0xFA017L;
    private static final long STREAM_SPOT = 0x5B075L;

    /** Fleet order: poll results are ordered by it at equal send times. */
    private final List<DeviceUplink> uplinks;

    private final Map<String, DeviceUplink> byId = new LinkedHashMap<>();
    private final Map<String, Integer> position = new LinkedHashMap<>();

    /**
     * A fleet from explicitly built uplinks.
     *
     * @throws IllegalArgumentException if it is empty or two uplinks share a device id
     */
    public SimulatedFleet(List<DeviceUplink> uplinks) {
        if (uplinks.isEmpty()) {
            throw new IllegalArgumentException("a fleet needs at least one device");
        }
        this.uplinks = List.copyOf(uplinks);
        for (DeviceUplink u : this.uplinks) {
            if (byId.put(u.deviceId(), u) != null) {
                throw new IllegalArgumentException("duplicate device id " + u.deviceId());
            }
            position.put(u.deviceId(), position.size());
        }
    }

    /**
     * {@code deviceCount} devices with ids {@code sim-00000}, {@code sim-00001}, ...; device i has
     * seed {@code derive(fleetSeed, i)}, a rate drawn from {@link #NATIVE_RATES_HZ}, a scenario
     * {@linkplain Scenario#generate generated} from its seed for {@code scenarioMicros}, and chunks
     * of {@code round(chunkSeconds × rate)} samples. Every stream starts at {@code startMicros}.
     */
    public static SimulatedFleet generate(
            int deviceCount,
            long fleetSeed,
            long startMicros,
            double chunkSeconds,
            long scenarioMicros) {
        if (deviceCount < 1
                || !(chunkSeconds > 0)
                || Double.isInfinite(chunkSeconds)
                || scenarioMicros <= 0) {
            throw new IllegalArgumentException(
                    "need >= 1 device, a positive finite chunk length and scenario duration, got "
                            + deviceCount
                            + ", "
                            + chunkSeconds
                            + ", "
                            + scenarioMicros);
        }
        long rateKey = CounterRng.derive(fleetSeed, STREAM_RATE);
        List<DeviceUplink> uplinks = new ArrayList<>(deviceCount);
        for (int i = 0; i < deviceCount; i++) {
            long seed = CounterRng.derive(CounterRng.derive(fleetSeed, STREAM_DEVICE), i);
            double rate =
                    NATIVE_RATES_HZ.get(
                            (int)
                                    Math.floorMod(
                                            CounterRng.bits(rateKey, i),
                                            (long) NATIVE_RATES_HZ.size()));
            Scenario scenario = Scenario.generate(seed, scenarioMicros);
            SimulatedDevice device =
                    new SimulatedDevice(
                            String.format(java.util.Locale.ROOT, "sim-%05d", i),
                            seed,
                            rate,
                            startMicros,
                            scenario);
            uplinks.add(new DeviceUplink(device, samplesPerChunk(chunkSeconds, rate)));
        }
        return new SimulatedFleet(uplinks);
    }

    /**
     * Gives every device {@linkplain LinkFaults#draw drawn} link faults: {@code lossFraction} of
     * chunks lost at random, and a {@code misbehavingFraction} of devices that reboot and jump
     * their clock once within {@code scenarioMicros}. Before the first poll.
     */
    public SimulatedFleet withFaults(
            long fleetSeed, double lossFraction, double misbehavingFraction, long scenarioMicros) {
        return withFaults(fleetSeed, lossFraction, misbehavingFraction, 0, scenarioMicros);
    }

    /**
     * As above, and every device's sample clock drifting by a uniform draw in {@code +-maxDriftPpm}
     * against the clock that stamps its chunks.
     */
    public SimulatedFleet withFaults(
            long fleetSeed,
            double lossFraction,
            double misbehavingFraction,
            double maxDriftPpm,
            long scenarioMicros) {
        long key = CounterRng.derive(fleetSeed, STREAM_FAULTS);
        for (int i = 0; i < uplinks.size(); i++) {
            DeviceUplink u = uplinks.get(i);
            double chunkSeconds = u.samplesPerChunk() / u.device().sampleRateHz();
            long chunks = (long) (scenarioMicros / 1e6 / chunkSeconds);
            u.withFaults(
                    LinkFaults.draw(
                            CounterRng.derive(key, i),
                            lossFraction,
                            misbehavingFraction,
                            maxDriftPpm,
                            chunks,
                            chunkSeconds));
        }
        return this;
    }

    /**
     * Makes a {@code fraction} of the devices (drawn from {@code fleetSeed}) spot-check recorders:
     * 30-60 s recordings every 2-5 minutes, each ending with an end-of-recording chunk. Before the
     * first poll.
     */
    public SimulatedFleet withSpotChecks(long fleetSeed, double fraction) {
        long key = CounterRng.derive(fleetSeed, STREAM_SPOT);
        for (int i = 0; i < uplinks.size(); i++) {
            DeviceUplink u = uplinks.get(i);
            if (u.device().isScenarioDriven() && CounterRng.uniform(key, i) < fraction) {
                double chunkSeconds = u.samplesPerChunk() / u.device().sampleRateHz();
                u.withSpotChecks(SpotChecks.draw(CounterRng.derive(key, i), chunkSeconds));
            }
        }
        return this;
    }

    static int samplesPerChunk(double chunkSeconds, double rate) {
        return (int) Math.max(1, Math.round(chunkSeconds * rate));
    }

    public List<DeviceUplink> uplinks() {
        return uplinks;
    }

    /**
     * @throws IllegalArgumentException for an unknown id
     */
    public DeviceUplink uplink(String deviceId) {
        DeviceUplink u = byId.get(deviceId);
        if (u == null) {
            throw new IllegalArgumentException("no device " + deviceId + " in the fleet");
        }
        return u;
    }

    /**
     * Every chunk sent at or before device time {@code nowMicros} and not returned before, with its
     * ground truth; ordered by send time, then fleet order, then stream order (so each device's
     * chunks are in stream order, and a backlog released at once comes out contiguous).
     */
    public List<SimulatedChunk> poll(long nowMicros) {
        List<SimulatedChunk> out = new ArrayList<>();
        for (DeviceUplink u : uplinks) {
            out.addAll(u.poll(nowMicros));
        }
        out.sort(
                Comparator.comparingLong(SimulatedChunk::releasedAtMicros)
                        .thenComparingInt(c -> position.get(c.deviceId()))
                        .thenComparingLong(SimulatedChunk::chunkIndex));
        return out;
    }

    /** Earliest device time at which some device sends its next chunk. */
    public long nextReleaseMicros() {
        long min = Long.MAX_VALUE;
        for (DeviceUplink u : uplinks) {
            min = Math.min(min, u.nextReleaseMicros());
        }
        return min;
    }
}
