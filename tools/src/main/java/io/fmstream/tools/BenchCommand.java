package io.fmstream.tools;

import io.fmstream.core.model.BundleManifest;
import io.fmstream.core.records.SourceRef;
import io.fmstream.data.RepositoryLayout;
import io.fmstream.job.FmstreamJob;
import io.fmstream.job.FmstreamOptions;
import io.fmstream.job.JobSettings;
import io.fmstream.tools.bench.BenchInputs;
import io.fmstream.tools.bench.EncoderRoof;
import io.fmstream.tools.bench.FanOutRun;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.RemoteStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Promise 2 measured: the encoder runs once per window however many tasks read it.
 *
 * <p>For each task count N the same simulated input goes through two jobs on one local Flink
 * cluster, alternately, several rounds:
 *
 * <ul>
 *   <li><b>fmstream</b>: the production topology ({@link FmstreamJob#build}): one micro-batched
 *       encoder, N heads reading its embedding;
 *   <li><b>one model per task</b>: what a competent team without a shared encoder deploys: the same
 *       decode, validation and window assembly, then N independent task models, each its own
 *       micro-batched encoder (same batch size, same ONNX Runtime threads) and head.
 * </ul>
 *
 * Both must produce the same predictions (same keys, values within 1e-4), which the command checks
 * before it reports a figure. The encoder's roof (the encoder alone on ready windows, with the
 * job's batch size, slots and ONNX Runtime threads) is measured in the same run, so the job's
 * efficiency is a ratio too. Heads beyond the bundle's own are copies of them under new task names:
 * a head's cost does not depend on what it was trained for.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description =
                "Benchmark: fmstream's shared encoder vs one model per task, and the encoder's"
                        + " roof.")
public final class BenchCommand implements Callable<Integer> {

    @Option(
            names = "--tasks",
            split = ",",
            defaultValue = "1,3,8",
            description = "Task counts to compare (default: ${DEFAULT-VALUE}).")
    List<Integer> taskCounts;

    @Option(
            names = "--devices",
            defaultValue = "20",
            description = "Simulated devices (default: ${DEFAULT-VALUE}).")
    int devices;

    @Option(
            names = "--seconds",
            defaultValue = "500",
            description =
                    "Simulated seconds per device (default: ${DEFAULT-VALUE}; 20 x 500 s = 1980"
                            + " windows).")
    int seconds;

    @Option(
            names = "--rounds",
            defaultValue = "3",
            description = "Alternating rounds; the median is reported (default: ${DEFAULT-VALUE}).")
    int rounds;

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

    @Spec CommandSpec spec;

    private PrintWriter out;

    @Override
    public Integer call() throws Exception {
        if (taskCounts.isEmpty()
                || taskCounts.stream().anyMatch(n -> n < 1)
                || rounds < 1
                || devices < 1
                || seconds < 20
                || parallelism < 1) {
            throw new IllegalArgumentException(
                    "--tasks must be >= 1 each, --rounds/--devices/--parallelism >= 1, --seconds >="
                            + " 20");
        }
        out = spec.commandLine().getOut();
        Path bundleDir = bundle != null ? bundle : RepositoryLayout.defaultBundle();
        List<SourceRef> input = BenchInputs.simulatedInput(devices, seconds);
        out.printf(
                Locale.ROOT,
                "bench: bundle %s, %d devices x %d s (%d chunks), parallelism %d, %d cores, %d"
                        + " round(s)%n",
                bundleDir,
                devices,
                seconds,
                input.size(),
                parallelism,
                Runtime.getRuntime().availableProcessors(),
                rounds);

        // The job's resources: its micro-batch size, one caller per slot, ONNX Runtime threads =
        // cores / slots.
        int batch = settings(bundleDir).batchSize;
        int threadsPerSlot = Math.max(1, Runtime.getRuntime().availableProcessors() / parallelism);
        double roof = EncoderRoof.measure(bundleDir, batch, parallelism, threadsPerSlot);
        out.printf(
                Locale.ROOT,
                "bench: encoder roof (encoder alone on ready windows, batch %d, %d callers x %d"
                        + " ONNX Runtime thread(s)): %.0f windows/s%n",
                batch,
                parallelism,
                threadsPerSlot,
                roof);
        Path scratch = Files.createTempDirectory("fmstream-bench-");
        try (MiniCluster cluster = localCluster(scratch)) {
            StreamExecutionEnvironment env = environment(cluster);
            List<String[]> rows = new ArrayList<>();
            for (int n : taskCounts) {
                Path nBundle =
                        BenchInputs.bundleWithTasks(bundleDir, n, scratch.resolve("bundle-" + n));
                JobSettings settings = settings(nBundle);
                BundleManifest manifest = FmstreamJob.readManifest(settings.bundleUri);
                FmstreamJob.configure(env, settings);
                double[] shared = new double[rounds];
                double[] perTask = new double[rounds];
                int windows = -1;
                for (int r = 0; r < rounds; r++) {
                    FanOutRun.Result a = FanOutRun.run(env, input, settings, manifest, true);
                    FanOutRun.Result b = FanOutRun.run(env, input, settings, manifest, false);
                    FanOutRun.checkSamePredictions(a, b, n);
                    windows = a.windows();
                    shared[r] = a.seconds();
                    perTask[r] = b.seconds();
                    out.printf(
                            Locale.ROOT,
                            "bench: N=%d round %d: fmstream %.1f s (job %.1f s), one model per task"
                                    + " %.1f s (job %.1f s); %d windows, %d predictions each,"
                                    + " identical%n",
                            n,
                            r + 1,
                            a.seconds(),
                            a.wallSeconds(),
                            b.seconds(),
                            b.wallSeconds(),
                            a.windows(),
                            a.predictions().size());
                }
                double s = median(shared);
                double p = median(perTask);
                rows.add(
                        new String[] {
                            String.valueOf(n),
                            String.valueOf(windows),
                            String.format(Locale.ROOT, "%.0f", windows / s),
                            String.format(Locale.ROOT, "%.0f", windows / p),
                            String.format(Locale.ROOT, "%.2fx", p / s),
                            String.format(Locale.ROOT, "%.0f %%", 100 * windows / s / roof)
                        });
            }
            out.println();
            out.println(
                    "| tasks | windows | fmstream windows/s | one model per task windows/s |"
                            + " fmstream speed-up | fmstream / encoder roof |");
            out.println("|---|---|---|---|---|---|");
            for (String[] row : rows) {
                out.println("| " + String.join(" | ", row) + " |");
            }
            out.printf(
                    Locale.ROOT,
                    "%nencoder roof: %.0f windows/s. Rates: windows / time from the job's first"
                        + " output to its last (job start and model loading excluded), median of %d"
                        + " alternating round(s).%n",
                    roof,
                    rounds);
            return 0;
        } finally {
            Scratch.deleteRecursively(scratch);
        }
    }

    private JobSettings settings(Path bundleDir) {
        Configuration c = new Configuration();
        c.set(FmstreamOptions.BUNDLE, bundleDir.toUri().toString());
        // Required setting, never used: the benchmark's input and output stay in memory, so that
        // both topologies are measured without a broker's share of the two cores.
        c.set(FmstreamOptions.BOOTSTRAP_SERVERS, "unused:9092");
        // Bounded runs end with their input; checkpoints would only add noise to the timing.
        c.set(FmstreamOptions.CHECKPOINT_INTERVAL, Duration.ofMinutes(30));
        return JobSettings.from(c);
    }

    /**
     * One local cluster for every run, so that no run pays for (or races) a cluster's start and
     * stop.
     */
    private MiniCluster localCluster(Path scratch) throws Exception {
        Configuration conf = new Configuration();
        conf.setString("io.tmp.dirs", scratch.resolve("io").toString());
        conf.set(RestOptions.PORT, 0);
        MiniCluster cluster =
                new MiniCluster(
                        new MiniClusterConfiguration.Builder()
                                .setConfiguration(conf)
                                .setNumTaskManagers(1)
                                .setNumSlotsPerTaskManager(parallelism)
                                .build());
        cluster.start();
        return cluster;
    }

    private StreamExecutionEnvironment environment(MiniCluster cluster) throws Exception {
        URI rest = cluster.getRestAddress().get();
        // The job's classes are on this JVM's classpath, which the in-process cluster shares: no
        // jar to ship.
        StreamExecutionEnvironment env =
                new RemoteStreamEnvironment(rest.getHost(), rest.getPort(), new Configuration());
        env.setParallelism(parallelism);
        return env;
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
