package io.fmstream.tools;

import io.fmstream.data.sim.LinkFaults;
import io.fmstream.data.sim.SimulatedFleet;
import picocli.CommandLine.Option;

/**
 * Realistic link and firmware faults of a simulated fleet (simulate, demo), declared once and mixed
 * in with {@code @Mixin}.
 */
final class LinkFaultOptions {

    @Option(
            names = "--loss-fraction",
            defaultValue = "0",
            description =
                    "Fraction of chunks lost at random on every device, on top of each device's"
                            + " scheduled drop-outs (default: ${DEFAULT-VALUE}).")
    double lossFraction;

    @Option(
            names = "--misbehaving-fraction",
            defaultValue = "0",
            description =
                    "Fraction of devices that reboot once (index back to 0) and jump their clock"
                            + " once by 1.5-5 s, at random times after the first minute (default:"
                            + " ${DEFAULT-VALUE}).")
    double misbehavingFraction;

    @Option(
            names = "--clock-drift-ppm",
            defaultValue = "0",
            description =
                    "Every device's sample clock runs off by a uniform draw in +-this many ppm"
                            + " against the synchronised clock that stamps its chunks, as real"
                            + " crystals do (tens of ppm; at most 10000, an RC oscillator's 1 %;"
                            + " default: ${DEFAULT-VALUE}).")
    double clockDriftPpm;

    @Option(
            names = "--spot-check-fraction",
            defaultValue = "0",
            description =
                    "Fraction of devices that record only 30-60 s every 2-5 minutes, each"
                            + " recording from index 0 and ended by an end-of-recording chunk"
                            + " (default: ${DEFAULT-VALUE}).")
    double spotCheckFraction;

    SimulatedFleet apply(SimulatedFleet fleet, long seed, long scenarioMicros) {
        if (!(lossFraction >= 0 && lossFraction < 1)
                || !(misbehavingFraction >= 0 && misbehavingFraction <= 1)) {
            throw new IllegalArgumentException(
                    "--loss-fraction must be in [0, 1) and --misbehaving-fraction in [0, 1], got "
                            + lossFraction
                            + " and "
                            + misbehavingFraction);
        }
        if (!(spotCheckFraction >= 0 && spotCheckFraction <= 1)) {
            throw new IllegalArgumentException(
                    "--spot-check-fraction must be in [0, 1], got " + spotCheckFraction);
        }
        if (spotCheckFraction > 0) {
            fleet.withSpotChecks(seed, spotCheckFraction);
        }
        if (!(clockDriftPpm >= 0 && clockDriftPpm <= LinkFaults.MAX_DRIFT_PPM)) {
            throw new IllegalArgumentException(
                    "--clock-drift-ppm must be in [0, "
                            + (long) LinkFaults.MAX_DRIFT_PPM
                            + "], got "
                            + clockDriftPpm);
        }
        if (lossFraction == 0 && misbehavingFraction == 0 && clockDriftPpm == 0) {
            return fleet;
        }
        return fleet.withFaults(
                seed, lossFraction, misbehavingFraction, clockDriftPpm, scenarioMicros);
    }
}
