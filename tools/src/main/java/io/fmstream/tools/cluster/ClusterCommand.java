package io.fmstream.tools.cluster;

import io.fmstream.data.RepositoryLayout;
import io.fmstream.local.ChildJvm;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
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
            ClusterCommand.Status.class
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
            if (ChildJvm.find(d, "kafka-1").isPresent()) {
                System.err.println(
                        "cluster: already running in " + d + "; stop it with `cluster down`");
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
            int running = 0;
            for (String name : LocalCluster.STOP_ORDER) {
                for (Path f : List.of(d, d.resolve("flink"))) {
                    var p = ChildJvm.find(f, name);
                    if (p.isPresent()) {
                        running++;
                        System.out.printf("%-14s running, pid %d%n", name, p.get().pid());
                    }
                }
            }
            if (running == 0) {
                System.out.println("cluster: nothing running in " + d);
            }
            return running == 0 ? 1 : 0;
        }
    }
}
