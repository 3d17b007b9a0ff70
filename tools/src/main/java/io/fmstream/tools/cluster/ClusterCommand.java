package io.fmstream.tools.cluster;

import io.fmstream.data.RepositoryLayout;
import io.fmstream.local.ChildJvm;
import io.fmstream.tools.JobOptionOverrides;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code fmstream cluster up|down|status}: the multi-process deployment of {@link ClusterSpec} on
 * this machine.
 */
@Command(
        name = "cluster",
        mixinStandardHelpOptions = true,
        description =
                "A real multi-process deployment on this machine: 3 Kafka nodes (KRaft, replication"
                        + " 3, min.insync.replicas 2), a standalone Flink cluster (JobManager + 2"
                        + " TaskManagers), the job jar submitted with flink run, and the simulator;"
                        + " each a separate JVM, stopped by its PID. Loopback only.",
        subcommands = {
            ClusterCommand.Up.class,
            ClusterCommand.Down.class,
            ClusterCommand.Status.class,
            ClusterCommand.SoakCommand.class
        })
public final class ClusterCommand implements Runnable {

    static final String DEFAULT_DIR = "target/cluster";

    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    static Path resolve(String dir) {
        Path p = Path.of(dir);
        return p.isAbsolute() ? p : RepositoryLayout.root().resolve(p);
    }

    @Command(
            name = "up",
            mixinStandardHelpOptions = true,
            description =
                    "Starts a fresh cluster (the folder of a previous one is wiped): Kafka, Flink,"
                            + " the job and the simulator in the background, and returns;"
                            + " `cluster down` stops them.")
    static final class Up implements Callable<Integer> {
        @Option(
                names = "--dir",
                defaultValue = DEFAULT_DIR,
                description = "Cluster folder: data, logs, PIDs (default: ${DEFAULT-VALUE}).")
        String dir;

        @Option(
                names = "--devices",
                defaultValue = "20",
                description = "Simulated devices; 0 = no simulator (default: ${DEFAULT-VALUE}).")
        int devices;

        @Option(
                names = "--seed",
                defaultValue = "1",
                description = "Simulator seed (default: ${DEFAULT-VALUE}).")
        long seed;

        @Option(
                names = "--bundle",
                description = "Model bundle folder (default: the shipped default bundle).")
        Path bundle;

        @Override
        public Integer call() throws Exception {
            Path d = resolve(dir);
            if (refuseWhileRunning(d, "cluster")) {
                return 1;
            }
            // Each `up` starts a fresh cluster: the previous run's data and logs go.
            LocalCluster.wipe(d);
            Path b = bundle != null ? bundle : RepositoryLayout.defaultBundle();
            long t = System.nanoTime();
            LocalCluster c = LocalCluster.start(d);
            try {
                String job =
                        c.submitJob(
                                LocalCluster.jobJar(RepositoryLayout.root()),
                                b.toAbsolutePath().toUri().toString(),
                                List.of());
                System.out.printf(
                        "cluster: up in %.0f s%n  kafka      %s%n  flink      http://localhost:%d"
                                + " (job %s)%n",
                        (System.nanoTime() - t) / 1e9,
                        c.kafka().bootstrapServers(),
                        c.flink().restPort(),
                        job);
                if (devices > 0) {
                    ChildJvm sim = c.startSimulator(devices, seed);
                    System.out.printf(
                            "  simulator  %d devices, seed %d (pid %d)%n",
                            devices, seed, sim.pid());
                }
                System.out.printf(
                        "  folder     %s (logs in log/ and flink/log/, PIDs in pids/)%n"
                                + "stop with: bin/fmstream cluster down%s%n",
                        d, dir.equals(DEFAULT_DIR) ? "" : " --dir " + dir);
                return 0;
            } catch (Exception e) {
                c.close();
                throw e;
            }
        }
    }

    @Command(
            name = "soak",
            mixinStandardHelpOptions = true,
            description =
                    "A bounded soak (not part of CI): a fresh cluster, the job and the simulator"
                            + " for --duration, a TaskManager killed with kill -9 and started"
                            + " again every --kill-every; TaskManager heap and resident memory,"
                            + " checkpoint size and duration and the sensor lag sampled into"
                            + " soak.csv, soak.md (with a growth verdict per series and, from a"
                            + " savepoint taken as the job stops, what its state holds) and"
                            + " soak.png"
                            + " under --out. Choose --devices at about 70 %% of the fleet the"
                            + " machine serves in real time.")
    static final class SoakCommand implements Callable<Integer> {
        @Option(
                names = "--dir",
                defaultValue = "target/soak-cluster",
                description = "Cluster folder (default: ${DEFAULT-VALUE}).")
        String dir;

        @Option(
                names = "--out",
                defaultValue = "target/soak",
                description = "Where the table and plot go (default: ${DEFAULT-VALUE}).")
        String out;

        @Option(
                names = "--duration",
                defaultValue = "PT15M",
                description = "Soak length (default: ${DEFAULT-VALUE}).")
        java.time.Duration duration;

        @Option(
                names = "--kill-every",
                defaultValue = "PT5M",
                description =
                        "Period of the TaskManager kills (default: ${DEFAULT-VALUE}); one not"
                                + " shorter than --duration means none, which is how the memory"
                                + " target is measured (a restart's refill is not growth).")
        java.time.Duration killEvery;

        @Option(
                names = "--steady-after",
                defaultValue = "PT5M",
                description =
                        "Memory growth per minute is the least-squares slope from here on: a"
                                + " fresh TaskManager fills its heap, native arenas and state"
                                + " for the first minutes (default: ${DEFAULT-VALUE}).")
        java.time.Duration steadyAfter;

        @Option(
                names = "--sample-every",
                defaultValue = "PT15S",
                description = "Sampling period (default: ${DEFAULT-VALUE}).")
        java.time.Duration sampleEvery;

        @Option(
                names = "--devices",
                defaultValue = "20",
                description = "Simulated devices in real time (default: ${DEFAULT-VALUE}).")
        int devices;

        @Option(
                names = "--bundle",
                description = "Model bundle folder (default: the shipped default bundle).")
        Path bundle;

        @Option(
                names = "--taskmanager-java-option",
                description =
                        "A JVM option for the TaskManagers besides the cluster's own"
                                + " (repeatable). With -XX:NativeMemoryTracking=summary the soak"
                                + " also writes native-memory.md: the JVM's native memory by"
                                + " category at the two forced full collections.")
        List<String> taskManagerJavaOptions = new java.util.ArrayList<>();

        // To soak the job with other options than the defaults (the defaults of an earlier
        // release, say) on the same cluster; soak.md names them.
        @Mixin JobOptionOverrides jobOptions = new JobOptionOverrides();

        @Override
        public Integer call() throws Exception {
            Path d = resolve(dir);
            jobOptions.check(); // before 7 JVMs start, not at the job's submission
            if (refuseWhileRunning(d, "soak")) {
                return 1;
            }
            LocalCluster.wipe(d);
            Path b = bundle != null ? bundle : RepositoryLayout.defaultBundle();
            // A SIGTERM to the launcher alone (a script, a CI runner's timeout) skips the
            // try-with-resources: the hook stops the cluster's 7 JVMs then too, never between a
            // TaskManager's kill and its restart (Soak#stopThen).
            java.util.concurrent.atomic.AtomicReference<Soak> running =
                    new java.util.concurrent.atomic.AtomicReference<>();
            Thread stopOnExit =
                    new Thread(
                            () -> {
                                try {
                                    Soak s = running.get();
                                    if (s == null) {
                                        LocalCluster.down(d);
                                    } else {
                                        s.stopThen(() -> LocalCluster.down(d));
                                    }
                                } catch (Exception e) {
                                    System.err.println("soak: stopping the cluster: " + e);
                                }
                            },
                            "soak-cluster-down");
            Runtime.getRuntime().addShutdownHook(stopOnExit);
            try (LocalCluster c = LocalCluster.start(d, null, taskManagerJavaOptions)) {
                String job =
                        c.submitJob(
                                LocalCluster.jobJar(RepositoryLayout.root()),
                                b.toAbsolutePath().toUri().toString(),
                                jobOptions.asJobArguments());
                c.startSimulator(devices, 1);
                System.out.printf(
                        "soak: %s, %d devices, kill -9 of a TaskManager every %s (none if not"
                                + " shorter); job %s%n"
                                + "|   min | heap MB | after GC | after old-gen GC |  RSS MB |"
                                + " outside heap |  ckpt KB | ckpt ms |    lag | event |%n",
                        duration, devices, killEvery, job);
                Soak soak = new Soak(c, job, resolve(out));
                running.set(soak);
                List<Soak.Sample> samples = soak.run(duration, killEvery, sampleEvery, steadyAfter);
                if (!jobOptions.values.isEmpty()) {
                    Path md = resolve(out).resolve("soak.md");
                    Files.writeString(md, jobOptions.markdown() + Files.readString(md));
                }
                System.out.println(
                        Files.readString(resolve(out).resolve("soak.md"))
                                .lines()
                                .dropWhile(l -> !l.startsWith("Last kill cycle"))
                                .reduce("", (a, l) -> a + l + "\n"));
                System.out.printf(
                        "soak: %d samples; table and plot in %s%n", samples.size(), resolve(out));
                return 0;
            }
        }
    }

    @Command(
            name = "down",
            mixinStandardHelpOptions = true,
            description = "Stops every process of the cluster by its PID.")
    static final class Down implements Callable<Integer> {
        @Option(
                names = "--dir",
                defaultValue = DEFAULT_DIR,
                description = "Cluster folder (default: ${DEFAULT-VALUE}).")
        String dir;

        @Override
        public Integer call() throws Exception {
            List<String> stopped = LocalCluster.down(resolve(dir));
            System.out.println(
                    stopped.isEmpty()
                            ? "cluster: nothing running in " + resolve(dir)
                            : "cluster: stopped " + String.join(", ", stopped));
            return 0;
        }
    }

    @Command(
            name = "status",
            mixinStandardHelpOptions = true,
            description = "Lists the cluster's processes and whether each is running.")
    static final class Status implements Callable<Integer> {
        @Option(
                names = "--dir",
                defaultValue = DEFAULT_DIR,
                description = "Cluster folder (default: ${DEFAULT-VALUE}).")
        String dir;

        @Override
        public Integer call() {
            Path d = resolve(dir);
            List<ChildJvm> running = LocalCluster.running(d);
            for (ChildJvm p : running) {
                System.out.printf("%-14s running, pid %d%n", p.name(), p.pid());
            }
            if (running.isEmpty()) {
                System.out.println("cluster: nothing running in " + d);
            }
            return running.isEmpty() ? 1 : 0;
        }
    }

    /**
     * True (and says so) while any process of a cluster under {@code d} runs: {@code up} and {@code
     * soak} wipe the folder, whose PID files are the only way {@code down} finds the processes, so
     * wiping it under a survivor (a broker left when another died) would orphan it.
     */
    static boolean refuseWhileRunning(Path d, String command) {
        List<ChildJvm> running = LocalCluster.running(d);
        if (running.isEmpty()) {
            return false;
        }
        List<String> names = new java.util.ArrayList<>();
        for (ChildJvm p : running) {
            names.add(p.name() + " (pid " + p.pid() + ")");
        }
        System.err.println(
                command
                        + ": a cluster is running in "
                        + d
                        + ": "
                        + String.join(", ", names)
                        + "; stop it with `cluster down --dir "
                        + d
                        + "`");
        return true;
    }
}
