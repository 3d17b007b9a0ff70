package io.fmstream.tools;

import io.fmstream.core.sim.HeartRateProfile;
import io.fmstream.core.sim.SimulatedDevice;
import io.fmstream.schemas.SensorChunk;

import java.util.ArrayList;
import java.util.List;

/**
 * A deterministic fleet of simulated wearables that emits each device's chunks once the
 * simulated clock has passed their last sample, as a real device uploads what it has recorded.
 */
public final class DeviceFleet {

    private final List<SimulatedDevice> devices = new ArrayList<>();
    private final double chunkSeconds;

    /**
     * @param count number of devices, ids {@code device-000}, {@code device-001}, ...
     * @param rates native sample rates, assigned round-robin
     * @param startMicros device time of every stream's first sample
     */
    public DeviceFleet(int count, double[] rates, long seed, long startMicros, double chunkSeconds) {
        if (count < 1 || rates.length == 0 || !(chunkSeconds > 0)) {
            throw new IllegalArgumentException("need >= 1 device, >= 1 rate and a positive chunk length");
        }
        this.chunkSeconds = chunkSeconds;
        for (int i = 0; i < count; i++) {
            double bpm = 50 + (i * 37) % 100; // spread over 50-149 bpm
            devices.add(new SimulatedDevice(String.format("device-%03d", i), seed + i, rates[i % rates.length],
                    startMicros, HeartRateProfile.resting(bpm)));
        }
    }

    public List<SimulatedDevice> devices() {
        return devices;
    }

    /** Every chunk whose samples all lie before {@code nowMicros}, in time order per device. */
    public List<SensorChunk> chunksUntil(long nowMicros) {
        List<SensorChunk> out = new ArrayList<>();
        for (SimulatedDevice d : devices) {
            int n = (int) Math.round(chunkSeconds * d.sampleRateHz());
            while (d.sampleTimeMicros(d.sampleIndex() + n) <= nowMicros) {
                out.add(d.nextChunk(n));
            }
        }
        return out;
    }
}
