/**
 * Deterministic synthetic biosignals for tests and the {@code simulate} command.
 *
 * <p>Every generated sample is a pure function of the device's seed, its parameters and the sample
 * index, so a stream can be regenerated bit for bit, chunked any way, and compared against the
 * ground truth (beat times, heart rate) the generator exposes.
 */
package io.fmstream.core.sim;
