package io.fmstream.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.fmstream.core.window.WindowPhase;
import io.fmstream.data.RepositoryLayout;
import io.fmstream.tools.bench.BenchCluster;
import io.fmstream.tools.bench.CapacityRun;
import io.fmstream.tools.bench.LatencyTail;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.flink.runtime.minicluster.MiniCluster;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * How many devices the job serves in real time on this machine ({@link CapacityRun}): fleets of 250
 * Hz devices produced in real time through a real broker, raised until the job no longer holds
 * them; then the latency at fractions of the largest fleet held. Not part of CI: at the defaults a
 * fleet size takes 3 x 6 minutes.
 */
@Command(
        name = "capacity",
        mixinStandardHelpOptions = true,
        description =
                "Real-time capacity through Kafka: the largest fleet of 250 Hz devices the job"
                        + " holds, and latency under load.")
public final class CapacityCommand implements Callable<Integer> {

    @Option(
            names = "--fleets",
            split = ",",
            defaultValue = "1000,2000,3000,4000,6000,8000",
            description = "Fleet sizes to try, ascending (default: ${DEFAULT-VALUE}).")
    List<Integer> fleets;

    @Option(
            names = "--warm-up",
            defaultValue = "PT60S",
            description = "Per run, before measuring (default: ${DEFAULT-VALUE}).")
    Duration warmUp;

    @Option(
            names = "--hold",
            defaultValue = "PT5M",
            description = "Per run, measured (default: ${DEFAULT-VALUE}).")
    Duration hold;

    @Option(
            names = "--runs",
            defaultValue = "3",
            description =
                    "Runs per fleet size; the median run decides (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(
            names = "--max-lag-p99",
            defaultValue = "5",
            description =
                    "Held: event-time lag p99 at most this, seconds (default: ${DEFAULT-VALUE}).")
    double maxLagP99;

    @Option(
            names = "--max-lag-slope",
            defaultValue = "0.002",
            description =
                    "Held: lag growing at most this many seconds per second (default:"
                            + " ${DEFAULT-VALUE}, 0.6 s over 5 min: noise, not a backlog).")
    double maxLagSlope;

    @Option(
            names = "--latency-at",
            split = ",",
            defaultValue = "0.5,0.8",
            description =
                    "After the search, runs at these fractions of the largest fleet held, for"
                            + " latency under load (default: ${DEFAULT-VALUE}).")
    List<Double> latencyAt;

    @Option(
            names = "--latency",
            negatable = true,
            defaultValue = "true",
            fallbackValue = "true",
            description =
                    "Run the latency runs after the search (default: ${DEFAULT-VALUE};"
                            + " --no-latency stops after the search, e.g. for the median-of-3"
                            + " protocol at a few sizes).")
    boolean latency;

    @Option(
            names = "--capacity",
            description =
                    "Skip the search: the largest fleet held is known (from an earlier run);"
                            + " only the latency runs at --latency-at fractions of it.")
    Integer knownCapacity;

    @Option(
            names = "--all",
            description = "Try every fleet size, not stopping at the first that is not held.")
    boolean all;

    @Option(
            names = "--parallelism",
            defaultValue = "2",
            description = "Job parallelism (default: ${DEFAULT-VALUE}).")
    int parallelism;

    @Option(
            names = "--bundle",
            description =
                    "Model bundle directory (default: " + RepositoryLayout.DEFAULT_BUNDLE + ").")
    Path bundle;

    @Option(
            names = "--window-phase",
            defaultValue = "DEVICE",
            description =
                    "The job's fmstream.window.phase: DEVICE (each device on its own phase, the"
                            + " job's default) or EPOCH (every device's windows end together);"
                            + " default: ${DEFAULT-VALUE}.")
    WindowPhase windowPhase;

    @Mixin JobOptionOverrides jobOptions = new JobOptionOverrides();

    @Option(names = "--out", description = "Write capacity.json and capacity.md here.")
    Path outDir;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        jobOptions.check();
        PrintWriter out = spec.commandLine().getOut();
        Path bundleDir = bundle != null ? bundle : RepositoryLayout.defaultBundle();
        int cores = Runtime.getRuntime().availableProcessors();
        out.printf(
                Locale.ROOT,
                "capacity: bundle %s, window phase %s, parallelism %d, %d cores; fleets %s; per run"
                        + " %s warm-up +"
                        + " %s measured, %d run(s) per fleet; held = lag p99 <= %.1f s, slope <="
                        + " %.4f s/s, no window missing%n",
                bundleDir.getFileName(),
                windowPhase,
                parallelism,
                cores,
                fleets,
                warmUp,
                hold,
                runs,
                maxLagP99,
                maxLagSlope);
        out.print(HEADER);
        out.flush();
        Path scratch = Files.createTempDirectory("fmstream-capacity-");
        List<Map<String, Object>> rows = new ArrayList<>();
        int largestHeld = 0;
        // The broker's logs (every run's topics) and the checkpoints: gigabytes over a full
        // search, so they go when the command ends, however it ends, as the bench's do.
        try (Scratch.Deleted deleted = Scratch.deletedOnClose(scratch);
                MiniCluster cluster = BenchCluster.start(scratch, parallelism);
                CapacityRun capacity =
                        CapacityRun.start(
                                scratch,
                                bundleDir,
                                parallelism,
                                BenchCluster.checkpoints(scratch),
                                windowPhase,
                                jobOptions.values)) {
            for (int devices : knownCapacity != null ? List.<Integer>of() : fleets) {
                Verdict v = fleet(capacity, cluster, devices, "search", rows, out);
                out.printf(
                        Locale.ROOT,
                        "capacity: %d devices %s (held in %d of %d undisturbed runs, %d asked)%n",
                        devices,
                        v.valid() == 0
                                ? "INCONCLUSIVE: every run disturbed"
                                : v.held() ? "HELD" : "NOT held",
                        v.heldRuns(),
                        v.valid(),
                        runs);
                out.flush();
                if (v.held()) {
                    largestHeld = devices;
                } else if (!all && v.valid() > 0) {
                    // A fleet no run could measure says nothing about the job: go on to the next
                    // rather than report the last one held as the capacity.
                    break;
                }
            }
            if (knownCapacity != null) {
                largestHeld = knownCapacity;
            }
            if (largestHeld > 0 && latency) {
                for (double f : latencyAt) {
                    int devices = (int) Math.round(largestHeld * f);
                    fleet(capacity, cluster, devices, "latency at " + f, rows, out);
                }
            }
        }
        out.printf("capacity: largest fleet held %d devices at %d Hz%n", largestHeld, 250);
        if (outDir != null) {
            write(rows, largestHeld, bundleDir, cores);
            out.printf("capacity: wrote %s%n", outDir.resolve("capacity.md"));
        }
        return 0;
    }

    /**
     * A fleet's runs together: held when most undisturbed runs held, each by every criterion (lag
     * p99, its slope, nothing missing). The verdict used to be the run with the median lag p99
     * alone: runs of {1.9 s growing, 2.0 s held, 6 s} read as held with one run of three held.
     */
    record Verdict(int valid, int heldRuns) {
        static Verdict of(List<Boolean> heldByValidRun) {
            return new Verdict(
                    heldByValidRun.size(),
                    (int) heldByValidRun.stream().filter(Boolean::booleanValue).count());
        }

        boolean held() {
            return valid > 0 && 2 * heldRuns > valid;
        }
    }

    /** {@code runs} undisturbed runs at {@code devices} (at most twice as many tried). */
    private Verdict fleet(
            CapacityRun capacity,
            MiniCluster cluster,
            int devices,
            String phase,
            List<Map<String, Object>> rows,
            PrintWriter out)
            throws Exception {
        List<CapacityRun.Result> valid = new ArrayList<>();
        int attempts = 0;
        while (valid.size() < runs && attempts < 2 * runs) {
            attempts++;
            CapacityRun.Result r =
                    capacity.run(
                            BenchCluster.environment(cluster, parallelism),
                            cluster,
                            devices,
                            warmUp,
                            hold);
            boolean disturbed = r.disturbed(0.05, Runtime.getRuntime().availableProcessors());
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("phase", phase);
            row.put("discarded", disturbed);
            row.put("held", r.held(maxLagP99, maxLagSlope));
            row.put("result", r);
            rows.add(row);
            out.print(row(row));
            out.print("  tail: " + tailRow(row));
            out.print("  bursts: " + burstRow(row));
            out.flush();
            if (!disturbed) {
                valid.add(r);
            }
        }
        return Verdict.of(valid.stream().map(r -> r.held(maxLagP99, maxLagSlope)).toList());
    }

    /** The table's header, for the console and capacity.md. */
    private static final String HEADER =
            "| phase | devices | held | lag p50 / p99 / p99.9 (s) | lag slope (s/s) | missing |"
                + " written p50 / p99 / p99.9 (s) | committed p50 / p99 / p99.9 (s) | cores: job /"
                + " generator / broker / other / steal | encoder: windows per call, mean wait ms,"
                + " cores | heap after GC / RSS (MB) | checkpoint: MB, KB per device |\n"
                + "|---|---|---|---|---|---|---|---|---|---|---|---|\n";

    /** One run as a row of the table. */
    private static String row(Map<String, Object> row) {
        CapacityRun.Result r = (CapacityRun.Result) row.get("result");
        return String.format(
                Locale.ROOT,
                "| %s%s | %d | %s | %s / %s / %s | %+.4f | %d of %d | %s / %s / %s | %s / %s / %s |"
                    + " %.2f / %.2f / %.2f / %.2f / %.2f | %.1f, %.1f, %.2f | %d / %d | %.1f, %.1f"
                    + " |%n",
                row.get("phase"),
                (Boolean) row.get("discarded")
                        ? " (discarded: other processes or steal > 5 %)"
                        : "",
                r.devices(),
                (Boolean) row.get("held") ? "yes" : "no",
                s(r.lagP50()),
                s(r.lagP99()),
                s(r.lagP999()),
                r.lagSlope(),
                r.windowsMissing(),
                r.windowsExpected(),
                s(r.writtenP50()),
                s(r.writtenP99()),
                s(r.writtenP999()),
                s(r.committedP50()),
                s(r.committedP99()),
                s(r.committedP999()),
                r.jobCores(),
                r.generatorCores(),
                r.brokerCores(),
                r.otherCores(),
                r.stealCores(),
                r.windowsPerEncoderCall(),
                r.encoderWaitMeanSeconds() * 1000,
                r.encoderCores(),
                r.heapAfterGcBytes() >> 20,
                r.rssBytes() >> 20,
                r.checkpointBytes() / 1e6,
                r.checkpointBytes() / 1e3 / r.devices());
    }

    /** The second table: where each run's slow written predictions were (LatencyTail). */
    private static final String TAIL_HEADER =
            "| phase | devices | slow: written > "
                    + String.format(Locale.ROOT, "%.3f", CapacityRun.SLOW_WRITTEN_SECONDS)
                    + " s | seconds holding half the slow | in flight across a checkpoint: slow /"
                    + " all | across a GC pause: slow / all | checkpoints: n, median / max s |"
                    + " worst subtask: barrier delay / alignment / sync / async s | GC pauses: n,"
                    + " total / max s | waiting for a core, thread-s per s: this JVM (most waiting"
                    + " threads) / broker |\n"
                    + "|---|---|---|---|---|---|---|---|---|---|\n";

    private static String tailRow(Map<String, Object> row) {
        CapacityRun.Result r = (CapacityRun.Result) row.get("result");
        LatencyTail.Result t = r.writtenTail();
        return String.format(
                Locale.ROOT,
                "| %s | %d | %d of %d (%s) | %s | %s / %s | %s / %s | %d, %s / %s | %s / %s / %s /"
                        + " %s | %d, %s / %s | %.2f (%s) / %.2f |%n",
                row.get("phase"),
                r.devices(),
                t.slow(),
                t.predictions(),
                percent(t.predictions() == 0 ? Double.NaN : (double) t.slow() / t.predictions()),
                percent(t.slowHalfInSecondsFraction()),
                percent(t.slowAcrossCheckpoint()),
                percent(t.allAcrossCheckpoint()),
                percent(t.slowAcrossGcPause()),
                percent(t.allAcrossGcPause()),
                t.checkpoints(),
                s(t.checkpointMedianSeconds()),
                s(t.checkpointMaxSeconds()),
                s(t.checkpointMaxStartDelaySeconds()),
                s(t.checkpointMaxAlignmentSeconds()),
                s(t.checkpointMaxSyncSeconds()),
                s(t.checkpointMaxAsyncSeconds()),
                t.gcPauses(),
                s(t.gcPauseTotalSeconds()),
                s(t.gcPauseMaxSeconds()),
                r.runQueueWaitThreads(),
                r.runQueueWaitByThread().entrySet().stream()
                        .limit(3)
                        .map(e -> String.format(Locale.ROOT, "%s %.2f", e.getKey(), e.getValue()))
                        .collect(java.util.stream.Collectors.joining(", ")),
                r.brokerRunQueueWaitThreads());
    }

    /** The third table: what the machine did in the seconds of the bursts (LatencyTail.Bursts). */
    private static final String BURST_HEADER =
            "| phase | devices | seconds: bursts / all | this JVM, cores | of it JIT | broker |"
                    + " other processes | steal | this JVM waiting for a core, thread-s per s |"
                    + " GC pause, ms per s | seconds with a checkpoint in flight |\n"
                    + "|---|---|---|---|---|---|---|---|---|---|---|\n";

    private static String burstRow(Map<String, Object> row) {
        CapacityRun.Result r = (CapacityRun.Result) row.get("result");
        LatencyTail.Use b = r.writtenTail().bursts().burst();
        LatencyTail.Use a = r.writtenTail().bursts().all();
        return String.format(
                Locale.ROOT,
                "| %s | %d | %d / %d | %s / %s | %s / %s | %s / %s | %s / %s | %s / %s | %s / %s |"
                        + " %s / %s | %s / %s |%n",
                row.get("phase"),
                r.devices(),
                b.seconds(),
                a.seconds(),
                cores(b.jvmCores()),
                cores(a.jvmCores()),
                cores(b.jitCores()),
                cores(a.jitCores()),
                cores(b.brokerCores()),
                cores(a.brokerCores()),
                cores(b.otherCores()),
                cores(a.otherCores()),
                cores(b.stealCores()),
                cores(a.stealCores()),
                cores(b.runQueueWaitCores()),
                cores(a.runQueueWaitCores()),
                millis(b.gcPauseMillisPerSecond()),
                millis(a.gcPauseMillisPerSecond()),
                percent(b.checkpointShare()),
                percent(a.checkpointShare()));
    }

    private static String cores(double cores) {
        return Double.isNaN(cores) ? "-" : String.format(Locale.ROOT, "%.2f", cores);
    }

    private static String millis(double millis) {
        return Double.isNaN(millis) ? "-" : String.format(Locale.ROOT, "%.1f", millis);
    }

    private static String percent(double fraction) {
        return Double.isNaN(fraction) ? "-" : String.format(Locale.ROOT, "%.1f %%", fraction * 100);
    }

    private static String s(double seconds) {
        if (Double.isNaN(seconds)) {
            return "-";
        }
        return Double.isInfinite(seconds) ? "inf" : String.format(Locale.ROOT, "%.3f", seconds);
    }

    private void write(List<Map<String, Object>> rows, int largestHeld, Path bundleDir, int cores)
            throws Exception {
        Files.createDirectories(outDir);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("bundle", bundleDir.getFileName().toString());
        json.put("windowPhase", windowPhase.name());
        json.put("jobOptions", jobOptions.forReports());
        json.put("parallelism", parallelism);
        json.put("cores", cores);
        json.put("warmUpSeconds", warmUp.toSeconds());
        json.put("holdSeconds", hold.toSeconds());
        json.put("runsPerFleet", runs);
        json.put("maxLagP99Seconds", maxLagP99);
        json.put("maxLagSlope", maxLagSlope);
        json.put("largestFleetHeld", largestHeld);
        json.put("runs", rows);
        new ObjectMapper()
                .enable(SerializationFeature.INDENT_OUTPUT)
                .writeValue(outDir.resolve("capacity.json").toFile(), sanitise(json));
        StringBuilder md = new StringBuilder();
        md.append("# Real-time capacity (`bin/fmstream capacity`)\n\n")
                .append(
                        String.format(
                                Locale.ROOT,
                                "Bundle `%s`, window phase %s, parallelism %d, %d cores; 250 Hz"
                                        + " devices, a 1 s chunk"
                                        + " each per second, produced in real time through a"
                                        + " one-node broker; %d s warm-up + %d s measured per run,"
                                        + " %d run(s) per fleet size. Held = event-time lag p99 <="
                                        + " %.1f s, slope <= %.4f s/s, no window missing.\n\n",
                                bundleDir.getFileName(),
                                windowPhase,
                                parallelism,
                                cores,
                                warmUp.toSeconds(),
                                hold.toSeconds(),
                                runs,
                                maxLagP99,
                                maxLagSlope))
                .append(jobOptions.markdown())
                .append(
                        knownCapacity != null
                                ? "**Capacity given (`--capacity`): "
                                : "**Largest fleet held: ")
                .append(largestHeld)
                .append(" devices.**\n\n")
                .append(HEADER);
        for (Map<String, Object> row : rows) {
            md.append(row(row));
        }
        md.append("\n## Where the written latency's tail was\n\n")
                .append(
                        "Each prediction was in flight from the append of its window's newest chunk"
                            + " until the job wrote it. A slow one is attributed to checkpoints (or"
                            + " to the collector's pauses; the job runs in this JVM) only if it was"
                            + " in flight across one more often than all predictions were by"
                            + " chance. Checkpoints are those triggered in the measured span, from"
                            + " trigger to the last acknowledgement.\n\n")
                .append(TAIL_HEADER);
        for (Map<String, Object> row : rows) {
            md.append(tailRow(row));
        }
        md.append("\n## What the machine did in the seconds of the bursts\n\n")
                .append(
                        "Sampled from /proc just after every whole second. \"Bursts\": the fewest"
                            + " seconds holding half the slow predictions (by the second each was"
                            + " written in) and the second before each, when those predictions were"
                            + " in flight; \"all\": every second from the first prediction written"
                            + " to the last. A cause of the bursts shows as a figure much larger in"
                            + " the bursts than in all seconds. This JVM runs the job, the"
                            + " generator and the readers.\n\n")
                .append(BURST_HEADER);
        for (Map<String, Object> row : rows) {
            md.append(burstRow(row));
        }
        Files.writeString(outDir.resolve("capacity.md"), md.toString());
    }

    /** JSON has no infinity: a percentile over missing windows is written as null. */
    private static Object sanitise(Object o) {
        if (o instanceof Map<?, ?> m) {
            Map<String, Object> copy = new LinkedHashMap<>();
            m.forEach((k, v) -> copy.put(String.valueOf(k), sanitise(v)));
            return copy;
        }
        if (o instanceof List<?> l) {
            return l.stream().map(CapacityCommand::sanitise).toList();
        }
        if (o instanceof Record r) {
            Map<String, Object> copy = new LinkedHashMap<>();
            for (var c : r.getClass().getRecordComponents()) {
                try {
                    copy.put(c.getName(), sanitise(c.getAccessor().invoke(r)));
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
            }
            return copy;
        }
        if (o instanceof Double d && (d.isInfinite() || d.isNaN())) {
            return null;
        }
        return o;
    }
}
