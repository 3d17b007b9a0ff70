package io.fmstream.tools.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fmstream.core.model.Sha256;
import io.fmstream.data.RepositoryLayout;
import io.fmstream.data.dataset.NpyReader;
import io.fmstream.tools.learn.ClassicalEcgFeatures;
import io.fmstream.tools.learn.ClassificationMetrics;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bin/fmstream evaluate}: the encoder's evaluation protocol in one command (see {@link
 * EvaluationProtocol}); writes {@code EVALUATION.md}, {@code evaluation.json} and {@code
 * learning-curve.png} into the bundle folder. Every figure in them comes from this run (or its
 * cache), none is typed in.
 */
@Command(
        name = "evaluate",
        mixinStandardHelpOptions = true,
        description = {
            "Cross-validated few-label evaluation of a bundle's encoder on labelled recordings"
                + " (CinC 2017): frozen encoder + linear head vs classical RR/quality features, a"
                + " random encoder, and (when its predictions are in --scratch-dir) the same"
                + " architecture trained from scratch.",
            "Writes EVALUATION.md, evaluation.json and learning-curve.png into --out. Resumable:"
                    + " scores are cached."
        })
public final class EvaluateCommand implements Callable<Integer> {

    @Option(
            names = "--bundle",
            required = true,
            description = "The bundle whose encoder is evaluated (its folder).")
    Path bundle;

    @Option(
            names = "--dataset",
            required = true,
            description = "Labelled windows from `bin/fmstream dataset --records cinc2017` (.npz).")
    Path dataset;

    @Option(
            names = "--records-dir",
            description =
                    "WFDB folder of the same recordings, for the classical "
                            + "features (default: cinc2017 under the shared data).")
    Path recordsDir;

    @Option(
            names = "--compare-encoder",
            paramLabel = "NAME=ONNX",
            description =
                    "Another encoder evaluated the same way, e.g."
                            + " ecg-fm-v1=model-artifacts/ecg-fm-v1/encoder.onnx.")
    Map<String, Path> compare = new LinkedHashMap<>();

    @Option(
            names = "--random-encoder",
            description =
                    "The same architecture with random weights (.onnx), "
                            + "from `train.py --export-random-encoder`.")
    Path randomEncoder;

    @Option(
            names = "--scratch-dir",
            description =
                    "Per-draw window probabilities of the from-scratch baseline"
                            + " (`scratch_baseline.py`); draws without a file are left out of that"
                            + " method.")
    Path scratchDir;

    @Option(
            names = "--budgets",
            split = ",",
            defaultValue = "5,10,25,100,all",
            description = "Labelled recordings per class (default: ${DEFAULT-VALUE}).")
    List<String> budgets;

    @Option(
            names = "--draws",
            defaultValue = "10",
            description = "Draws per numeric budget (default: ${DEFAULT-VALUE}).")
    int drawsPerBudget;

    @Option(
            names = "--folds",
            defaultValue = "5",
            description = "Cross-validation folds (default: ${DEFAULT-VALUE}).")
    int folds;

    @Option(
            names = "--seed",
            defaultValue = "20261202",
            description = "Fold and draw seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(
            names = "--threads",
            defaultValue = "2",
            description = "Worker threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--out", description = "Where the report goes (default: the bundle folder).")
    Path out;

    @Option(names = "--cache", description = "Cache folder (default: <bundle>/data/eval-cache).")
    Path cache;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    private final ObjectMapper json = new ObjectMapper();

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        java.util.function.Consumer<String> log =
                line -> {
                    synchronized (o) {
                        o.println("evaluate: " + line);
                        o.flush();
                    }
                };
        Path outDir = out != null ? out : bundle;
        Path cacheDir = cache != null ? cache : bundle.resolve("data").resolve("eval-cache");
        Path records =
                recordsDir != null ? recordsDir : RepositoryLayout.sharedData().resolve("cinc2017");
        if (!Files.isRegularFile(bundle.resolve("encoder.onnx"))) {
            throw new IllegalArgumentException("no encoder.onnx in " + bundle);
        }
        if (!Files.isRegularFile(dataset)) {
            throw new IllegalArgumentException(
                    "no dataset "
                            + dataset
                            + ": build it with `bin/fmstream dataset --out "
                            + dataset
                            + " --records cinc2017`");
        }
        long t0 = System.nanoTime();
        String dataSha = Sha256.hex(dataset);
        LabelledWindows data = LabelledWindows.read(dataset);
        log.accept(
                String.format(
                        Locale.ROOT,
                        "%d recordings, %d windows, classes N/A/O/~ = %s",
                        data.records(),
                        data.windowCount(),
                        Arrays.toString(data.classCounts())));
        EvaluationProtocol protocol = new EvaluationProtocol(data, folds, seed);
        List<EvaluationProtocol.Draw> draws = new ArrayList<>();
        for (String b : budgets) {
            draws.addAll(
                    protocol.draws(b, EvaluationProtocol.ALL.equals(b) ? folds : drawsPerBudget));
        }
        protocol.writeDraws(cacheDir.resolve("draws.json"), draws);
        // Cached scores are per draw key (budget-index): draws that changed (another dataset, a
        // recording grouped differently, another seed) must not read the old scores back.
        EvaluationProtocol.invalidateWhenChanged(
                cacheDir, null, EvaluationProtocol.fileKey(cacheDir.resolve("draws.json")), log);

        int classes = LabelledWindows.CLASSES.size();
        List<EvaluationProtocol.Method> methods = new ArrayList<>();
        Map<String, String> encoders = new LinkedHashMap<>();
        EncoderEmbeddings.Matrix primary =
                EncoderEmbeddings.compute(
                        bundle.resolve("encoder.onnx"), data, dataSha, cacheDir, threads, log);
        String bundleName = bundle.toAbsolutePath().normalize().getFileName().toString();
        encoders.put(bundleName, primary.encoderSha256());
        methods.add(
                windowMethod(
                        bundleName + " frozen + linear",
                        "frozen-" + primary.encoderSha256().substring(0, 16),
                        "logistic head per window on the frozen encoder's embeddings, recording ="
                                + " mean probability",
                        data,
                        primary,
                        classes));
        double[][] features =
                EvaluationProtocol.classicalFeatures(data, records, cacheDir, threads, log);
        // The classical methods' scores depend on the records folder the features came from.
        String recordsKey =
                Integer.toHexString(records.toAbsolutePath().normalize().toString().hashCode());
        for (String key : List.of("classical-lr-", "classical-rf-")) {
            EvaluationProtocol.invalidateWhenChanged(
                    cacheDir,
                    key + Integer.toHexString(ClassicalEcgFeatures.NAMES.hashCode()),
                    recordsKey,
                    log);
        }
        RecordClassifier classical = new RecordClassifier.RecordFeatures(features, classes);
        methods.add(
                new EvaluationProtocol.Method(
                        "classical RR+quality, logistic",
                        "classical-lr-"
                                + Integer.toHexString(ClassicalEcgFeatures.NAMES.hashCode()),
                        "Pan-Tompkins QRS detection, "
                                + ClassicalEcgFeatures.NAMES.size()
                                + " RR-irregularity, morphology and quality features per recording,"
                                + " logistic regression",
                        d ->
                                classical.fitPredict(
                                        d.train(), data.recordLabel, d.test(), seed + d.index())));
        RecordClassifier forest = new RecordClassifier.RecordForest(features, classes, 300);
        methods.add(
                new EvaluationProtocol.Method(
                        "classical RR+quality, random forest",
                        "classical-rf-"
                                + Integer.toHexString(ClassicalEcgFeatures.NAMES.hashCode()),
                        "the same features, random forest (300 trees, sqrt(features) per split,"
                                + " weighted Gini; defaults, not tuned)",
                        d ->
                                forest.fitPredict(
                                        d.train(), data.recordLabel, d.test(), seed + d.index())));
        if (scratchDir != null) {
            // A re-run of scratch_baseline.py, or another --scratch-dir, must not read the old
            // cached scores back: they are dropped when the predictions' bytes change.
            EvaluationProtocol.invalidateWhenChanged(
                    cacheDir, "scratch", EvaluationProtocol.contentKey(scratchDir), log);
            methods.add(
                    new EvaluationProtocol.Method(
                            "from scratch (same architecture)",
                            "scratch",
                            "the encoder's architecture + linear layer trained end to end on the"
                                + " draw's labelled windows only (scratch_baseline.py), recording ="
                                + " mean probability",
                            d -> scratchPredictions(data, d, classes)));
        }
        if (randomEncoder != null) {
            EncoderEmbeddings.Matrix random =
                    EncoderEmbeddings.compute(randomEncoder, data, dataSha, cacheDir, threads, log);
            encoders.put("random-init", random.encoderSha256());
            methods.add(
                    windowMethod(
                            "random encoder + linear",
                            "random-" + random.encoderSha256().substring(0, 16),
                            "the same architecture with random weights, frozen, + logistic head per"
                                    + " window",
                            data,
                            random,
                            classes));
        }
        for (Map.Entry<String, Path> e : compare.entrySet()) {
            EncoderEmbeddings.Matrix m =
                    EncoderEmbeddings.compute(e.getValue(), data, dataSha, cacheDir, threads, log);
            encoders.put(e.getKey(), m.encoderSha256());
            methods.add(
                    windowMethod(
                            e.getKey() + " frozen + linear",
                            "frozen-" + m.encoderSha256().substring(0, 16),
                            "as the first row, with encoder " + e.getValue(),
                            data,
                            m,
                            classes));
        }

        // scores depend on the folds and draws too: keep them apart per dataset, seed and fold
        // count
        Path scoreDir =
                cacheDir.resolve(
                        String.format(
                                Locale.ROOT,
                                "scores-%s-s%d-k%d",
                                dataSha.substring(0, 12),
                                seed,
                                folds));
        Map<String, Map<String, EvaluationProtocol.Score>> results =
                protocol.run(methods, draws, scoreDir, threads, log);
        ObjectNode report =
                summarise(protocol, methods, draws, results, scoreDir, encoders, dataSha, records);
        NearDuplicates.Result dup = NearDuplicates.find(data, primary, protocol.recordFold);
        ObjectNode dupNode = report.putObject("nearDuplicatesAcrossFolds");
        dupNode.put("identicalPairs", dup.exactPairs());
        dupNode.put("embeddingCandidatePairs", dup.candidatePairs());
        dupNode.put("confirmedPairs", dup.confirmedPairs());
        dupNode.put("cosineThreshold", NearDuplicates.COSINE);
        dupNode.put("windowCorrelationThreshold", NearDuplicates.CORRELATION);
        ArrayNode ex = dupNode.putArray("examples");
        dup.examples().forEach(ex::add);
        log.accept(
                "near-duplicates across folds: "
                        + dup.exactPairs()
                        + " identical, "
                        + dup.candidatePairs()
                        + " embedding candidates, "
                        + dup.confirmedPairs()
                        + " confirmed by the raw windows");
        Files.createDirectories(outDir);
        // The three outputs are written beside their places first and moved in together at the
        // end: written one after another in place, a failure between them (the plot, say) left
        // an evaluation.json of this run beside an EVALUATION.md of the last one.
        Path jsonTmp = outDir.resolve(".evaluation.json.tmp");
        Path plotTmp = outDir.resolve(".learning-curve.png.tmp");
        Path markdownTmp = outDir.resolve(".EVALUATION.md.tmp");
        json.writerWithDefaultPrettyPrinter().writeValue(jsonTmp.toFile(), report);
        List<LearningCurvePlot.Series> series = new ArrayList<>();
        for (EvaluationProtocol.Method m : methods) {
            double[] mean = new double[budgets.size()];
            double[] sd = new double[budgets.size()];
            for (int i = 0; i < budgets.size(); i++) {
                double[] v =
                        values(
                                results.get(m.key()),
                                draws,
                                budgets.get(i),
                                EvaluationProtocol.Score::challengeF1);
                mean[i] = v.length == 0 ? Double.NaN : mean(v);
                sd[i] = v.length == 0 ? Double.NaN : sd(v);
            }
            series.add(new LearningCurvePlot.Series(m.name(), mean, sd));
        }
        LearningCurvePlot.write(
                plotTmp,
                "CinC 2017, " + folds + "-fold CV by recording (mean +- sd over draws)",
                budgets,
                series);
        Files.writeString(markdownTmp, EvaluationReport.markdown(report, bundleName));
        moveInto(jsonTmp, outDir.resolve("evaluation.json"));
        moveInto(plotTmp, outDir.resolve("learning-curve.png"));
        moveInto(markdownTmp, outDir.resolve("EVALUATION.md"));
        // the README quotes this table verbatim (ReadmeModelFiguresTest): paste it from here
        Files.writeString(
                cacheDir.resolve("readme-table.md"), EvaluationReport.readmeTable(report));
        log.accept(
                String.format(
                        Locale.ROOT,
                        "wrote %s, evaluation.json and learning-curve.png in %s (%.1f min)",
                        "EVALUATION.md",
                        outDir,
                        (System.nanoTime() - t0) / 60e9));
        for (var t : report.get("targets")) {
            o.println(
                    (t.get("met").asBoolean() ? "MET    " : "MISSED ")
                            + t.get("target").asText()
                            + ": "
                            + t.get("value").asText());
        }
        o.flush();
        return 0;
    }

    private static EvaluationProtocol.Method windowMethod(
            String name,
            String key,
            String description,
            LabelledWindows data,
            EncoderEmbeddings.Matrix embeddings,
            int classes) {
        RecordClassifier c = new RecordClassifier.WindowHead(data, embeddings, classes);
        return new EvaluationProtocol.Method(
                name,
                key,
                description,
                d ->
                        c.fitPredict(
                                d.train(), data.recordLabel, d.test(), 17L * d.index() + d.fold()));
    }

    private double[][] scratchPredictions(
            LabelledWindows data, EvaluationProtocol.Draw d, int classes)
            throws java.io.IOException {
        Path f = scratchDir.resolve(d.key() + ".npy");
        if (!Files.isRegularFile(f)) {
            return null;
        }
        NpyReader.Array a = NpyReader.read(f);
        float[] p = a.asFloats();
        int rows = 0;
        for (int r : d.test()) {
            rows += data.recordWindows[r].length;
        }
        if (a.shape()[0] != rows || a.shape()[1] != classes) {
            throw new IllegalArgumentException(
                    f
                            + ": shape "
                            + Arrays.toString(a.shape())
                            + ", expected ["
                            + rows
                            + ", "
                            + classes
                            + "] (the test fold's windows in draws.json order)");
        }
        double[][] out = new double[d.test().length][];
        int row = 0;
        for (int k = 0; k < d.test().length; k++) {
            int n = data.recordWindows[d.test()[k]].length;
            out[k] =
                    io.fmstream.core.recording.RecordingAggregator.classify(
                                    p, classes, row, row + n)
                            .map(
                                    io.fmstream.core.recording.RecordingAggregator.Classification
                                            ::probabilities)
                            .orElseGet(() -> RecordClassifier.uniform(classes));
            row += n;
        }
        return out;
    }

    private ObjectNode summarise(
            EvaluationProtocol protocol,
            List<EvaluationProtocol.Method> methods,
            List<EvaluationProtocol.Draw> draws,
            Map<String, Map<String, EvaluationProtocol.Score>> results,
            Path cacheDir,
            Map<String, String> encoders,
            String dataSha,
            Path records)
            throws Exception {
        ObjectNode root = json.createObjectNode();
        root.put("dataset", dataset.getFileName().toString());
        root.put("datasetSha256", dataSha);
        root.put("recordsDir", portable(records));
        root.put("recordings", protocol.data.records());
        root.put("windows", protocol.data.windowCount());
        ArrayNode cc = root.putArray("classCounts");
        for (int c : protocol.data.classCounts()) {
            cc.add(c);
        }
        root.put("folds", folds);
        root.put("seed", seed);
        root.put("drawsPerBudget", drawsPerBudget);
        ObjectNode enc = root.putObject("encoders");
        encoders.forEach(enc::put);
        ArrayNode ms = root.putArray("methods");
        for (EvaluationProtocol.Method m : methods) {
            ObjectNode mo = ms.addObject();
            mo.put("name", m.name());
            mo.put("key", m.key());
            mo.put("description", m.description());
        }
        ArrayNode table = root.putArray("budgets");
        for (String b : budgets) {
            ObjectNode bo = table.addObject();
            bo.put("budget", b);
            ObjectNode per = bo.putObject("methods");
            for (EvaluationProtocol.Method m : methods) {
                Map<String, EvaluationProtocol.Score> r = results.get(m.key());
                double[] f1 = values(r, draws, b, EvaluationProtocol.Score::challengeF1);
                if (f1.length == 0) {
                    continue;
                }
                ObjectNode mo = per.putObject(m.key());
                mo.put("draws", f1.length);
                mo.put("challengeF1", mean(f1));
                mo.put("challengeF1Sd", sd(f1));
                ArrayNode pc = mo.putArray("f1PerClass");
                for (int c = 0; c < LabelledWindows.CLASSES.size(); c++) {
                    int cls = c;
                    pc.add(mean(values(r, draws, b, s -> s.f1()[cls])));
                }
                mo.put("afAuroc", mean(values(r, draws, b, EvaluationProtocol.Score::afAuroc)));
                mo.put(
                        "afSensitivityAt95Specificity",
                        mean(
                                values(
                                        r,
                                        draws,
                                        b,
                                        EvaluationProtocol.Score::afSensitivityAt95Specificity)));
                mo.put("brier", mean(values(r, draws, b, EvaluationProtocol.Score::brier)));
            }
            // paired differences: the first method (the bundle's frozen encoder) against each other
            ArrayNode diffs = bo.putArray("pairedDifferences");
            EvaluationProtocol.Method first = methods.get(0);
            for (EvaluationProtocol.Method other : methods.subList(1, methods.size())) {
                List<Double> d = new ArrayList<>();
                for (EvaluationProtocol.Draw dr : draws) {
                    if (!dr.budget().equals(b)) {
                        continue;
                    }
                    var a = results.get(first.key()).get(dr.key());
                    var c = results.get(other.key()).get(dr.key());
                    if (a != null && c != null) {
                        d.add(a.challengeF1() - c.challengeF1());
                    }
                }
                if (d.isEmpty()) {
                    continue;
                }
                double[] dv = d.stream().mapToDouble(Double::doubleValue).toArray();
                ObjectNode x = diffs.addObject();
                x.put("versus", other.key());
                x.put("versusName", other.name());
                x.put("draws", dv.length);
                x.put("meanDifference", mean(dv));
                x.put("wins", Arrays.stream(dv).filter(v -> v > 0).count());
                double[] ci;
                String unit;
                if (EvaluationProtocol.ALL.equals(b)) {
                    ci = recordingBootstrap(protocol, cacheDir, first.key(), other.key());
                    unit = "recordings (out-of-fold predictions)";
                } else {
                    ci = ClassificationMetrics.bootstrapMeanCi(dv, 10_000, seed);
                    unit = "draws";
                }
                if (ci != null) {
                    x.put("ci95Low", ci[0]);
                    x.put("ci95High", ci[1]);
                    x.put("bootstrapUnit", unit);
                }
            }
        }
        root.set("targets", targets(root, methods));
        return root;
    }

    /**
     * Bootstrap over recordings of the Challenge F1 difference of two methods' out-of-fold
     * predictions.
     */
    private double[] recordingBootstrap(
            EvaluationProtocol protocol, Path cacheDir, String a, String b)
            throws java.io.IOException {
        double[][] pa = protocol.outOfFold(cacheDir, a);
        double[][] pb = protocol.outOfFold(cacheDir, b);
        if (pa == null || pb == null) {
            return null;
        }
        int n = pa.length;
        int[] truth = protocol.data.recordLabel;
        int[] ya = new int[n];
        int[] yb = new int[n];
        for (int i = 0; i < n; i++) {
            ya[i] = io.fmstream.core.recording.RecordingAggregator.argmax(pa[i]);
            yb[i] = io.fmstream.core.recording.RecordingAggregator.argmax(pb[i]);
        }
        Random rng = new Random(seed);
        int resamples = 1000;
        double[] diffs = new double[resamples];
        int[] t = new int[n];
        int[] sa = new int[n];
        int[] sb = new int[n];
        for (int r = 0; r < resamples; r++) {
            for (int i = 0; i < n; i++) {
                int k = rng.nextInt(n);
                t[i] = truth[k];
                sa[i] = ya[k];
                sb[i] = yb[k];
            }
            int classes = LabelledWindows.CLASSES.size();
            diffs[r] =
                    ClassificationMetrics.challengeF1(t, sa, classes, EvaluationProtocol.SCORED)
                            - ClassificationMetrics.challengeF1(
                                    t, sb, classes, EvaluationProtocol.SCORED);
        }
        Arrays.sort(diffs);
        return new double[] {
            diffs[(int) (0.025 * (resamples - 1))], diffs[(int) Math.ceil(0.975 * (resamples - 1))]
        };
    }

    private ArrayNode targets(ObjectNode root, List<EvaluationProtocol.Method> methods) {
        ArrayNode t = json.createArrayNode();
        String first = methods.get(0).key();
        for (var b : root.get("budgets")) {
            String budget = b.get("budget").asText();
            var m = b.get("methods").get(first);
            if (m == null) {
                continue;
            }
            double f1 = m.get("challengeF1").asDouble();
            switch (budget) {
                case "10" ->
                        t.add(
                                target(
                                        "Challenge F1 with 10 labelled recordings per class >="
                                                + " 0.65",
                                        f1,
                                        f1 >= 0.65));
                case "25" ->
                        t.add(
                                target(
                                        "Challenge F1 with 25 labelled recordings per class >="
                                                + " 0.72",
                                        f1,
                                        f1 >= 0.72));
                case "all" ->
                        t.add(
                                target(
                                        "Challenge F1 with all labels, frozen encoder + linear head"
                                                + " >= 0.75",
                                        f1,
                                        f1 >= 0.75));
                default -> {}
            }
            if (List.of("5", "10", "25").contains(budget)) {
                for (var d : b.get("pairedDifferences")) {
                    String vs = d.get("versus").asText();
                    if (!vs.startsWith("classical-") && !vs.equals("scratch")) {
                        continue;
                    }
                    long wins = d.get("wins").asLong();
                    int n = d.get("draws").asInt();
                    double low = d.has("ci95Low") ? d.get("ci95Low").asDouble() : Double.NaN;
                    boolean met = wins >= Math.ceil(0.8 * n) && low > 0;
                    t.add(
                            target(
                                    String.format(
                                            Locale.ROOT,
                                            "%s per class: frozen + linear beats %s on >= 80 %% of"
                                                + " draws with CI of the mean difference above 0",
                                            budget,
                                            d.get("versusName").asText()),
                                    String.format(
                                            Locale.ROOT,
                                            "%d/%d draws, mean %+.3f, CI [%+.3f, %+.3f]",
                                            wins,
                                            n,
                                            d.get("meanDifference").asDouble(),
                                            low,
                                            d.has("ci95High")
                                                    ? d.get("ci95High").asDouble()
                                                    : Double.NaN),
                                    met));
                }
            }
        }
        return t;
    }

    private ObjectNode target(String text, double value, boolean met) {
        return target(text, String.format(Locale.ROOT, "%.3f", value), met);
    }

    private ObjectNode target(String text, String value, boolean met) {
        ObjectNode o = json.createObjectNode();
        o.put("target", text);
        o.put("value", value);
        o.put("met", met);
        return o;
    }

    /**
     * A path under the shared data as "<shared data>/...", under the checkout as a path relative to
     * its root, so the report names no machine's folders.
     */
    private static String portable(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        try {
            Path shared = RepositoryLayout.sharedData().toAbsolutePath().normalize();
            if (abs.startsWith(shared)) {
                return "<shared data>/" + shared.relativize(abs).toString().replace('\\', '/');
            }
        } catch (IllegalStateException e) {
            // no shared data on this machine
        }
        try {
            Path root = RepositoryLayout.root().toAbsolutePath().normalize();
            if (abs.startsWith(root)) {
                return root.relativize(abs).toString().replace('\\', '/');
            }
        } catch (IllegalStateException e) {
            // outside a checkout: the path as given is all there is to say
        }
        return p.toString();
    }

    static double[] values(
            Map<String, EvaluationProtocol.Score> r,
            List<EvaluationProtocol.Draw> draws,
            String budget,
            java.util.function.ToDoubleFunction<EvaluationProtocol.Score> f) {
        if (r == null) {
            return new double[0];
        }
        return draws.stream()
                .filter(d -> d.budget().equals(budget))
                .map(d -> r.get(d.key()))
                .filter(java.util.Objects::nonNull)
                .mapToDouble(f)
                .filter(Double::isFinite)
                .toArray();
    }

    static double mean(double[] v) {
        return v.length == 0 ? Double.NaN : Arrays.stream(v).average().orElse(Double.NaN);
    }

    static double sd(double[] v) {
        if (v.length < 2) {
            return 0;
        }
        double m = mean(v);
        return Math.sqrt(Arrays.stream(v).map(x -> (x - m) * (x - m)).sum() / (v.length - 1));
    }

    /** Replaces {@code target} with {@code written} in one rename (same folder). */
    private static void moveInto(Path written, Path target) throws java.io.IOException {
        Files.move(
                written,
                target,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
