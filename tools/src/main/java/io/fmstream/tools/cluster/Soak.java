package io.fmstream.tools.cluster;

import io.fmstream.kafka.GroupLag;
import io.fmstream.kafka.Topics;
import io.fmstream.local.ChildJvm;
import io.fmstream.local.GcLog;
import io.fmstream.tools.state.StateReport;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.admin.Admin;

/**
 * A bounded soak of the multi-process deployment: the job and the simulator run for a fixed time
 * while a TaskManager is killed ({@code kill -9}) and started again at a fixed period, and the
 * resources that could grow without bound are sampled: TaskManager heap in use, heap left after the
 * latest garbage collection and after the latest old-generation collection (from each TaskManager's
 * GC log, {@link GcLog}: the last is what a leak raises; heap in use is a saw-tooth between
 * collections, and what a young collection leaves climbs between marking cycles) and resident
 * memory (heap + ONNX Runtime's native memory + everything else; and what of it lies outside the
 * Java heap's reserved range, {@link HeapResidency}), the last checkpoint's size and duration, and
 * the job's consumer lag on the sensor topic. Where the growth is measured from and at the end it
 * forces a full collection in every TaskManager, so that the live heap is measured at both ends,
 * whenever G1's own marking cycles ran. Writes {@code soak.csv}, {@code soak.md} (a row per sample
 * period and a verdict per series) and {@code soak.png}.
 */
public final class Soak {

    /**
     * One sample, summed over the TaskManagers; {@code heapResidentMb} is the part of {@code rssMb}
     * inside the Java heaps' reserved ranges ({@link HeapResidency}), NaN where it is unknown.
     */
    record Sample(
            double minutes,
            double heapMb,
            double heapAfterGcMb,
            double liveHeapMb,
            double rssMb,
            double heapResidentMb,
            double checkpointKb,
            double checkpointMs,
            long lag,
            String event) {}

    /**
     * Resident memory outside the Java heap's reserved range: where a native leak (ONNX Runtime,
     * RocksDB, direct buffers, threads) shows, without the heap pages a collection touches for the
     * first time, which the heap's maximum bounds. NaN where the split is unknown.
     */
    static double outsideHeapMb(Sample s) {
        return s.rssMb() - s.heapResidentMb();
    }

    /** The performance issue's bound on memory growth over a soak at 70 % of capacity. */
    static final double MEMORY_TARGET_MB_PER_MINUTE = 1.0;

    /** The event of a sample taken right after a TaskManager was killed and started again. */
    static final String KILL_EVENT = "kill -9 taskmanager-";

    /** The event of a sample taken right after every TaskManager's forced full collection. */
    static final String FULL_GC_EVENT = "full GC (jcmd GC.run)";

    static boolean isKill(Sample s) {
        return s.event().startsWith(KILL_EVENT);
    }

    private final LocalCluster cluster;
    private final String job;
    private final Path out;
    private final List<Sample> samples = new ArrayList<>();
    private final HeapResidency heapResidency = new HeapResidency();

    /** The live TaskManagers' native memory by category ({@link NativeMemory}), with their pids. */
    private record NativeReading(double minutes, List<Long> pids, List<Map<String, Long>> byPid) {
        /** The readings of {@code keep}, in its order. */
        List<Map<String, Long>> of(List<Long> keep) {
            return keep.stream().map(p -> byPid.get(pids.indexOf(p))).toList();
        }
    }

    /**
     * The readings at the first and the last forced collection (a restarted TaskManager's is not
     * comparable, hence the pids); null where the TaskManagers run without native memory tracking.
     */
    private NativeReading nmtFirst;

    private NativeReading nmtLast;

    /** The TaskManagers' heap maxima together (their reserved ranges), MB; NaN until read. */
    private double heapReservedMb = Double.NaN;

    /** Length of the cycles the verdicts compare: the kill period, or a third of a run without. */
    private double cycleMinutes = Double.POSITIVE_INFINITY;

    /** Where the memory growth's slope starts (see {@link #slopePerMinute}). */
    private double steadyAfterMinutes;

    /** What the job's state held at the end ({@link StateReport}), or why it could not be read. */
    private String finalState = "";

    Soak(LocalCluster cluster, String job, Path out) {
        this.cluster = cluster;
        this.job = job;
        this.out = out;
    }

    /**
     * Held across a TaskManager's kill and restart, and by {@link #stopThen}: a shutdown hook that
     * listed the cluster's PID files between the two missed the restarted TaskManager (its PID file
     * not yet written), which then outlived the soak.
     */
    private final Object restartLock = new Object();

    /** Set by {@link #stopThen}: no TaskManager is started after it. */
    private boolean stopping;

    /** What a shutdown hook runs: never between a kill and its restart, and no restart after. */
    void stopThen(LocalClusterStop stop) throws Exception {
        synchronized (restartLock) {
            stopping = true;
            stop.run();
        }
    }

    /** {@link LocalCluster#down}, or whatever stops the cluster. */
    @FunctionalInterface
    interface LocalClusterStop {
        void run() throws Exception;
    }

    /**
     * Runs for {@code duration}, killing a TaskManager every {@code killEvery} (none when that is
     * not shorter than the run), sampling every {@code sampleEvery}; memory growth is measured from
     * {@code steadyAfter} on.
     */
    List<Sample> run(
            Duration duration, Duration killEvery, Duration sampleEvery, Duration steadyAfter)
            throws Exception {
        cycleMinutes =
                killEvery.compareTo(duration) < 0
                        ? killEvery.toMillis() / 60_000.0
                        : duration.toMillis() / 3 / 60_000.0;
        steadyAfterMinutes = steadyAfter.toMillis() / 60_000.0;
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        long nextKill = start + killEvery.toNanos();
        // The live heap, measured twice: a full collection forced in every TaskManager where the
        // growth is measured from and again at the end. Between G1's marking cycles nothing
        // collects the old generation, and a soak at 70 % of capacity ran its last one at minute
        // 4 of 15, so that what a young collection leaves climbed 133 -> 271 MB with no way to
        // tell a leak from garbage waiting for the next cycle.
        long steadyAt = start + steadyAfter.toNanos();
        boolean steadyCollected = false;
        int victim = 0;
        while (System.nanoTime() < end) {
            String event = "";
            if (!steadyCollected && System.nanoTime() >= steadyAt) {
                steadyCollected = true;
                if (forceFullCollections()) {
                    event = FULL_GC_EVENT;
                    readNativeMemory((System.nanoTime() - start) / 60e9);
                }
            }
            // Not in the pass that forced the full collections: their sample is the growth's
            // baseline and must be taken before a kill restarts a TaskManager (the defaults,
            // 5 min each, made the two coincide and the row said only the kill).
            if (!event.equals(FULL_GC_EVENT) && System.nanoTime() >= nextKill) {
                synchronized (restartLock) {
                    if (stopping) {
                        break;
                    }
                    cluster.flink().killTaskManager(victim);
                    cluster.flink().startTaskManager(victim);
                }
                event = KILL_EVENT + (victim + 1);
                victim = (victim + 1) % ClusterSpec.TASK_MANAGERS;
                nextKill += killEvery.toNanos();
            }
            samples.add(sample((System.nanoTime() - start) / 60e9, event));
            System.out.println(format(samples.get(samples.size() - 1)));
            Thread.sleep(sampleEvery.toMillis());
        }
        if (forceFullCollections()) {
            readNativeMemory((System.nanoTime() - start) / 60e9);
            samples.add(sample((System.nanoTime() - start) / 60e9, FULL_GC_EVENT));
            System.out.println(format(samples.get(samples.size() - 1)));
        }
        finalState = finalState();
        write();
        return samples;
    }

    /**
     * Reads every live TaskManager's native memory, where tracking is on ({@link NativeMemory}).
     */
    private void readNativeMemory(double minutes) {
        List<Map<String, Long>> readings = new ArrayList<>();
        List<Long> pids = new ArrayList<>();
        for (int i = 1; i <= ClusterSpec.TASK_MANAGERS; i++) {
            ChildJvm tm = cluster.flink().process("taskmanager-" + i);
            if (tm != null && tm.isAlive()) {
                NativeMemory.read(tm.pid())
                        .ifPresent(
                                m -> {
                                    readings.add(m);
                                    pids.add(tm.pid());
                                });
            }
        }
        if (readings.isEmpty()) {
            return;
        }
        NativeReading reading = new NativeReading(minutes, pids, readings);
        if (nmtFirst == null) {
            nmtFirst = reading;
        } else {
            nmtLast = reading;
        }
    }

    /**
     * Runs a full collection in every live TaskManager ({@code jcmd <pid> GC.run}, which returns
     * once it is done), so that the next sample's heap after an old-generation collection is what
     * is live now. False, with the reason printed, when any of them failed.
     */
    private boolean forceFullCollections() {
        boolean all = true;
        for (int i = 1; i <= ClusterSpec.TASK_MANAGERS; i++) {
            ChildJvm tm = cluster.flink().process("taskmanager-" + i);
            if (tm == null || !tm.isAlive()) {
                all = false;
                continue;
            }
            Jcmd.Result r = Jcmd.run(tm.pid(), "GC.run");
            if (!r.ok()) {
                System.out.println("soak: jcmd GC.run on taskmanager-" + i + ": " + r.output());
                all = false;
            }
        }
        return all;
    }

    /** {@link #growthBetweenForcedCollections} of the live heap. */
    static double liveHeapGrowthPerMinute(List<Sample> samples) {
        return growthBetweenForcedCollections(samples, Sample::liveHeapMb);
    }

    /**
     * Growth per minute of {@code f} between the first and the last sample taken right after the
     * forced full collections ({@link #FULL_GC_EVENT}), without kills between them (a restarted
     * TaskManager's refill is not growth); NaN without two such samples or with a kill between. For
     * resident memory this compares like with like: right after a full collection G1 has sized its
     * heap to what is live, where between marking cycles it commits more heap for the old
     * generation's uncollected garbage (a soak at 70 % of capacity: +123 MB in one step at minute
     * 13.7, which a least-squares slope over the run reads as +8.9 MB a minute).
     */
    static double growthBetweenForcedCollections(
            List<Sample> samples, java.util.function.ToDoubleFunction<Sample> f) {
        Sample first = null;
        Sample last = null;
        boolean killed = false;
        for (Sample s : samples) {
            if (first != null && isKill(s)) {
                killed = true;
            }
            if (s.event().equals(FULL_GC_EVENT) && !Double.isNaN(f.applyAsDouble(s))) {
                if (first == null) {
                    first = s;
                } else {
                    last = s;
                }
            }
        }
        if (first == null || last == null || killed || last.minutes() <= first.minutes()) {
            return Double.NaN;
        }
        return (f.applyAsDouble(last) - f.applyAsDouble(first))
                / (last.minutes() - first.minutes());
    }

    private Sample sample(double minutes, String event) {
        double heap = 0;
        String tms = cluster.flink().rest("/taskmanagers");
        if (tms != null) {
            Matcher id = Pattern.compile("\"id\":\"([^\"]+)\"").matcher(tms);
            while (id.find()) {
                String m =
                        cluster.flink()
                                .rest(
                                        "/taskmanagers/"
                                                + id.group(1)
                                                + "/metrics?get=Status.JVM.Memory.Heap.Used");
                heap += number(m, "\"value\":\"([0-9.]+)\"");
            }
        }
        double rss = 0;
        double heapResident = 0;
        double reserved = 0;
        double afterGc = 0;
        double live = 0;
        for (int i = 1; i <= ClusterSpec.TASK_MANAGERS; i++) {
            ChildJvm tm = cluster.flink().process("taskmanager-" + i);
            if (tm != null && tm.isAlive()) {
                // Both figures from one read of smaps (see HeapResidency).
                HeapResidency.Split split = heapResidency.split(tm.pid()).orElse(null);
                rss += split == null ? 0 : split.residentKb() / 1024.0;
                boolean known = split != null && split.heapKnown();
                heapResident += known ? split.heapResidentKb() / 1024.0 : Double.NaN;
                reserved += known ? split.heapReservedKb() / 1024.0 : Double.NaN;
                // A TaskManager started moments ago has not collected yet: no figure this time
                // (NaN), rather than a sum over one TaskManager that reads as a drop.
                String gcLog = GcLog.tail(cluster.flink().gcLog(tm));
                double last = GcLog.lastHeapAfterMb(gcLog).orElse(Double.NaN);
                afterGc += last;
                // A TaskManager without an old-generation collection yet (an idle one, whose
                // heap never fills) counts with its last pause's figure.
                live += GcLog.lastLiveHeapMb(gcLog).orElse(last);
            }
        }
        String cp = cluster.flink().rest("/jobs/" + job + "/checkpoints");
        double size = 0;
        double duration = 0;
        if (cp != null) {
            int latest = cp.indexOf("\"completed\":{", cp.indexOf("\"latest\""));
            if (latest >= 0) {
                String c = cp.substring(latest);
                size = number(c, "\"state_size\":([0-9]+)") / 1024.0;
                duration = number(c, "\"end_to_end_duration\":([0-9]+)");
            }
        }
        if (!Double.isNaN(reserved)) {
            heapReservedMb = reserved;
        }
        return new Sample(
                minutes,
                heap / 1e6,
                afterGc,
                live,
                rss,
                heapResident,
                size,
                duration,
                lag(),
                event);
    }

    /**
     * Stops the job with a savepoint (into the cluster folder: tens of MB, not for {@code --out})
     * and reads it with {@link StateReport}: when the checkpoint grew, this says with what.
     */
    private String finalState() {
        try {
            String location =
                    cluster.flink().stopWithSavepoint(job, cluster.dir().resolve("savepoints"));
            Path savepoint =
                    location.startsWith("file:")
                            ? Path.of(java.net.URI.create(location))
                            : Path.of(location);
            return StateReport.read(savepoint).render(5);
        } catch (Exception e) {
            return "no final state report: " + e;
        }
    }

    /**
     * The job's consumer-group lag on the sensor topic, as the probe measures it ({@link GroupLag}:
     * last stable offset minus committed offset); -1 when it cannot be read.
     */
    private long lag() {
        try (Admin admin = cluster.kafka().admin()) {
            return GroupLag.byTopic(
                            admin,
                            io.fmstream.job.FmstreamOptions.CONSUMER_GROUP.defaultValue(),
                            Duration.ofSeconds(10))
                    .getOrDefault(Topics.SENSOR_CHUNKS, 0L);
        } catch (Exception e) {
            return -1;
        }
    }

    private static double number(String json, String regex) {
        if (json == null) {
            return 0;
        }
        Matcher m = Pattern.compile(regex).matcher(json);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    /** Resident memory of process {@code pid} in KB ({@code /proc}), 0 when unknown. */
    public static long rssKb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (Exception e) {
            // gone meanwhile
        }
        return 0;
    }

    static String format(Sample s) {
        return String.format(
                Locale.ROOT,
                "| %5.1f | %7.1f | %7.1f | %7.1f | %7.1f | %7.1f | %8.1f | %6.0f | %6d | %s |",
                s.minutes(),
                s.heapMb(),
                s.heapAfterGcMb(),
                s.liveHeapMb(),
                s.rssMb(),
                outsideHeapMb(s),
                s.checkpointKb(),
                s.checkpointMs(),
                s.lag(),
                s.event());
    }

    /**
     * Whether a series grows across kill cycles: the mean over the last cycle (the time between two
     * kills) divided by the mean over the first, each without its first {@code warmup} minutes (a
     * restarted TaskManager warms up: JIT, ONNX Runtime sessions, state restored). Saw-teeth within
     * a cycle (garbage collection, checkpoints) cancel out; a leak shows as a ratio that keeps
     * rising. NaN when there are fewer than two cycles with samples; samples without a value (NaN)
     * are left out.
     */
    static double lastOverFirstCycle(
            List<Sample> samples,
            java.util.function.ToDoubleFunction<Sample> f,
            double cycleMinutes,
            double warmupMinutes) {
        java.util.TreeMap<Integer, double[]> sums = new java.util.TreeMap<>();
        for (Sample s : samples) {
            int cycle = (int) Math.floor(s.minutes() / cycleMinutes);
            double v = f.applyAsDouble(s);
            if (s.minutes() - cycle * cycleMinutes < warmupMinutes || Double.isNaN(v)) {
                continue;
            }
            double[] acc = sums.computeIfAbsent(cycle, k -> new double[2]);
            acc[0] += v;
            acc[1]++;
        }
        if (sums.size() < 2) {
            return Double.NaN;
        }
        double[] first = sums.firstEntry().getValue();
        double[] last = sums.lastEntry().getValue();
        double firstMean = first[0] / first[1];
        return firstMean == 0 ? Double.NaN : (last[0] / last[1]) / firstMean;
    }

    /**
     * Growth per minute, as the performance issue's memory target reads it: the least-squares slope
     * of the series over the samples from {@code fromMinutes} on, leaving out samples without a
     * value (NaN) and those in the minute after a kill (a restarted TaskManager refills its heap
     * and native arenas at tens of MB a minute, which is not growth). NaN with fewer than 3
     * samples. Run without kills and with {@code fromMinutes} past the start-up fill, it is what
     * the target asks; with kills, each restart's refill still leans on it.
     */
    static double slopePerMinute(
            List<Sample> samples,
            java.util.function.ToDoubleFunction<Sample> f,
            double fromMinutes) {
        double lastKill = Double.NEGATIVE_INFINITY;
        double n = 0;
        double sx = 0;
        double sy = 0;
        double sxx = 0;
        double sxy = 0;
        for (Sample s : samples) {
            if (isKill(s)) {
                lastKill = s.minutes();
            }
            double v = f.applyAsDouble(s);
            if (s.minutes() < fromMinutes || s.minutes() - lastKill < 1.0 || Double.isNaN(v)) {
                continue;
            }
            n++;
            sx += s.minutes();
            sy += v;
            sxx += s.minutes() * s.minutes();
            sxy += s.minutes() * v;
        }
        double den = n * sxx - sx * sx;
        return n < 3 || den <= 0 ? Double.NaN : (n * sxy - sx * sy) / den;
    }

    private void write() throws Exception {
        Files.createDirectories(out);
        StringBuilder csv =
                new StringBuilder(
                        "minutes,heap_mb,heap_after_gc_mb,live_heap_mb,rss_mb,"
                                + "rss_heap_range_mb,checkpoint_kb,checkpoint_ms,lag,event\n");
        for (Sample s : samples) {
            csv.append(
                    String.format(
                            Locale.ROOT,
                            "%.2f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.0f,%d,%s%n",
                            s.minutes(),
                            s.heapMb(),
                            s.heapAfterGcMb(),
                            s.liveHeapMb(),
                            s.rssMb(),
                            s.heapResidentMb(),
                            s.checkpointKb(),
                            s.checkpointMs(),
                            s.lag(),
                            s.event()));
        }
        Files.writeString(out.resolve("soak.csv"), csv);
        StringBuilder md = new StringBuilder();
        md.append(
                "| min | TM heap used, MB | TM heap after last GC, MB | TM heap after last"
                        + " old-generation GC, MB | TM resident, MB | of it outside the Java"
                        + " heap, MB | checkpoint, KB | checkpoint, ms | sensor lag, records |"
                        + " event |\n"
                        + "|---|---|---|---|---|---|---|---|---|---|\n");
        for (Sample s : samples) {
            md.append(format(s)).append('\n');
        }
        md.append("\nLast kill cycle's mean over the first's (without kills: the last third's")
                .append(" over the first third's), each without its first minute (warm-up after")
                .append(" a (re)start); above 1.25 counts as growing, and a lag below 200 records")
                .append(" (a few seconds of input) as noise. Per minute: the least-squares slope")
                .append(String.format(Locale.ROOT, " from minute %.0f on", steadyAfterMinutes))
                .append(" without the minute after a kill:\n\n");
        Map<String, java.util.function.ToDoubleFunction<Sample>> series = series();
        for (var e : series.entrySet()) {
            double r = lastOverFirstCycle(samples, e.getValue(), cycleMinutes, 1.0);
            double lastLag = samples.isEmpty() ? 0 : samples.get(samples.size() - 1).lag();
            boolean noise = e.getKey().contains("lag") && lastLag < 200;
            md.append(
                    String.format(
                            Locale.ROOT,
                            "- %s: %.2f, %s; %+.2f per minute%n",
                            e.getKey(),
                            r,
                            Double.isNaN(r)
                                    ? "too short to tell"
                                    : r > 1.25 && !noise ? "GROWING" : "bounded",
                            slopePerMinute(samples, e.getValue(), steadyAfterMinutes)));
        }
        double forced = liveHeapGrowthPerMinute(samples);
        double forcedRss = growthBetweenForcedCollections(samples, Sample::rssMb);
        List<Sample> collected =
                samples.stream().filter(x -> x.event().equals(FULL_GC_EVENT)).toList();
        if (!Double.isNaN(forced)) {
            Sample a = collected.get(0);
            Sample b = collected.get(collected.size() - 1);
            md.append(
                    String.format(
                            Locale.ROOT,
                            "%nRight after a full collection forced in every TaskManager, at minute"
                                    + " %.1f and at minute %.1f: live heap %.1f -> %.1f MB (%+.2f"
                                    + " MB per minute), resident memory %.1f -> %.1f MB (%+.2f MB"
                                    + " per minute).%n",
                            a.minutes(),
                            b.minutes(),
                            a.liveHeapMb(),
                            b.liveHeapMb(),
                            forced,
                            a.rssMb(),
                            b.rssMb(),
                            forcedRss));
        }
        // The forced collections measure the live heap itself, and resident memory at the same
        // state of the heap; without them (a kill between, a jcmd that failed) the slopes over
        // the samples, which read G1 committing heap for uncollected garbage as growth.
        boolean byForced = !Double.isNaN(forced) && !Double.isNaN(forcedRss);
        double heapPerMinute =
                byForced ? forced : slopePerMinute(samples, Sample::liveHeapMb, steadyAfterMinutes);
        double rssPerMinute =
                byForced ? forcedRss : slopePerMinute(samples, Sample::rssMb, steadyAfterMinutes);
        md.append(
                String.format(
                        Locale.ROOT,
                        "%nMemory target (heap after GC and resident memory each grow by under"
                                + " %.0f MB per minute, from minute %.0f on%s), %s: heap %+.2f,"
                                + " resident %+.2f MB per minute: %s%n",
                        MEMORY_TARGET_MB_PER_MINUTE,
                        steadyAfterMinutes,
                        samples.stream().anyMatch(Soak::isKill)
                                ? "; with kills, so each restart's refill counts too"
                                : "",
                        byForced
                                ? "between the forced full collections"
                                : "least-squares slopes (heap after the old-generation"
                                        + " collections)",
                        heapPerMinute,
                        rssPerMinute,
                        Double.isNaN(heapPerMinute) || Double.isNaN(rssPerMinute)
                                ? "too short to tell"
                                : heapPerMinute < MEMORY_TARGET_MB_PER_MINUTE
                                                && rssPerMinute < MEMORY_TARGET_MB_PER_MINUTE
                                        ? "met"
                                        : "MISSED"));
        md.append(residentSplit(samples, heapReservedMb, steadyAfterMinutes));
        md.append("\nThe job's state at the end (stopped with a savepoint, read by `fmstream")
                .append(" state-report`):\n\n```\n")
                .append(finalState.strip())
                .append("\n```\n");
        Files.writeString(out.resolve("soak.md"), md);
        List<Long> survivors =
                nmtFirst == null || nmtLast == null
                        ? List.of()
                        : nmtFirst.pids().stream().filter(nmtLast.pids()::contains).toList();
        if (!survivors.isEmpty()) {
            // Only the TaskManagers alive at both readings compare: one restarted between them
            // starts again from nothing (a soak with kills used to write no table at all).
            int restarted = nmtFirst.pids().size() - survivors.size();
            Files.writeString(
                    out.resolve("native-memory.md"),
                    "The TaskManagers' native memory as the JVM tracks it (`jcmd <pid>"
                            + " VM.native_memory summary`, -XX:NativeMemoryTracking=summary),"
                            + " committed, summed over the "
                            + survivors.size()
                            + " TaskManagers alive at both readings"
                            + (restarted > 0
                                    ? " ("
                                            + restarted
                                            + " killed and restarted between them left out)"
                                    : "")
                            + ", right after the forced full collections. Memory that native"
                            + " libraries allocate themselves (ONNX Runtime, RocksDB) is not in"
                            + " it.\n\n"
                            + NativeMemory.table(
                                    nmtFirst.of(survivors),
                                    nmtLast.of(survivors),
                                    nmtFirst.minutes(),
                                    nmtLast.minutes()));
        } else {
            // A previous run's table in the same --out must not sit beside this run's figures.
            Files.deleteIfExists(out.resolve("native-memory.md"));
        }
        plot(out.resolve("soak.png"));
    }

    /**
     * Where resident memory grew: inside the Java heap's reserved range (pages a collection or G1's
     * commits touched for the first time: bounded by the heap's maximum, {@code heapReservedMb},
     * and what is live there is the live heap's figure) or outside it, where a native leak shows
     * and nothing bounds it. Measured like the target (between the forced full collections, else by
     * least squares from {@code fromMinutes}); empty where the split is unknown.
     */
    static String residentSplit(List<Sample> samples, double heapReservedMb, double fromMinutes) {
        double inside = growthBetweenForcedCollections(samples, Sample::heapResidentMb);
        double outside = growthBetweenForcedCollections(samples, Soak::outsideHeapMb);
        String how = "between the forced full collections";
        if (Double.isNaN(inside) || Double.isNaN(outside)) {
            inside = slopePerMinute(samples, Sample::heapResidentMb, fromMinutes);
            outside = slopePerMinute(samples, Soak::outsideHeapMb, fromMinutes);
            how =
                    String.format(
                            Locale.ROOT, "least-squares slopes from minute %.0f on", fromMinutes);
        }
        if (Double.isNaN(inside) || Double.isNaN(outside)) {
            return "";
        }
        return String.format(
                Locale.ROOT,
                "%nResident memory by where it lies (%s): inside the Java heap's reserved range"
                    + " %+.2f MB per minute (pages touched for the first time, bounded by the"
                    + " heaps' maximum of %.0f MB in all), outside it %+.2f MB per minute, where a"
                    + " native leak (ONNX Runtime, RocksDB, direct buffers, threads) would show:"
                    + " %s.%n",
                how,
                inside,
                heapReservedMb,
                outside,
                outside < MEMORY_TARGET_MB_PER_MINUTE
                        ? "under " + (int) MEMORY_TARGET_MB_PER_MINUTE + " MB per minute"
                        : "GROWING by "
                                + (int) MEMORY_TARGET_MB_PER_MINUTE
                                + " MB per minute or more");
    }

    static Map<String, java.util.function.ToDoubleFunction<Sample>> series() {
        Map<String, java.util.function.ToDoubleFunction<Sample>> m =
                new java.util.LinkedHashMap<>();
        m.put("TaskManager heap used (MB)", Sample::heapMb);
        m.put("TaskManager heap after GC (MB)", Sample::heapAfterGcMb);
        m.put("TaskManager heap after old-generation GC (MB)", Sample::liveHeapMb);
        m.put("TaskManager resident memory (MB)", Sample::rssMb);
        m.put("TaskManager resident memory outside the Java heap (MB)", Soak::outsideHeapMb);
        m.put("last checkpoint size (KB)", Sample::checkpointKb);
        m.put("sensor consumer lag (records)", s -> Math.max(0, s.lag()));
        return m;
    }

    /** Four stacked panels, one per series, kills marked. */
    private void plot(Path file) throws Exception {
        int w = 900;
        int panel = 170;
        var series = series();
        BufferedImage img =
                new BufferedImage(w, panel * series.size() + 20, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        double maxT = samples.isEmpty() ? 1 : samples.get(samples.size() - 1).minutes();
        int row = 0;
        for (var e : series.entrySet()) {
            int top = 10 + row * panel;
            int left = 70;
            int right = w - 20;
            int bottom = top + panel - 35;
            double max = 1e-9;
            for (Sample s : samples) {
                double v = e.getValue().applyAsDouble(s);
                if (!Double.isNaN(v)) {
                    max = Math.max(max, v);
                }
            }
            g.setColor(Color.DARK_GRAY);
            g.drawString(
                    e.getKey() + " (max " + String.format(Locale.ROOT, "%.1f", max) + ")",
                    left,
                    top + 12);
            g.drawRect(left, top + 18, right - left, bottom - top - 18);
            g.setColor(new Color(220, 60, 60));
            for (Sample s : samples) {
                if (!s.event().isEmpty()) {
                    int x = left + (int) ((right - left) * s.minutes() / Math.max(maxT, 1e-9));
                    g.drawLine(x, top + 18, x, bottom);
                }
            }
            g.setColor(new Color(30, 90, 180));
            g.setStroke(new BasicStroke(1.6f));
            int px = -1;
            int py = -1;
            for (Sample s : samples) {
                double v = e.getValue().applyAsDouble(s);
                if (Double.isNaN(v)) {
                    // No figure (a TaskManager just restarted): a gap in the line.
                    px = -1;
                    continue;
                }
                int x = left + (int) ((right - left) * s.minutes() / Math.max(maxT, 1e-9));
                int y = bottom - (int) ((bottom - top - 22) * v / max);
                if (px >= 0) {
                    g.drawLine(px, py, x, y);
                }
                px = x;
                py = y;
            }
            g.setColor(Color.DARK_GRAY);
            g.drawString("0", left - 15, bottom);
            g.drawString(String.format(Locale.ROOT, "%.0f min", maxT), right - 40, bottom + 14);
            row++;
        }
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
    }
}
