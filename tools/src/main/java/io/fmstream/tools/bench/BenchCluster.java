package io.fmstream.tools.bench;

import java.net.URI;
import java.nio.file.Path;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.WebOptions;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.RemoteStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The benchmarks' local Flink cluster: one for every run of a command, so that no run pays for (or
 * races) a cluster's start and stop.
 */
public final class BenchCluster {

    private BenchCluster() {}

    /** Where {@link #start} puts the jobs' checkpoints. */
    public static Path checkpoints(Path scratch) {
        return scratch.resolve("checkpoints");
    }

    /** A started cluster with one TaskManager of {@code slots} slots; no restarts. */
    public static MiniCluster start(Path scratch, int slots) throws Exception {
        Configuration conf = new Configuration();
        conf.setString("io.tmp.dirs", scratch.resolve("io").toString());
        conf.set(RestOptions.PORT, 0);
        conf.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
        conf.set(RestOptions.ADDRESS, "127.0.0.1");
        // Checkpoints on disk, as on a real cluster: the JobManager's memory storage refuses a
        // checkpoint over 5 MB, which a fleet of about 900 devices reaches.
        conf.setString("execution.checkpointing.dir", checkpoints(scratch).toUri().toString());
        conf.setString("security.delegation.tokens.enabled", "false");
        // A failing run must fail the benchmark, not restart until someone notices.
        conf.setString("restart-strategy.type", "none");
        // Every checkpoint of a long capacity run, for its latency-tail attribution (LatencyTail);
        // the default keeps the last 10.
        conf.set(WebOptions.CHECKPOINTS_HISTORY_SIZE, 1000);
        // The encoder's own time in each run, read in this JVM (EncoderTimeReporter).
        EncoderTimeReporter.install(conf);
        MiniCluster cluster =
                new MiniCluster(
                        new MiniClusterConfiguration.Builder()
                                .setConfiguration(conf)
                                .setNumTaskManagers(1)
                                .setNumSlotsPerTaskManager(slots)
                                .build());
        cluster.start();
        return cluster;
    }

    /** An environment submitting to {@code cluster} at {@code parallelism}. */
    public static StreamExecutionEnvironment environment(MiniCluster cluster, int parallelism)
            throws Exception {
        URI rest = cluster.getRestAddress().get();
        // The job's classes are on this JVM's classpath, which the in-process cluster shares: no
        // jar to ship.
        StreamExecutionEnvironment env =
                new RemoteStreamEnvironment(rest.getHost(), rest.getPort(), new Configuration());
        env.setParallelism(parallelism);
        return env;
    }
}
