package io.fmstream.tools.eval;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fmstream.core.model.HeadFormat;
import io.fmstream.core.model.HeadRunner;
import io.fmstream.core.model.ModelBundle;
import io.fmstream.data.RepositoryLayout;
import io.fmstream.tools.CliRun;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code evaluate} and {@code fit-head} end to end on real recordings (the 150 of cinc2017-train)
 * with the fixture bundle (random weights: the figures mean nothing, the plumbing is the point).
 */
class FewLabelCommandsTest {

    @TempDir static Path dir;
    static Path dataset;

    @BeforeAll
    static void buildDataset() {
        dataset = dir.resolve("cinc2017-train.npz");
        assertThat(
                        run("dataset", "--out", dataset.toString(), "--records", "cinc2017-train")
                                .exit())
                .isZero();
    }

    static CliRun run(String... args) {
        return CliRun.of(args);
    }

    @Test
    void evaluateWritesAReportWhoseFiguresComeFromItsJsonAndResumesFromTheCache() throws Exception {
        Path out = dir.resolve("eval");
        Path cache = dir.resolve("eval-cache");
        String[] args = {
            "evaluate",
            "--bundle",
            RepositoryLayout.fixtureBundle().toString(),
            "--dataset",
            dataset.toString(),
            "--records-dir",
            RepositoryLayout.testData().resolve("cinc2017-train").toString(),
            "--budgets",
            "5,all",
            "--draws",
            "2",
            "--folds",
            "3",
            "--out",
            out.toString(),
            "--cache",
            cache.toString()
        };
        CliRun first = run(args);
        assertThat(first.exit()).as(first.err()).isZero();
        JsonNode report = new ObjectMapper().readTree(out.resolve("evaluation.json").toFile());
        assertThat(report.get("recordings").asInt()).isEqualTo(150);
        assertThat(report.get("classCounts").toString()).isEqualTo("[75,25,35,15]");
        assertThat(report.get("recordsDir").asText())
                .as("no machine path")
                .isIn("data/physionet/cinc2017-train", "<shared data>/cinc2017-train");
        JsonNode five = report.get("budgets").get(0);
        assertThat(five.get("budget").asText()).isEqualTo("5");
        assertThat(five.get("methods").size())
                .isEqualTo(3); // fixture encoder, classical logistic and forest
        for (JsonNode m : five.get("methods")) {
            assertThat(m.get("draws").asInt()).isEqualTo(2);
            assertThat(m.get("challengeF1").asDouble()).isBetween(0.0, 1.0);
        }
        JsonNode diff = five.get("pairedDifferences").get(0);
        assertThat(diff.get("versus").asText()).startsWith("classical-lr");
        assertThat(diff.get("ci95Low").asDouble())
                .isLessThanOrEqualTo(diff.get("ci95High").asDouble());
        JsonNode all = report.get("budgets").get(1);
        assertThat(all.get("pairedDifferences").get(0).get("bootstrapUnit").asText())
                .startsWith("recordings");
        String md = Files.readString(out.resolve("EVALUATION.md"));
        String f1 =
                String.format(
                        java.util.Locale.ROOT,
                        "%.3f",
                        five.get("methods")
                                .get(diff.get("versus").asText())
                                .get("challengeF1")
                                .asDouble());
        assertThat(md).contains("| 5 | classical RR+quality, logistic | 2 | " + f1);
        assertThat(Files.size(out.resolve("learning-curve.png"))).isGreaterThan(1000);
        // The outputs were written beside their places and moved in: nothing else left there.
        try (var files = Files.list(out)) {
            assertThat(files.map(f -> f.getFileName().toString()))
                    .containsExactlyInAnyOrder(
                            "evaluation.json", "EVALUATION.md", "learning-curve.png");
        }

        CliRun second = run(args);
        assertThat(second.exit()).isZero();
        assertThat(second.out()).contains("from cache").doesNotContain("draw  0: Challenge F1");
        assertThat(new ObjectMapper().readTree(out.resolve("evaluation.json").toFile()))
                .isEqualTo(report);
    }

    @Test
    void fitHeadAddsALinearHeadThatTheBundleLoaderServes() throws Exception {
        Path out = dir.resolve("bundle-with-af");
        Path records = RepositoryLayout.testData().resolve("cinc2017-train");
        CliRun r =
                run(
                        "fit-head",
                        "--bundle",
                        RepositoryLayout.fixtureBundle().toString(),
                        "--out",
                        out.toString(),
                        "--task",
                        "af_vs_rest",
                        "--records",
                        records.toString(),
                        "--labels",
                        records.resolve("REFERENCE.csv").toString(),
                        "--map",
                        "A=af",
                        "--default-label",
                        "rest",
                        "--classes",
                        "rest,af",
                        "--per-class",
                        "10");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("loaded back");
        JsonNode manifest = new ObjectMapper().readTree(out.resolve("manifest.json").toFile());
        JsonNode head = manifest.get("heads").get(manifest.get("heads").size() - 1);
        assertThat(head.get("format").asText()).isEqualTo("linear");
        assertThat(head.get("fit").get("recordingsPerLabel").toString())
                .isEqualTo("{\"rest\":10,\"af\":10}");
        // Another bundle than its source: its version names the task and hashes its heads.
        String source =
                new ObjectMapper()
                        .readTree(
                                RepositoryLayout.fixtureBundle().resolve("manifest.json").toFile())
                        .get("version")
                        .asText();
        assertThat(manifest.get("version").asText())
                .matches(
                        java.util.regex.Pattern.quote(source.replaceAll("\\+.*", ""))
                                + "\\+af-vs-rest\\.[0-9a-f]{8}");
        try (ModelBundle b = ModelBundle.load(out, 1)) {
            HeadRunner h = b.head("af_vs_rest").orElseThrow();
            assertThat(h.format()).isEqualTo(HeadFormat.LINEAR);
            assertThat(h.labels()).containsExactly("rest", "af");
            assertThat(head.get("encoderSha256").asText()).isEqualTo(b.encoder().sha256());
            float[][] p = h.apply(new float[][] {new float[b.encoder().embeddingDim()]});
            assertThat(p[0][0] + p[0][1])
                    .isCloseTo(1f, org.assertj.core.api.Assertions.within(1e-5f));
        }
        // the original bundle is untouched and the task cannot be added twice
        CliRun again =
                run(
                        "fit-head",
                        "--bundle",
                        out.toString(),
                        "--out",
                        dir.resolve("twice").toString(),
                        "--task",
                        "af_vs_rest",
                        "--records",
                        records.toString(),
                        "--labels",
                        records.resolve("REFERENCE.csv").toString(),
                        "--map",
                        "A=af",
                        "--default-label",
                        "rest");
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err()).contains("already has a head for task 'af_vs_rest'");
    }

    @Test
    void fitHeadPerClassReplacesDrawnRecordingsShorterThanAWindow() throws Exception {
        // 10 AF recordings with windows, 3 cut to 2 s (no window), 12 normal: --per-class 10
        // must fit on all 10 AF recordings that have windows, whichever the draw picks first.
        Path source = RepositoryLayout.testData().resolve("cinc2017-train");
        Path records = dir.resolve("per-class-records");
        Files.createDirectories(records);
        StringBuilder csv = new StringBuilder();
        int af = 0;
        int normal = 0;
        for (String line : Files.readAllLines(source.resolve("REFERENCE.csv"))) {
            String[] f = line.split(",");
            boolean take = f[1].equals("A") ? af++ < 10 : f[1].equals("N") && normal++ < 12;
            if (take) {
                Files.copy(source.resolve(f[0] + ".hea"), records.resolve(f[0] + ".hea"));
                Files.copy(source.resolve(f[0] + ".mat"), records.resolve(f[0] + ".mat"));
                csv.append(f[0]).append(',').append(f[1]).append('\n');
            }
        }
        for (int i = 1; i <= 3; i++) {
            String name = "S0000" + i;
            String header = Files.readString(source.resolve("A00004.hea"));
            String[] lines = header.split("\n");
            String[] first = lines[0].split(" ");
            first[0] = name;
            first[3] = "600";
            lines[0] = String.join(" ", first);
            lines[1] = lines[1].replace("A00004.mat", name + ".mat");
            Files.writeString(records.resolve(name + ".hea"), String.join("\n", lines) + "\n");
            Files.copy(source.resolve("A00004.mat"), records.resolve(name + ".mat"));
            csv.append(name).append(",A\n");
        }
        Path labels = records.resolve("REFERENCE.csv");
        Files.writeString(labels, csv);
        // in a folder that does not exist yet (the scratch dataset and the staging folder go
        // beside --out)
        Path out = dir.resolve("new-folder/bundle-per-class");
        CliRun r =
                run(
                        "fit-head",
                        "--bundle",
                        RepositoryLayout.fixtureBundle().toString(),
                        "--out",
                        out.toString(),
                        "--task",
                        "af_vs_rest",
                        "--records",
                        records.toString(),
                        "--labels",
                        labels.toString(),
                        "--map",
                        "A=af",
                        "--default-label",
                        "rest",
                        "--classes",
                        "rest,af",
                        "--per-class",
                        "10");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("had no window and were replaced");
        JsonNode manifest = new ObjectMapper().readTree(out.resolve("manifest.json").toFile());
        JsonNode head = manifest.get("heads").get(manifest.get("heads").size() - 1);
        assertThat(head.get("fit").get("recordingsPerLabel").toString())
                .isEqualTo("{\"rest\":10,\"af\":10}");
        try (var left = Files.list(out.getParent())) {
            assertThat(left.map(p -> p.getFileName().toString()))
                    .as("written beside --out, then moved into place")
                    .containsExactly("bundle-per-class");
        }

        // one more than the AF recordings with windows: refused, naming the shortfall
        CliRun tooMany =
                run(
                        "fit-head",
                        "--bundle",
                        RepositoryLayout.fixtureBundle().toString(),
                        "--out",
                        dir.resolve("per-class-11").toString(),
                        "--task",
                        "af_vs_rest",
                        "--records",
                        records.toString(),
                        "--labels",
                        labels.toString(),
                        "--map",
                        "A=af",
                        "--default-label",
                        "rest",
                        "--classes",
                        "rest,af",
                        "--per-class",
                        "11");
        assertThat(tooMany.exit()).isEqualTo(1);
        assertThat(tooMany.err())
                .contains("class 1 has only 10 recordings with at least one window");
    }

    @Test
    void fitHeadFitsARegressionHeadWithAUnit() throws Exception {
        Path records = RepositoryLayout.testData().resolve("cinc2017-train");
        Path targets = dir.resolve("targets.csv");
        StringBuilder csv = new StringBuilder();
        int i = 0;
        for (String line : Files.readAllLines(records.resolve("REFERENCE.csv"))) {
            if (i++ < 12) {
                csv.append(line.split(",")[0]).append(',').append(60 + i).append('\n');
            }
        }
        Files.writeString(targets, csv);
        Path out = dir.resolve("bundle-with-score");
        CliRun r =
                run(
                        "fit-head",
                        "--bundle",
                        RepositoryLayout.fixtureBundle().toString(),
                        "--out",
                        out.toString(),
                        "--task",
                        "score",
                        "--kind",
                        "regression",
                        "--unit",
                        "points",
                        "--records",
                        records.toString(),
                        "--labels",
                        targets.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        try (ModelBundle b = ModelBundle.load(out, 1)) {
            HeadRunner h = b.head("score").orElseThrow();
            assertThat(h.unit()).isEqualTo("points");
            assertThat(h.outputDim()).isEqualTo(1);
            float v = h.apply(new float[][] {new float[b.encoder().embeddingDim()]})[0][0];
            assertThat(v).isFinite();
        }
        JsonNode fit =
                new ObjectMapper()
                        .readTree(out.resolve("manifest.json").toFile())
                        .get("heads")
                        .get(3)
                        .get("fit");
        assertThat(fit.get("recordings").asInt()).isEqualTo(12);
        assertThat(fit.get("cv").get("recordingMae").asDouble()).isFinite();
    }

    @Test
    void fitHeadExplainsBadLabels() throws Exception {
        Path labels = dir.resolve("bad.csv");
        Files.writeString(labels, "A00001,N\nA00002\n");
        CliRun r =
                run(
                        "fit-head",
                        "--bundle",
                        RepositoryLayout.fixtureBundle().toString(),
                        "--out",
                        dir.resolve("x").toString(),
                        "--task",
                        "t",
                        "--records",
                        dir.toString(),
                        "--labels",
                        labels.toString(),
                        "--default-label",
                        "n");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("bad.csv:2: expected 'record,label'");
    }
}
