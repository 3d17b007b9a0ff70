/**
 * Deterministic synthetic biosignals with ground truth, for tests, load tests and the {@code
 * simulate} command.
 *
 * <ul>
 *   <li>{@link io.fmstream.data.sim.SimulatedDevice}: one single-lead ECG wearable, driven by a
 *       {@link io.fmstream.data.sim.HeartRateProfile} (noise-free sinus rhythm) or by a {@link
 *       io.fmstream.data.sim.Scenario} (NORMAL / AF / OTHER segments with noise);
 *   <li>{@link io.fmstream.data.sim.DeviceUplink}: chunks a device's stream and applies the
 *       scenario's drop-outs and offline periods (backlogs);
 *   <li>{@link io.fmstream.data.sim.SimulatedFleet}: N such devices from one seed, polled by
 *       simulated time;
 *   <li>{@link io.fmstream.data.sim.GroundTruthSpan}: heart rate, rhythm, noise level and loss of
 *       any span;
 *   <li>{@link io.fmstream.data.sim.ChunkTemplates}: pre-generated chunks re-emitted cheaply by
 *       load generators.
 * </ul>
 *
 * <p>Every generated sample is a pure function of the device's seed, its parameters and the sample
 * index: beats come from a seeded generator drawn strictly in beat order, f waves and baseline
 * wander are closed-form functions of time, and all other randomness is counter-based (a hash of
 * seed and index). So a stream can be regenerated bit for bit, chunked any way, and compared
 * against its ground truth.
 */
package io.fmstream.data.sim;
