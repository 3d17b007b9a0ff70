package io.fmstream.tools.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fmstream.core.recording.RecordingAggregator;
import io.fmstream.data.dataset.NpyArray;
import io.fmstream.data.dataset.NpyReader;
import io.fmstream.data.dataset.NpyWriter;
import io.fmstream.data.wfdb.WfdbRecord;
import io.fmstream.tools.learn.ClassicalEcgFeatures;
import io.fmstream.tools.learn.ClassificationMetrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * The evaluation protocol of a bundle's encoder on labelled recordings (CinC 2017): stratified
 * K-fold cross-validation by recording with a fixed seed; labelled budgets of B recordings per
 * class drawn from the training folds (the draw is the unit: the same draws for every method) and
 * "all"; every method scored on the whole test fold at its real prevalence, recording level.
 *
 * <p>Results are cached per method, budget and draw in {@code cacheDir} (keyed by the encoder's
 * sha256 for embedding methods), so an interrupted run resumes and a new encoder recomputes only
 * its own rows.
 */
final class EvaluationProtocol {

    static final String ALL = "all";
    static final int SCORED = 3; // Challenge F1: N, A, O
    static final int AF = 1;

    /** One labelled draw: the training recordings and the fold it is tested on. */
    record Draw(String budget, int index, int fold, int[] train, int[] test) {
        String key() {
            return budget + "-" + index;
        }
    }

    /** A method: a name, a cache key, and how it predicts a draw's test recordings. */
    record Method(String name, String key, String description, DrawPredictor predictor) {}

    @FunctionalInterface
    interface DrawPredictor {
        /**
         * Recording-level probabilities of draw.test(), or null when this method has no result for
         * it.
         */
        double[][] predict(Draw draw) throws IOException;
    }

    /** Metrics of one method on one draw. */
    record Score(
            double challengeF1,
            double[] f1,
            double afAuroc,
            double afSensitivityAt95Specificity,
            double brier) {}

    final LabelledWindows data;
    final int folds;
    final long seed;
    final int[] recordFold;
    private final ObjectMapper json = new ObjectMapper();

    EvaluationProtocol(LabelledWindows data, int folds, long seed) {
        this.data = data;
        this.folds = folds;
        this.seed = seed;
        int[] all = new int[data.records()];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        this.recordFold =
                RecordClassifier.stratifiedFolds(all, data.recordLabel, folds, new Random(seed));
    }

    /**
     * Draws for a budget: B per class from the training folds (fold = index mod K), or whole folds
     * for "all".
     */
    List<Draw> draws(String budget, int count) {
        List<Draw> out = new ArrayList<>();
        int classes = LabelledWindows.CLASSES.size();
        if (ALL.equals(budget)) {
            for (int k = 0; k < Math.min(count, folds); k++) {
                out.add(new Draw(budget, k, k, recordsInFold(k, false), recordsInFold(k, true)));
            }
            return out;
        }
        int perClass = Integer.parseInt(budget);
        for (int d = 0; d < count; d++) {
            int k = d % folds;
            Random rng = new Random(seed * 1_000_003L + perClass * 7919L + d);
            List<Integer> chosen = new ArrayList<>();
            for (int c = 0; c < classes; c++) {
                List<Integer> pool = new ArrayList<>();
                for (int r : recordsInFold(k, false)) {
                    if (data.recordLabel[r] == c) {
                        pool.add(r);
                    }
                }
                if (pool.size() < perClass) {
                    throw new IllegalArgumentException(
                            "budget "
                                    + perClass
                                    + " per class: only "
                                    + pool.size()
                                    + " recordings of class "
                                    + LabelledWindows.CLASSES.get(c)
                                    + " outside fold "
                                    + k);
                }
                java.util.Collections.shuffle(pool, rng);
                chosen.addAll(pool.subList(0, perClass));
            }
            int[] train = chosen.stream().mapToInt(Integer::intValue).sorted().toArray();
            out.add(new Draw(budget, d, k, train, recordsInFold(k, true)));
        }
        return out;
    }

    int[] recordsInFold(int k, boolean in) {
        return java.util.stream.IntStream.range(0, data.records())
                .filter(r -> (recordFold[r] == k) == in)
                .toArray();
    }

    Score score(int[] test, double[][] probabilities) {
        int classes = LabelledWindows.CLASSES.size();
        int[] truth = new int[test.length];
        int[] predicted = new int[test.length];
        double[] af = new double[test.length];
        for (int i = 0; i < test.length; i++) {
            truth[i] = data.recordLabel[test[i]];
            predicted[i] = RecordingAggregator.argmax(probabilities[i]);
            af[i] = probabilities[i][AF];
        }
        return new Score(
                ClassificationMetrics.challengeF1(truth, predicted, classes, SCORED),
                ClassificationMetrics.f1PerClass(truth, predicted, classes),
                ClassificationMetrics.auroc(truth, af, AF),
                ClassificationMetrics.sensitivityAtSpecificity(truth, af, AF, 0.95),
                ClassificationMetrics.brier(truth, probabilities));
    }

    /**
     * Scores every method on every draw, reading cached scores where present and writing new ones
     * as they come (one small JSON file per method and draw).
     */
    Map<String, Map<String, Score>> run(
            List<Method> methods,
            List<Draw> draws,
            Path cacheDir,
            int threads,
            Consumer<String> log)
            throws Exception {
        Files.createDirectories(cacheDir);
        Map<String, Map<String, Score>> results = new LinkedHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads));
        try {
            for (Method m : methods) {
                Map<String, Future<Score>> pending = new LinkedHashMap<>();
                for (Draw d : draws) {
                    Path file = cacheDir.resolve("score-" + m.key() + "-" + d.key() + ".json");
                    pending.put(
                            d.key(),
                            pool.submit(
                                    () -> {
                                        if (Files.isRegularFile(file)) {
                                            return readScore(file);
                                        }
                                        long t0 = System.nanoTime();
                                        double[][] p = m.predictor().predict(d);
                                        if (p == null) {
                                            return null;
                                        }
                                        Score s = score(d.test(), p);
                                        writeScore(file, s);
                                        if (ALL.equals(d.budget())) {
                                            savePredictions(
                                                    cacheDir.resolve(
                                                            "oof-" + m.key() + "-" + d.key()
                                                                    + ".npy"),
                                                    p);
                                        }
                                        log.accept(
                                                String.format(
                                                        Locale.ROOT,
                                                        "%-28s budget %-4s draw %2d: Challenge F1"
                                                                + " %.3f (%.1f s)",
                                                        m.name(),
                                                        d.budget(),
                                                        d.index(),
                                                        s.challengeF1(),
                                                        (System.nanoTime() - t0) / 1e9));
                                        return s;
                                    }));
                }
                Map<String, Score> byDraw = new LinkedHashMap<>();
                for (Map.Entry<String, Future<Score>> e : pending.entrySet()) {
                    Score s = e.getValue().get();
                    if (s != null) {
                        byDraw.put(e.getKey(), s);
                    }
                }
                results.put(m.key(), byDraw);
            }
        } finally {
            pool.shutdownNow();
        }
        return results;
    }

    private void writeScore(Path file, Score s) throws IOException {
        ObjectNode o = json.createObjectNode();
        o.put("challengeF1", s.challengeF1());
        ArrayNode f1 = o.putArray("f1");
        for (double v : s.f1()) {
            f1.add(v);
        }
        o.put("afAuroc", s.afAuroc());
        o.put("afSensitivityAt95Specificity", s.afSensitivityAt95Specificity());
        o.put("brier", s.brier());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        json.writeValue(tmp.toFile(), o);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private Score readScore(Path file) throws IOException {
        var o = json.readTree(file.toFile());
        double[] f1 = new double[o.get("f1").size()];
        for (int i = 0; i < f1.length; i++) {
            f1[i] = o.get("f1").get(i).asDouble(Double.NaN);
        }
        return new Score(
                o.get("challengeF1").asDouble(),
                f1,
                o.get("afAuroc").asDouble(Double.NaN),
                o.get("afSensitivityAt95Specificity").asDouble(Double.NaN),
                o.get("brier").asDouble());
    }

    private static void savePredictions(Path file, double[][] p) throws IOException {
        float[] flat = new float[p.length * p[0].length];
        for (int i = 0; i < p.length; i++) {
            for (int c = 0; c < p[i].length; c++) {
                flat[i * p[i].length + c] = (float) p[i][c];
            }
        }
        NpyWriter.write(file, NpyArray.float32(flat, p.length, p[0].length));
    }

    /** Out-of-fold predictions of a method at budget "all" (every recording once), or null. */
    double[][] outOfFold(Path cacheDir, String methodKey) throws IOException {
        double[][] p = new double[data.records()][];
        for (int k = 0; k < folds; k++) {
            Path f = cacheDir.resolve("oof-" + methodKey + "-" + ALL + "-" + k + ".npy");
            if (!Files.isRegularFile(f)) {
                return null;
            }
            NpyReader.Array a = NpyReader.read(f);
            float[] v = a.asFloats();
            int c = (int) a.shape()[1];
            int[] test = recordsInFold(k, true);
            for (int i = 0; i < test.length; i++) {
                p[test[i]] = new double[c];
                for (int j = 0; j < c; j++) {
                    p[test[i]][j] = v[i * c + j];
                }
            }
        }
        return p;
    }

    /**
     * The first 12 hex digits of a SHA-256 over the regular files directly in {@code dir}, by name
     * then bytes, in name order: a cache key that changes whenever what is in it does.
     */
    static String contentKey(Path dir) throws java.io.IOException {
        java.security.MessageDigest sha;
        try {
            sha = java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
        List<Path> files;
        try (var listing = Files.list(dir)) {
            files = listing.filter(Files::isRegularFile).sorted().toList();
        }
        for (Path f : files) {
            sha.update(
                    f.getFileName().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            sha.update(Files.readAllBytes(f));
        }
        return java.util.HexFormat.of().formatHex(sha.digest()).substring(0, 12);
    }

    /**
     * Drops the cached scores and out-of-fold predictions of method {@code methodKey} when what
     * they were computed from has changed since the last run ({@code contentKey}, kept in {@code
     * <methodKey>.source} in the cache folder).
     */
    static void invalidateWhenChanged(
            Path cacheDir, String methodKey, String contentKey, Consumer<String> log)
            throws IOException {
        Files.createDirectories(cacheDir);
        // A null method: every method's results (what they share changed: the draws).
        Path marker = cacheDir.resolve((methodKey == null ? "draws" : methodKey) + ".source");
        if (Files.isRegularFile(marker) && Files.readString(marker).strip().equals(contentKey)) {
            return;
        }
        int dropped = 0;
        try (var listing = Files.list(cacheDir)) {
            for (Path f : (Iterable<Path>) listing::iterator) {
                String name = f.getFileName().toString();
                String method = methodKey == null ? "" : methodKey + "-";
                if (name.startsWith("score-" + method) || name.startsWith("oof-" + method)) {
                    Files.delete(f);
                    dropped++;
                }
            }
        }
        Files.writeString(marker, contentKey + "\n");
        if (dropped > 0) {
            log.accept(
                    (methodKey == null ? "the draws" : methodKey)
                            + ": its inputs changed; "
                            + dropped
                            + " cached results recomputed");
        }
    }

    /** {@link #contentKey}'s digest of one file's bytes. */
    static String fileKey(Path file) throws IOException {
        return io.fmstream.core.model.Sha256.hex(file).substring(0, 12);
    }

    /**
     * Classical features of every recording from its raw WFDB record at the native rate; cached.
     */
    static double[][] classicalFeatures(
            LabelledWindows data, Path recordsDir, Path cacheDir, int threads, Consumer<String> log)
            throws Exception {
        // Keyed by the records, the folder they are read from and the feature names (a change of
        // the features' code without a change of their names still needs the cache cleared).
        String key =
                Integer.toHexString(String.join(",", data.recordNames).hashCode())
                        + "-"
                        + Integer.toHexString(
                                recordsDir.toAbsolutePath().normalize().toString().hashCode())
                        + "-"
                        + Integer.toHexString(ClassicalEcgFeatures.NAMES.hashCode());
        Path cached = cacheDir.resolve("classical-" + key + ".npy");
        int d = ClassicalEcgFeatures.NAMES.size();
        double[][] out = new double[data.records()][];
        if (Files.isRegularFile(cached)) {
            double[] v = NpyReader.read(cached).asDoubles();
            for (int r = 0; r < out.length; r++) {
                out[r] = Arrays.copyOfRange(v, r * d, (r + 1) * d);
            }
            log.accept("classical features from cache " + cached.getFileName());
            return out;
        }
        long t0 = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads));
        try {
            List<Future<double[]>> futures = new ArrayList<>();
            for (String name : data.recordNames) {
                futures.add(
                        pool.submit(
                                () -> {
                                    WfdbRecord rec =
                                            WfdbRecord.read(recordsDir.resolve(name + ".hea"));
                                    WfdbRecord.Signal s =
                                            rec.firstEcgLead().orElse(rec.signals().get(0));
                                    short[] raw = s.samples();
                                    double[] mv = new double[raw.length];
                                    for (int i = 0; i < raw.length; i++) {
                                        mv[i] = (raw[i] - s.baseline()) / s.gain();
                                    }
                                    return ClassicalEcgFeatures.compute(mv, s.sampleRate());
                                }));
            }
            for (int r = 0; r < out.length; r++) {
                out[r] = futures.get(r).get();
            }
        } finally {
            pool.shutdownNow();
        }
        double[] flat = new double[out.length * d];
        for (int r = 0; r < out.length; r++) {
            System.arraycopy(out[r], 0, flat, r * d, d);
        }
        Files.createDirectories(cacheDir);
        NpyWriter.write(cached, NpyArray.float64(flat));
        log.accept(
                String.format(
                        Locale.ROOT,
                        "classical features of %d recordings in %.0f s",
                        out.length,
                        (System.nanoTime() - t0) / 1e9));
        return out;
    }

    /** draws.json: what the from-scratch recipe trains on, so every method sees the same draws. */
    void writeDraws(Path file, List<Draw> draws) throws IOException {
        ObjectNode root = json.createObjectNode();
        ArrayNode names = root.putArray("records");
        for (String n : data.recordNames) {
            names.add(n);
        }
        ArrayNode arr = root.putArray("draws");
        for (Draw d : draws) {
            ObjectNode o = arr.addObject();
            o.put("key", d.key());
            o.put("budget", d.budget());
            o.put("fold", d.fold());
            ArrayNode tr = o.putArray("train");
            for (int r : d.train()) {
                tr.add(data.recordNames[r]);
            }
            ArrayNode te = o.putArray("test");
            for (int r : d.test()) {
                te.add(data.recordNames[r]);
            }
        }
        Files.createDirectories(file.getParent());
        json.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), root);
    }
}
