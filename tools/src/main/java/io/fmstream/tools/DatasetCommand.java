package io.fmstream.tools;

import io.fmstream.data.RepositoryLayout;
import io.fmstream.data.dataset.DatasetSummary;
import io.fmstream.data.dataset.WindowDatasetBuilder;
import io.fmstream.data.sim.SimulatedFleet;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Writes the encoder's training windows (an {@code .npz} for the PyTorch recipe) from simulated
 * devices and real recordings, through the job's own chunk → validate → assemble → normalise path
 * ({@link WindowDatasetBuilder}, whose Javadoc is the file's contract), and prints what it wrote.
 * Runs offline: no broker, no network.
 */
@Command(
        name = "dataset",
        mixinStandardHelpOptions = true,
        description = {
            "Write training windows (.npz) through the job's streaming window path.",
            "Simulated devices are labelled from the simulator's ground truth; records from their"
                + " annotations (.atr) or CinC 2017 REFERENCE.csv. Arrays: windows [N,1000] float32"
                + " (z-scored), missing_fraction, hr_bpm, rhythm, quality, noise_rms_mv,"
                + " rhythm_fraction, device, window_start_s, source, device_names, source_names."
        })
public final class DatasetCommand implements Callable<Integer> {

    @Option(
            names = "--out",
            required = true,
            description = "Output .npz file (parent folders are created).")
    Path out;

    @Option(
            names = "--simulated-devices",
            defaultValue = "0",
            description = "Simulated devices (default: ${DEFAULT-VALUE}).")
    int simulatedDevices;

    @Option(
            names = "--simulated-seconds",
            defaultValue = "600",
            description = "Seconds simulated per device (default: ${DEFAULT-VALUE}).")
    double simulatedSeconds;

    @Option(
            names = "--seed",
            defaultValue = "7",
            description = "Fleet seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(
            names = "--records",
            arity = "1..*",
            paramLabel = "DIR_OR_RECORD",
            description =
                    "Records (with or without .hea), scipy-mitdb208/ecg.npz, or directories (every"
                        + " record in them, recursively); relative paths are under --shared-data.")
    List<Path> records = new ArrayList<>();

    @Option(
            names = "--all-ecg-leads",
            description = "Every ECG lead of each record as its own device (default: the first).")
    boolean allEcgLeads;

    @Option(
            names = "--shared-data",
            description =
                    "The shared PhysioNet data folder (default: found by"
                            + " RepositoryLayout.sharedData()).")
    Path sharedData;

    @Option(
            names = "--compress",
            description = "Deflate the .npz entries (default: stored; ECG floats shrink little).")
    boolean compress;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (simulatedDevices < 0) {
            throw new IllegalArgumentException(
                    "--simulated-devices must be >= 0, got " + simulatedDevices);
        }
        if (simulatedDevices > 0 && !(simulatedSeconds > 0 && simulatedSeconds <= 7 * 24 * 3600)) {
            throw new IllegalArgumentException(
                    "--simulated-seconds must be in (0, 604800], got " + simulatedSeconds);
        }
        if (simulatedDevices == 0 && records.isEmpty()) {
            throw new IllegalArgumentException(
                    "nothing to do: give --simulated-devices N and/or --records");
        }
        // Resolve every input before the (long) build, so a typo fails at once.
        List<Path> inputs = new ArrayList<>();
        if (!records.isEmpty()) {
            Path base = sharedData != null ? sharedData : RepositoryLayout.sharedData();
            for (Path r : records) {
                inputs.add(resolve(base, r));
            }
        }

        PrintWriter o = spec.commandLine().getOut();
        long t0 = System.nanoTime();
        WindowDatasetBuilder builder =
                new WindowDatasetBuilder(
                        WindowDatasetBuilder.defaultSpec(),
                        line -> {
                            o.println("dataset: " + line);
                            o.flush();
                        });
        o.printf(
                Locale.ROOT,
                "dataset: %s; validation and window rules as the job's defaults%n",
                builder.spec());
        if (simulatedDevices > 0) {
            long start = WindowDatasetBuilder.RECORD_START_MICROS;
            long micros = Math.round(simulatedSeconds * 1e6);
            SimulatedFleet fleet =
                    SimulatedFleet.generate(simulatedDevices, seed, start, 1.0, micros);
            builder.addSimulatedFleet(fleet, start + micros, "seed" + seed + "/");
        }
        for (Path p : inputs) {
            builder.addPath(p, allEcgLeads);
        }
        long tWrite = System.nanoTime();
        DatasetSummary summary = builder.writeNpz(out, compress);
        long t1 = System.nanoTime();
        o.print(summary.format());
        o.printf(
                Locale.ROOT,
                "dataset: wrote %s: %d windows of %d devices, %d dropped as incomplete, %.1f MB, "
                        + "in %.1f s (build %.1f s, write %.1f s)%n",
                out.toAbsolutePath(),
                summary.windows(),
                summary.devices(),
                summary.dropped(),
                Files.size(out) / 1e6,
                (t1 - t0) / 1e9,
                (tWrite - t0) / 1e9,
                (t1 - tWrite) / 1e9);
        o.flush();
        return 0;
    }

    /**
     * An absolute path as is; a relative one under the shared data, else under the working
     * directory.
     */
    static Path resolve(Path base, Path p) {
        if (p.isAbsolute()) {
            return requireExists(p, p);
        }
        Path underBase = base.resolve(p);
        if (exists(underBase)) {
            return underBase;
        }
        if (exists(p)) {
            return p.toAbsolutePath();
        }
        throw new IllegalArgumentException(
                "no record or directory " + p + " under " + base + " or the working directory");
    }

    private static Path requireExists(Path p, Path shown) {
        if (!exists(p)) {
            throw new IllegalArgumentException("no record or directory " + shown);
        }
        return p;
    }

    /** A directory, a file, or a record named without its .hea. */
    private static boolean exists(Path p) {
        return Files.exists(p) || Files.isRegularFile(p.resolveSibling(p.getFileName() + ".hea"));
    }
}
