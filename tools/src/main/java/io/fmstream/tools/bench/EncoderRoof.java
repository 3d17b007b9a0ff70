package io.fmstream.tools.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.fmstream.core.model.EncoderRunner;
import io.fmstream.core.model.ModelBundle;
import io.fmstream.core.model.OnnxRuntimeEnvironment;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * The encoder's roof: ONNX Runtime alone embedding the job's own windows (decoded, windowed and
 * z-scored by the job's code, {@link JobWindows}), warmed up, over a grid of intra-op threads x
 * concurrent callers x batch sizes, and the machine's float32 matrix-multiply peak through the same
 * runtime ({@link OnnxMatMul}), so the encoder can be stated as a fraction of the hardware.
 *
 * <p>Why a child JVM per thread count: ONNX Runtime's environment, and with it fmstream's global
 * intra-op pool ({@link OnnxRuntimeEnvironment}), is created once per JVM; a second thread count in
 * the same JVM would silently run with the first. The callers of one JVM share one session, as the
 * slots of a TaskManager do ({@code SessionCache}).
 */
public final class EncoderRoof {

    /** What a child prints per measurement, and the bench JVM parses. */
    private static final String LINE = "roof ";

    /** GEMM size: 2.1 GFLOP per call, long enough that call overhead is noise. */
    private static final int GEMM = 1024;

    /**
     * One measurement: {@code kind} "encoder" (windows/s) or "gemm" (GFLOP/s), with its threads,
     * callers and batch (0 for gemm), and the cores the process kept busy meanwhile.
     */
    public record Point(
            String kind, int threads, int callers, int batch, double rate, double cores) {
        public String label() {
            return String.format(
                    Locale.ROOT,
                    "%d thread(s) x %d caller(s)%s",
                    threads,
                    callers,
                    batch > 0 ? " x batch " + batch : "");
        }

        /**
         * An encoder point's cost per window on each caller, ms: what one operator instance pays.
         */
        public double millisPerWindowPerCaller() {
            return 1000.0 * callers / rate;
        }
    }

    /** Every point of the grid. */
    public record Grid(List<Point> points) {

        public List<Point> encoder() {
            return points.stream().filter(p -> p.kind.equals("encoder")).toList();
        }

        /** The best encoder configuration: the roof. */
        public Point best() {
            return encoder().stream().max(Comparator.comparingDouble(Point::rate)).orElseThrow();
        }

        /** The point with the job's own settings, if it was measured. */
        public Optional<Point> at(int threads, int callers, int batch) {
            return encoder().stream()
                    .filter(p -> p.threads == threads && p.callers == callers && p.batch == batch)
                    .findFirst();
        }

        /** The machine's float32 matrix-multiply peak, GFLOP/s, best of the configurations. */
        public Point gemmPeak() {
            return best("gemm");
        }

        /** The same in 8-bit integers (GOP/s), best of the configurations. */
        public Point int8GemmPeak() {
            return best("gemm-int8");
        }

        private Point best(String kind) {
            return points.stream()
                    .filter(p -> p.kind.equals(kind))
                    .max(Comparator.comparingDouble(Point::rate))
                    .orElseThrow();
        }
    }

    private EncoderRoof() {}

    /**
     * Measures the grid, one child JVM per thread count.
     *
     * @param progress receives each point as it is measured
     */
    public static Grid measure(
            Path bundleDir,
            List<Integer> threads,
            List<Integer> callers,
            List<Integer> batches,
            Duration warmUp,
            Duration measure,
            java.util.function.Consumer<Point> progress)
            throws Exception {
        return measure(bundleDir, threads, callers, batches, warmUp, measure, true, progress);
    }

    /**
     * The encoder alone at one configuration (no matrix-multiply peaks): the roof again, measured
     * next to a job run, so that a ratio of the two is not a ratio of two moments of a machine
     * whose speed drifts by more than the gap being measured (the best of the grid measured 1,920
     * and 2,312 windows/s on two runs of the same command).
     */
    public static Point measureEncoder(
            Path bundleDir, int threads, int callers, int batch, Duration warmUp, Duration measure)
            throws Exception {
        return measure(
                        bundleDir,
                        List.of(threads),
                        List.of(callers),
                        List.of(batch),
                        warmUp,
                        measure,
                        false,
                        p -> {})
                .best();
    }

    private static Grid measure(
            Path bundleDir,
            List<Integer> threads,
            List<Integer> callers,
            List<Integer> batches,
            Duration warmUp,
            Duration measure,
            boolean gemmPeaks,
            java.util.function.Consumer<Point> progress)
            throws Exception {
        List<Point> points = new ArrayList<>();
        for (int t : threads) {
            List<String> cmd =
                    new ArrayList<>(
                            List.of(
                                    Path.of(System.getProperty("java.home"), "bin", "java")
                                            .toString(),
                                    "-Xmx1g",
                                    "-cp",
                                    System.getProperty("java.class.path"),
                                    EncoderRoof.class.getName(),
                                    bundleDir.toString(),
                                    String.valueOf(t),
                                    join(callers),
                                    join(batches),
                                    String.valueOf(warmUp.toMillis()),
                                    String.valueOf(measure.toMillis()),
                                    String.valueOf(gemmPeaks)));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            StringBuilder log = new StringBuilder();
            try (BufferedReader r =
                    new BufferedReader(
                            new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.startsWith(LINE)) {
                        String[] f = line.substring(LINE.length()).split(" ");
                        Point point =
                                new Point(
                                        f[0],
                                        Integer.parseInt(f[1]),
                                        Integer.parseInt(f[2]),
                                        Integer.parseInt(f[3]),
                                        Double.parseDouble(f[4]),
                                        Double.parseDouble(f[5]));
                        points.add(point);
                        progress.accept(point);
                    } else {
                        log.append(line).append('\n');
                    }
                }
            }
            if (p.waitFor() != 0) {
                throw new IllegalStateException(
                        "encoder roof with " + t + " thread(s) failed:\n" + log);
            }
        }
        return new Grid(points);
    }

    /**
     * Child JVM: {@code <bundle> <threads> <callers,...> <batches,...> <warm-up ms> <measure ms>
     * <gemm peaks: true|false>}; prints one {@code roof ...} line per point.
     */
    public static void main(String[] args) throws Exception {
        Path bundleDir = Path.of(args[0]);
        int threads = Integer.parseInt(args[1]);
        List<Integer> callers = parse(args[2]);
        List<Integer> batches = parse(args[3]);
        long warmMs = Long.parseLong(args[4]);
        long measureMs = Long.parseLong(args[5]);
        boolean gemmPeaks = Boolean.parseBoolean(args[6]);
        // One bundle (and so one runner) per caller, as each operator instance of the job loads
        // its own: a runner is exclusive (synchronized), so callers sharing one would take turns
        // and the "roof" would be one caller's. The session underneath is shared, as in the job.
        int maxCallers = callers.stream().mapToInt(Integer::intValue).max().orElse(1);
        List<ModelBundle> bundles = new ArrayList<>();
        try {
            for (int c = 0; c < maxCallers; c++) {
                bundles.add(ModelBundle.load(bundleDir, threads));
            }
            int len = bundles.get(0).encoder().inputLength();
            int dim = bundles.get(0).encoder().embeddingDim();
            float[] windows =
                    JobWindows.of(
                            BenchInputs.simulatedInput(20, 100), bundles.get(0).manifest(), 512);
            int n = windows.length / len;
            for (int c : callers) {
                for (int batch : batches) {
                    double rate =
                            run(
                                    c,
                                    warmMs,
                                    measureMs,
                                    batch,
                                    caller -> {
                                        EncoderRunner encoder = bundles.get(caller).encoder();
                                        float[] in = new float[batch * len];
                                        float[] out = new float[batch * dim];
                                        // Callers walk the windows from different places.
                                        int[] next = {caller * 97};
                                        return () -> {
                                            // As the job does: copy the next windows into the
                                            // batch, then one call.
                                            for (int i = 0; i < batch; i++) {
                                                System.arraycopy(
                                                        windows,
                                                        ((next[0] + i) % n) * len,
                                                        in,
                                                        i * len,
                                                        len);
                                            }
                                            next[0] = (next[0] + batch) % n;
                                            encoder.embed(in, batch, out);
                                        };
                                    });
                    print("encoder", threads, c, batch, rate);
                }
            }
        } finally {
            for (ModelBundle b : bundles) {
                b.close();
            }
        }
        if (!gemmPeaks) {
            return;
        }
        OrtEnvironment env = OnnxRuntimeEnvironment.initialise(threads).ort();
        try (OrtSession gemm =
                OnnxRuntimeEnvironment.initialise(threads)
                        .createSession(OnnxMatMul.model(GEMM, GEMM, GEMM))) {
            // Inputs in direct buffers, tensors made once: only the multiplication is timed.
            FloatBuffer values =
                    java.nio.ByteBuffer.allocateDirect(4 * GEMM * GEMM)
                            .order(java.nio.ByteOrder.nativeOrder())
                            .asFloatBuffer();
            Random random = new Random(3);
            for (int i = 0; i < GEMM * GEMM; i++) {
                values.put(i, (float) random.nextGaussian());
            }
            long[] shape = {GEMM, GEMM};
            try (OnnxTensor a = OnnxTensor.createTensor(env, values, shape);
                    OnnxTensor bt = OnnxTensor.createTensor(env, values, shape)) {
                gemm("gemm", gemm, a, bt, threads, callers, warmMs, measureMs);
            }
        }
        // The same product in 8-bit integers: does an int8 encoder have room to be faster here?
        try (OrtSession gemm8 =
                OnnxRuntimeEnvironment.initialise(threads)
                        .createSession(OnnxMatMul.int8Model(GEMM, GEMM, GEMM))) {
            java.nio.ByteBuffer a8 = java.nio.ByteBuffer.allocateDirect(GEMM * GEMM);
            java.nio.ByteBuffer b8 = java.nio.ByteBuffer.allocateDirect(GEMM * GEMM);
            Random random = new Random(5);
            for (int i = 0; i < GEMM * GEMM; i++) {
                a8.put(i, (byte) random.nextInt(256));
                b8.put(i, (byte) (random.nextInt(255) - 127));
            }
            long[] shape = {GEMM, GEMM};
            try (OnnxTensor a =
                            OnnxTensor.createTensor(
                                    env, a8, shape, ai.onnxruntime.OnnxJavaType.UINT8);
                    OnnxTensor bt =
                            OnnxTensor.createTensor(
                                    env, b8, shape, ai.onnxruntime.OnnxJavaType.INT8)) {
                gemm("gemm-int8", gemm8, a, bt, threads, callers, warmMs, measureMs);
            }
        }
    }

    /**
     * {@code session}'s product of {@code a} and {@code b} per second, in GFLOP (or GOP), printed.
     */
    private static void gemm(
            String kind,
            OrtSession session,
            OnnxTensor a,
            OnnxTensor b,
            int threads,
            List<Integer> callers,
            long warmMs,
            long measureMs)
            throws Exception {
        for (int c : callers) {
            double calls =
                    run(
                            c,
                            warmMs,
                            measureMs,
                            1,
                            caller ->
                                    () -> {
                                        try (OrtSession.Result r =
                                                session.run(Map.of("A", a, "B", b))) {
                                            r.get(0);
                                        }
                                    });
            print(kind, threads, c, 0, calls * OnnxMatMul.flops(GEMM, GEMM, GEMM) / 1e9);
        }
    }

    /** A caller's work: one call of batch {@code batch}. */
    private interface Call {
        void run() throws Exception;
    }

    private interface CallerFactory {
        Call create(int caller);
    }

    /** Units per second ({@code batch} per call) of {@code callers} threads, after a warm-up. */
    private static double run(
            int callers, long warmMs, long measureMs, int batch, CallerFactory factory)
            throws Exception {
        AtomicLong done = new AtomicLong();
        AtomicBoolean measuring = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int c = 0; c < callers; c++) {
            Call call = factory.create(c);
            Thread t =
                    new Thread(
                            () -> {
                                try {
                                    while (!stop.get()) {
                                        call.run();
                                        if (measuring.get()) {
                                            done.addAndGet(batch);
                                        }
                                    }
                                } catch (Throwable e) {
                                    failures.add(e);
                                }
                            },
                            "roof-" + c);
            t.start();
            threads.add(t);
        }
        Thread.sleep(warmMs);
        long start = System.nanoTime();
        long cpuBefore = PROCESS.getProcessCpuTime();
        long before = done.get();
        measuring.set(true);
        Thread.sleep(measureMs);
        long count = done.get() - before;
        double seconds = (System.nanoTime() - start) / 1e9;
        lastCores = (PROCESS.getProcessCpuTime() - cpuBefore) / 1e9 / seconds;
        stop.set(true);
        for (Thread t : threads) {
            t.join();
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException("roof caller failed", failures.get(0));
        }
        return count / seconds;
    }

    /** For the CPU the last measurement used: cores busy on average. */
    private static final com.sun.management.OperatingSystemMXBean PROCESS =
            (com.sun.management.OperatingSystemMXBean)
                    java.lang.management.ManagementFactory.getOperatingSystemMXBean();

    private static double lastCores;

    private static void print(String kind, int threads, int callers, int batch, double rate) {
        System.out.printf(
                Locale.ROOT,
                "%s%s %d %d %d %.3f %.2f%n",
                LINE,
                kind,
                threads,
                callers,
                batch,
                rate,
                lastCores);
        System.out.flush();
    }

    private static List<Integer> parse(String csv) {
        return Arrays.stream(csv.split(",")).map(String::trim).map(Integer::parseInt).toList();
    }

    private static String join(List<Integer> values) {
        return values.stream().map(String::valueOf).collect(Collectors.joining(","));
    }
}
