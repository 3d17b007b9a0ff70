package io.fmstream.tools.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fmstream.core.model.BundleManifest;
import io.fmstream.core.model.HeadKind;
import io.fmstream.core.model.HeadRunner;
import io.fmstream.core.model.LinearHead;
import io.fmstream.core.model.ModelBundle;
import io.fmstream.core.model.Sha256;
import io.fmstream.core.recording.RecordingAggregator;
import io.fmstream.data.dataset.NpyReader;
import io.fmstream.data.dataset.WindowDatasetBuilder;
import io.fmstream.tools.learn.ClassificationMetrics;
import io.fmstream.tools.learn.LinearModel;
import io.fmstream.tools.learn.RidgeRegression;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bin/fmstream fit-head}: fits a new downstream head on a bundle's frozen encoder from
 * labelled recordings, in Java, and writes a copy of the bundle with the head added as a plain-Java
 * {@code linear} head (file, sha256, labels, the encoder it was fitted on, its cross-validated
 * metrics) that the job serves unchanged.
 *
 * <p>The recordings go through the job's own preprocessing ({@link WindowDatasetBuilder}: chunk,
 * validate, assemble, resample, normalise) and the bundle's encoder; the head is a logistic
 * (classification) or ridge (regression) model per window, its L2 penalty chosen by
 * cross-validation over recordings; recording-level figures use {@link RecordingAggregator}, the
 * rule the job and the evaluation use.
 */
@Command(
        name = "fit-head",
        mixinStandardHelpOptions = true,
        description = {
            "Fit a new head (logistic or ridge, plain Java) on a bundle's frozen encoder from"
                    + " labelled recordings, and write a copy of the bundle with the head added.",
            "Labels: a CSV of record,label (CinC 2017 REFERENCE.csv style, no header). Map raw"
                    + " labels to head labels with --map A=af --default-label rest."
        })
public final class FitHeadCommand implements Callable<Integer> {

    @Option(names = "--bundle", required = true, description = "The bundle folder to start from.")
    Path bundle;

    @Option(
            names = "--out",
            required = true,
            description = "The new bundle folder (must not exist, or be empty).")
    Path out;

    @Option(
            names = "--task",
            required = true,
            description = "Task name of the new head, e.g. af_vs_rest.")
    String task;

    @Option(
            names = "--kind",
            defaultValue = "classification",
            description = "classification or regression (default: ${DEFAULT-VALUE}).")
    String kind;

    @Option(
            names = "--records",
            description = "WFDB folder of the labelled recordings (record names as in the labels).")
    Path records;

    @Option(
            names = "--dataset",
            description = "Or: a dataset .npz from `bin/fmstream dataset` holding the recordings.")
    Path dataset;

    @Option(
            names = "--labels",
            required = true,
            description = "CSV: record,label per line (default folder: --records).")
    Path labels;

    @Option(
            names = "--map",
            split = ",",
            paramLabel = "RAW=LABEL",
            description = "Map raw labels to head labels, e.g. A=af (classification).")
    Map<String, String> map = new LinkedHashMap<>();

    @Option(
            names = "--default-label",
            description = "Head label of every raw label not in --map (classification).")
    String defaultLabel;

    @Option(
            names = "--classes",
            split = ",",
            description = "Output order of the head's labels (default: sorted).")
    List<String> classes;

    @Option(
            names = "--per-class",
            description = "Use only this many recordings per class, drawn with --seed.")
    Integer perClass;

    @Option(
            names = "--seed",
            defaultValue = "1",
            description = "Seed of the draw and the CV folds (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(
            names = "--head-version",
            defaultValue = "1.0.0",
            description = "Version of the new head (default: ${DEFAULT-VALUE}).")
    String headVersion;

    @Option(
            names = "--bundle-version",
            description =
                    "Version of the new bundle (default: the source bundle's, with the task and"
                            + " a hash of the new bundle's heads as build metadata, e.g."
                            + " 2.0.0+af-vs-rest.1a2b3c4d).")
    String bundleVersion;

    @Option(names = "--unit", defaultValue = "", description = "Unit of a regression head's value.")
    String unit;

    @Option(
            names = "--threads",
            defaultValue = "2",
            description = "ONNX Runtime threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** The source bundle's manifest, read once in {@link #call}. */
    private BundleManifest bundleManifest;

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        HeadKind headKind =
                switch (kind) {
                    case "classification" -> HeadKind.CLASSIFICATION;
                    case "regression" -> HeadKind.REGRESSION;
                    default ->
                            throw new IllegalArgumentException(
                                    "--kind must be classification or regression, got " + kind);
                };
        if ((records == null) == (dataset == null)) {
            throw new IllegalArgumentException(
                    "give exactly one of --records (a WFDB folder) or --dataset (.npz)");
        }
        if (!task.matches("[a-z][a-z0-9_]*")) {
            throw new IllegalArgumentException(
                    "--task must match [a-z][a-z0-9_]*, got '" + task + "'");
        }
        if (Files.exists(out) && (!Files.isDirectory(out) || isNonEmpty(out))) {
            throw new IllegalArgumentException(
                    "--out " + out + " exists and is not an empty folder");
        }
        // Its folder holds the scratch dataset and the bundle being written (--out new/dir/b).
        Files.createDirectories(out.toAbsolutePath().getParent());
        // Read once: the typed manifest (validated) gives the window geometry, the JSON tree is
        // what the new bundle's manifest is copied from.
        byte[] manifestBytes = Files.readAllBytes(bundle.resolve(BundleManifest.FILE_NAME));
        bundleManifest = BundleManifest.parse(manifestBytes, bundle.toString());
        JsonNode manifest = json.readTree(manifestBytes);
        for (JsonNode h : manifest.get("heads")) {
            if (task.equals(h.get("task").asText())) {
                throw new IllegalArgumentException(
                        "bundle " + bundle + " already has a head for task '" + task + "'");
            }
        }

        // ---- labels
        Map<String, String> raw = readLabels(labels);
        boolean classification = headKind == HeadKind.CLASSIFICATION;
        Map<String, String> mapped = new LinkedHashMap<>();
        Map<String, Double> targets = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : raw.entrySet()) {
            if (classification) {
                String l = map.getOrDefault(e.getValue(), defaultLabel);
                if (l != null) {
                    mapped.put(e.getKey(), l);
                }
            } else {
                try {
                    targets.put(e.getKey(), Double.parseDouble(e.getValue()));
                } catch (NumberFormatException ex) {
                    throw new IllegalArgumentException(
                            labels
                                    + ": record "
                                    + e.getKey()
                                    + " has a non-numeric target '"
                                    + e.getValue()
                                    + "' for a regression head");
                }
                mapped.put(e.getKey(), "value");
            }
        }
        List<String> labelNames =
                classification
                        ? (classes != null
                                ? List.copyOf(classes)
                                : List.copyOf(new TreeSet<>(mapped.values())))
                        : List.of();
        if (classification && labelNames.size() < 2) {
            throw new IllegalArgumentException(
                    "a classification head needs at least 2 labels, the mapped labels are "
                            + labelNames
                            + " (check --map / --default-label)");
        }
        Map<String, Integer> labelIndex = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : mapped.entrySet()) {
            int idx = classification ? labelNames.indexOf(e.getValue()) : 0;
            if (idx < 0) {
                throw new IllegalArgumentException(
                        "label '"
                                + e.getValue()
                                + "' of "
                                + e.getKey()
                                + " is not in --classes "
                                + labelNames);
            }
            labelIndex.put(e.getKey(), idx);
        }
        // ---- windows through the job's preprocessing, then the encoder
        long t0 = System.nanoTime();
        LabelledWindows data =
                perClass == null
                        ? windows(labelIndex, o)
                        : drawPerClass(
                                labelIndex,
                                classification ? labelNames.size() : 1,
                                perClass,
                                new Random(seed),
                                o);
        if (data.records() < 4) {
            throw new IllegalArgumentException(
                    "only " + data.records() + " labelled recordings have windows; need >= 4");
        }
        float[] emb;
        int dim;
        String encoderSha;
        try (ModelBundle b = ModelBundle.load(bundle, threads)) {
            dim = b.encoder().embeddingDim();
            encoderSha = b.encoder().sha256();
            emb = new float[data.windowCount() * dim];
            int len = data.windowLength;
            for (int from = 0; from < data.windowCount(); from += 256) {
                int count = Math.min(256, data.windowCount() - from);
                float[] batch = Arrays.copyOfRange(data.windows, from * len, (from + count) * len);
                float[] e = new float[count * dim];
                b.encoder().embed(batch, count, e);
                System.arraycopy(e, 0, emb, from * dim, count * dim);
            }
        }
        EncoderEmbeddings.Matrix matrix = new EncoderEmbeddings.Matrix(emb, dim, encoderSha);
        o.printf(
                Locale.ROOT,
                "fit-head: %d recordings, %d windows embedded in %.1f s%n",
                data.records(),
                data.windowCount(),
                (System.nanoTime() - t0) / 1e9);

        // ---- fit, with cross-validated figures
        int[] all = java.util.stream.IntStream.range(0, data.records()).toArray();
        ObjectNode fit = json.createObjectNode();
        LinearModel model;
        if (classification) {
            RecordClassifier.WindowHead head =
                    new RecordClassifier.WindowHead(data, matrix, labelNames.size());
            crossValidateClassifier(head, data, all, labelNames, fit);
            double lambda = head.chooseLambda(all, data.recordLabel, seed);
            model = head.fit(all, data.recordLabel, lambda);
            fit.put("lambda", lambda);
        } else {
            double[] y = new double[data.records()];
            for (int r = 0; r < y.length; r++) {
                y[r] = targets.get(data.recordNames[r]);
            }
            double lambda = crossValidateRegression(data, matrix, all, y, fit);
            model = fitRidge(data, matrix, all, y, lambda);
            fit.put("lambda", lambda);
        }
        int[] counts = new int[Math.max(1, labelNames.size())];
        for (int l : data.recordLabel) {
            counts[l]++;
        }
        fit.put("recordings", data.records());
        fit.put("windows", data.windowCount());
        if (classification) {
            ObjectNode pc = fit.putObject("recordingsPerLabel");
            for (int c = 0; c < labelNames.size(); c++) {
                pc.put(labelNames.get(c), counts[c]);
            }
        }
        fit.put("labels", labels.toString());
        fit.put("seed", seed);
        fit.put(
                "method",
                (classification ? "multinomial logistic regression" : "ridge regression")
                        + " per window on the frozen embedding, L2 chosen by recording-level CV;"
                        + " recording = RecordingAggregator (mean "
                        + (classification ? "probability" : "value")
                        + ")");

        // ---- the new bundle: written beside --out, checked, then moved into place, so that a
        // failure (the check below, a full disk, Ctrl-C) never leaves a complete-looking bundle
        // at --out that the job would serve
        Path staging =
                out.toAbsolutePath().getParent().resolve("." + out.getFileName() + ".partial");
        io.fmstream.tools.Scratch.deleteRecursively(staging); // left by a run that died
        double maxDiff;
        try {
            writeBundle(staging, manifest, model, headKind, labelNames, encoderSha, fit);
            maxDiff = checkWritten(staging, data, matrix, model);
            if (Files.isDirectory(out)) {
                Files.delete(out); // empty: checked at the start
            }
            Files.move(staging, out, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            io.fmstream.tools.Scratch.deleteRecursively(staging);
            throw e;
        }
        o.printf(
                Locale.ROOT,
                "fit-head: wrote %s with head '%s' (%s, %s); loaded back, max |served - fitted|"
                        + " %.1e%n",
                out,
                task,
                headKind.manifestName(),
                classification ? labelNames : unit,
                maxDiff);
        o.println("fit-head: cross-validated " + fit.get("cv"));
        o.flush();
        return 0;
    }

    /** Loads the written bundle back and compares its head with the fitted model on a probe. */
    private double checkWritten(
            Path dir, LabelledWindows data, EncoderEmbeddings.Matrix matrix, LinearModel model) {
        try (ModelBundle check = ModelBundle.load(dir, threads)) {
            HeadRunner h = check.head(task).orElseThrow();
            float[][] probe = new float[Math.min(8, data.windowCount())][];
            for (int i = 0; i < probe.length; i++) {
                probe[i] = matrix.row(i);
            }
            float[][] served = h.apply(probe);
            float[][] fitted = model.applyAll(probe);
            double maxDiff = 0;
            for (int i = 0; i < probe.length; i++) {
                for (int c = 0; c < served[i].length; c++) {
                    maxDiff = Math.max(maxDiff, Math.abs(served[i][c] - fitted[i][c]));
                }
            }
            if (!(maxDiff <= 1e-4)) {
                throw new IllegalStateException(
                        "the written head differs from the fitted model by " + maxDiff);
            }
            return maxDiff;
        }
    }

    private void crossValidateClassifier(
            RecordClassifier.WindowHead head,
            LabelledWindows data,
            int[] all,
            List<String> labelNames,
            ObjectNode fit) {
        int k = Math.min(5, Arrays.stream(classCounts(data, labelNames.size())).min().orElse(0));
        ObjectNode cv = fit.putObject("cv");
        if (k < 2) {
            cv.put("skipped", "fewer than 2 recordings in some class");
            return;
        }
        int[] fold = RecordClassifier.stratifiedFolds(all, data.recordLabel, k, new Random(seed));
        int[] truth = new int[all.length];
        int[] pred = new int[all.length];
        double[][] prob = new double[all.length][];
        for (int f = 0; f < k; f++) {
            int[] tr = RecordClassifier.select(all, fold, f, false);
            int[] te = RecordClassifier.select(all, fold, f, true);
            double[][] p = head.fitPredict(tr, data.recordLabel, te, seed + f);
            for (int i = 0; i < te.length; i++) {
                prob[te[i]] = p[i];
            }
        }
        for (int r = 0; r < all.length; r++) {
            truth[r] = data.recordLabel[r];
            pred[r] = RecordingAggregator.argmax(prob[r]);
        }
        double[] f1 = ClassificationMetrics.f1PerClass(truth, pred, labelNames.size());
        cv.put("folds", k);
        cv.put("nestedLambda", true);
        long correct =
                java.util.stream.IntStream.range(0, all.length)
                        .filter(i -> truth[i] == pred[i])
                        .count();
        cv.put("recordingAccuracy", round((double) correct / all.length));
        ObjectNode perClass = cv.putObject("recordingF1");
        double sum = 0;
        for (int c = 0; c < f1.length; c++) {
            perClass.put(labelNames.get(c), round(f1[c]));
            sum += Double.isNaN(f1[c]) ? 0 : f1[c];
        }
        cv.put("recordingMacroF1", round(sum / f1.length));
        if (labelNames.size() == 2) {
            double[] score = Arrays.stream(prob).mapToDouble(p -> p[1]).toArray();
            cv.put("auroc", round(ClassificationMetrics.auroc(truth, score, 1)));
        }
    }

    private double crossValidateRegression(
            LabelledWindows data,
            EncoderEmbeddings.Matrix m,
            int[] all,
            double[] y,
            ObjectNode fit) {
        int k = Math.min(5, all.length);
        Random rng = new Random(seed);
        int[] fold = new int[all.length];
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < all.length; i++) {
            order.add(i);
        }
        Collections.shuffle(order, rng);
        for (int i = 0; i < order.size(); i++) {
            fold[order.get(i)] = i % k;
        }
        double best = Double.POSITIVE_INFINITY;
        double bestLambda = RecordClassifier.LAMBDAS[0];
        double[] lambdas = {1e-3, 1e-2, 1e-1, 1, 10};
        for (double lambda : lambdas) {
            double err = 0;
            for (int f = 0; f < k; f++) {
                int[] tr = RecordClassifier.select(all, fold, f, false);
                int[] te = RecordClassifier.select(all, fold, f, true);
                LinearModel model = fitRidge(data, m, tr, y, lambda);
                for (int r : te) {
                    err += Math.abs(predictRecording(data, m, model, r) - y[r]);
                }
            }
            err /= all.length;
            if (err < best) {
                best = err;
                bestLambda = lambda;
            }
        }
        ObjectNode cv = fit.putObject("cv");
        cv.put("folds", k);
        cv.put("recordingMae", round(best));
        cv.put("nestedLambda", false);
        cv.put(
                "note",
                "MAE at the lambda that CV chose (not nested): optimistic by the choice among 5"
                        + " values");
        return bestLambda;
    }

    private static LinearModel fitRidge(
            LabelledWindows data,
            EncoderEmbeddings.Matrix m,
            int[] recs,
            double[] y,
            double lambda) {
        LabelledWindows.WindowRows rows = data.windowRows(recs, m);
        double[] t = new double[rows.x().length];
        for (int i = 0; i < t.length; i++) {
            t[i] = y[rows.record()[i]];
        }
        return RidgeRegression.fit(rows.x(), t, rows.weight(), lambda);
    }

    private static double predictRecording(
            LabelledWindows data, EncoderEmbeddings.Matrix m, LinearModel model, int r) {
        int[] ws = data.recordWindows[r];
        double[] v = new double[ws.length];
        for (int i = 0; i < ws.length; i++) {
            v[i] = model.apply(m.row(ws[i]))[0];
        }
        return RecordingAggregator.regress(v).orElse(Double.NaN);
    }

    private LabelledWindows windows(Map<String, Integer> labelIndex, PrintWriter o)
            throws IOException {
        Path npz = dataset;
        Path scratch = null;
        try {
            if (npz == null) {
                scratch =
                        Files.createTempFile(
                                out.toAbsolutePath().getParent(), ".fit-head-", ".npz");
                // The bundle's own geometry with the job's defaults: the windows the job would
                // embed.
                WindowDatasetBuilder builder =
                        new WindowDatasetBuilder(
                                WindowDatasetBuilder.windowSpec(bundleManifest), line -> {});
                int added = 0;
                for (String rec : labelIndex.keySet()) {
                    Path header = records.resolve(rec + ".hea");
                    if (!Files.isRegularFile(header)) {
                        throw new IllegalArgumentException(
                                "record " + rec + " of " + labels + " has no header " + header);
                    }
                    builder.addPath(header, false);
                    added++;
                }
                o.printf(
                        Locale.ROOT,
                        "fit-head: %d recordings through the job's window path%n",
                        added);
                builder.writeNpz(scratch, false);
                npz = scratch;
            }
            Map<String, NpyReader.Array> z = NpyReader.readNpz(npz);
            NpyReader.Array w = z.get("windows");
            if (w == null || !z.containsKey("device") || !z.containsKey("device_names")) {
                throw new IllegalArgumentException(
                        npz
                                + ": not a dataset from bin/fmstream dataset (windows, device, "
                                + "device_names)");
            }
            return LabelledWindows.ofRecords(
                    w.asFloats(),
                    (int) w.shape()[1],
                    z.get("device").asInts(),
                    z.get("device_names").asStrings(),
                    labelIndex);
        } finally {
            if (scratch != null) {
                Files.deleteIfExists(scratch);
            }
        }
    }

    private void writeBundle(
            Path dir,
            JsonNode manifest,
            LinearModel model,
            HeadKind headKind,
            List<String> labelNames,
            String encoderSha,
            ObjectNode fit)
            throws IOException {
        Files.createDirectories(dir);
        try (Stream<Path> files = Files.walk(bundle)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Path rel = bundle.relativize(f);
                if (rel.getName(0).toString().equals("data")
                        || rel.toString().equals("manifest.json")) {
                    continue; // datasets and caches are not part of a bundle
                }
                Files.createDirectories(dir.resolve(rel).getParent());
                Files.copy(f, dir.resolve(rel));
            }
        }
        double[][] w = model.weights();
        double[] b = model.bias();
        float[][] wf = new float[w.length][w[0].length];
        float[] bf = new float[b.length];
        for (int c = 0; c < w.length; c++) {
            for (int j = 0; j < w[c].length; j++) {
                wf[c][j] = (float) w[c][j];
            }
            bf[c] = (float) b[c];
        }
        LinearHead head = LinearHead.of(wf, bf, LinearHead.Activation.forKind(headKind));
        byte[] bytes = head.toJson();
        String rel = "heads/" + task + ".json";
        Files.createDirectories(dir.resolve("heads"));
        Files.write(dir.resolve(rel), bytes);
        ObjectNode m = (ObjectNode) manifest.deepCopy();
        ObjectNode h = ((ArrayNode) m.get("heads")).addObject();
        h.put("task", task);
        h.put("name", m.get("bundleId").asText() + "-" + task.replace('_', '-') + "-linear");
        h.put("version", headVersion);
        h.put("file", rel);
        h.put("sha256", Sha256.hex(bytes));
        h.put("kind", headKind.manifestName());
        h.put("format", "linear");
        if (headKind == HeadKind.CLASSIFICATION) {
            ArrayNode l = h.putArray("labels");
            labelNames.forEach(l::add);
        } else {
            h.put("unit", unit);
        }
        h.put("outputDim", headKind == HeadKind.CLASSIFICATION ? labelNames.size() : 1);
        h.put("encoderSha256", encoderSha);
        h.set("fit", fit);
        // A bundle with another head is another bundle: fmstream_bundle_info and every report
        // name the version, and with the source's they could not tell the two apart.
        StringBuilder heads = new StringBuilder();
        for (JsonNode each : m.get("heads")) {
            heads.append(each.path("task").asText())
                    .append('=')
                    .append(each.path("sha256").asText())
                    .append('\n');
        }
        m.put(
                "version",
                bundleVersion(
                        m.path("version").asText(),
                        task,
                        Sha256.hex(heads.toString().getBytes(StandardCharsets.UTF_8))));
        Files.write(
                dir.resolve("manifest.json"),
                (json.writeValueAsString(m) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The new bundle's version: {@code --bundle-version}, or the source's (without its build
     * metadata) with the task and 8 hex digits of a sha256 over every head of the new bundle (task
     * and file hash) as semantic-versioning build metadata ({@code [0-9A-Za-z-]}, so the task's
     * underscores become hyphens): the same bundle gives the same version, and bundles with other
     * heads, or the same head fitted onto another bundle, another one.
     */
    String bundleVersion(String sourceVersion, String task, String headsSha256) {
        if (bundleVersion != null) {
            return bundleVersion;
        }
        String base = sourceVersion.isEmpty() ? "0.0.0" : sourceVersion.replaceAll("\\+.*", "");
        return base
                + "+"
                + task.replaceAll("[^0-9A-Za-z-]", "-")
                + "."
                + headsSha256.substring(0, 8);
    }

    static Map<String, String> readLabels(Path csv) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        int line = 0;
        for (String text : Files.readAllLines(csv, StandardCharsets.UTF_8)) {
            line++;
            String t = text.strip();
            if (t.isEmpty() || t.startsWith("#")) {
                continue;
            }
            String[] parts = t.split(",");
            if (parts.length != 2 || parts[0].isBlank() || parts[1].isBlank()) {
                throw new IllegalArgumentException(
                        csv + ":" + line + ": expected 'record,label', got '" + t + "'");
            }
            if (out.put(parts[0].strip(), parts[1].strip()) != null) {
                throw new IllegalArgumentException(
                        csv + ":" + line + ": record " + parts[0].strip() + " appears twice");
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(csv + ": no labels");
        }
        return out;
    }

    /**
     * The windows of {@code n} recordings per class, drawn with {@code rng}. A drawn recording with
     * no window (shorter than one, or all gaps) is replaced by the next of its class in the draw's
     * order, so the head is fitted on {@code n} per class as asked: drawing first and dropping
     * after left some classes short (the count was only reported in {@code recordingsPerLabel}).
     */
    private LabelledWindows drawPerClass(
            Map<String, Integer> labelIndex, int classes, int n, Random rng, PrintWriter o)
            throws IOException {
        List<List<String>> candidates = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            List<String> members = new ArrayList<>();
            for (Map.Entry<String, Integer> e : labelIndex.entrySet()) {
                if (e.getValue() == c) {
                    members.add(e.getKey());
                }
            }
            if (members.size() < n) {
                throw new IllegalArgumentException(
                        "--per-class "
                                + n
                                + ": class "
                                + c
                                + " has only "
                                + members.size()
                                + " recordings");
            }
            Collections.shuffle(members, rng);
            candidates.add(members);
        }
        int[] next = new int[classes];
        List<List<String>> chosen = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            chosen.add(new ArrayList<>(candidates.get(c).subList(0, n)));
            next[c] = n;
        }
        int replaced = 0;
        while (true) {
            Map<String, Integer> drawn = new LinkedHashMap<>();
            for (int c = 0; c < classes; c++) {
                int cls = c;
                chosen.get(c).stream().sorted().forEach(r -> drawn.put(r, cls));
            }
            LabelledWindows data = windows(drawn, o);
            Set<String> withWindows = new HashSet<>(List.of(data.recordNames));
            boolean complete = true;
            for (int c = 0; c < classes; c++) {
                List<String> mine = chosen.get(c);
                int before = mine.size();
                mine.removeIf(r -> !withWindows.contains(r));
                replaced += before - mine.size();
                List<String> pool = candidates.get(c);
                while (mine.size() < n && next[c] < pool.size()) {
                    mine.add(pool.get(next[c]++));
                    complete = false;
                }
                if (mine.size() < n) {
                    throw new IllegalArgumentException(
                            "--per-class "
                                    + n
                                    + ": class "
                                    + c
                                    + " has only "
                                    + mine.size()
                                    + " recordings with at least one window of the bundle's"
                                    + " length");
                }
            }
            if (complete) {
                if (replaced > 0) {
                    o.printf(
                            Locale.ROOT,
                            "fit-head: --per-class: %d drawn recordings had no window and were"
                                    + " replaced by the next of their class%n",
                            replaced);
                }
                return data;
            }
        }
    }

    private static int[] classCounts(LabelledWindows data, int classes) {
        int[] c = new int[classes];
        for (int l : data.recordLabel) {
            c[l]++;
        }
        return c;
    }

    private static boolean isNonEmpty(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isPresent();
        }
    }

    private static double round(double v) {
        return Math.round(v * 1e4) / 1e4;
    }
}
