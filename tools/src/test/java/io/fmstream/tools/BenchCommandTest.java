package io.fmstream.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fmstream.core.records.PredictionRecord;
import io.fmstream.data.RepositoryLayout;
import io.fmstream.tools.bench.FanOutRun;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code fmstream bench} on the fixture bundle, tiny: both topologies run on a local cluster at
 * parallelism 2 and must agree prediction for prediction before a figure is printed, and the
 * production job runs once more through a real broker (bounded source, exactly-once sinks). The
 * figures themselves are not asserted (timing belongs to the benchmark, not to tests).
 */
class BenchCommandTest {

    @Test
    void comparesBothTopologiesOnTheSameWorkAndPrintsTheTable() {
        CliRun run =
                CliRun.of(
                        "bench",
                        "--bundle",
                        RepositoryLayout.fixtureBundle().toString(),
                        "--tasks",
                        "1,4",
                        "--devices",
                        "3",
                        "--seconds",
                        "40",
                        "--rounds",
                        "1",
                        // The smallest roof grid, briefly: the grid's code path, not its figures.
                        "--roof-threads",
                        "1",
                        "--roof-callers",
                        "2",
                        "--roof-batches",
                        "8",
                        "--roof-warm-up",
                        "PT0.2S",
                        "--roof-measure",
                        "PT0.5S",
                        // The naive job's four extra runs are the full benchmark's, not CI's,
                        // and so is the unmeasured Kafka run.
                        "--no-naive",
                        "--kafka-warm-up-runs",
                        "0",
                        "--warm-up-pairs",
                        "1",
                        // A valid job option is taken and listed (that it reaches the job's
                        // settings: see the next test).
                        "--job-option",
                        "fmstream.batch.max-delay=20ms",
                        // Without the naive job, only the Kafka rounds are profiled by thread.
                        "--profile-threads");

        assertThat(run.exit()).as(run.err()).isZero();
        String out = run.out();
        assertThat(out)
                .contains("job options {fmstream.batch.max-delay=20ms}")
                .doesNotContain("unmeasured warm-up run")
                // One unmeasured pair before the fan-out rounds, as asked, with what the JIT took.
                .containsPattern(
                        "N=1 unmeasured warm-up pair 1: the JIT compiled [0-9.]+ s between"
                                + " fmstream's first output and its last")
                .doesNotContain("warm-up pair 2")
                .containsPattern("N=1 round 1: .* (\\d+) windows, \\1 predictions each, identical")
                .containsPattern("\\| 1 \\| \\d+ \\| \\d+ \\| \\d+ \\| [0-9.]+x \\| \\d+ % \\|")
                .containsPattern("\\| 4 \\| \\d+ \\| \\d+ \\| \\d+ \\| [0-9.]+x \\| \\d+ % \\|")
                .containsPattern("encoder roof, best of the grid: \\d+ windows/s")
                .containsPattern("float32 matrix-multiply peak through ONNX Runtime: \\d+ GFLOP/s")
                // The trimmed grid is named beside the best point and again below the table.
                .contains(
                        "bench: WARNING: the roof grid is trimmed (left out: threads 2, callers 1,"
                                + " batch 1,32,64)")
                .containsPattern("(?m)^WARNING: the roof grid is trimmed");
        assertThat(out)
                .containsPattern(
                        "N=4 round 1: .* (\\d+) windows, (\\d+) predictions each, identical")
                // The roof again beside each round, and the ratio to it in the table.
                .containsPattern(
                        "N=1 round 1: .* roof \\(1 thread\\(s\\) x 2 caller\\(s\\) x batch 8\\) now"
                                + " \\d+ windows/s \\(\\d+ before the round's jobs, \\d+ after\\):"
                                + " fmstream at \\d+ % of it")
                .containsPattern(
                        "\\| 4 \\| \\d+ \\| \\d+ \\| \\d+ \\| [0-9.]+x \\| \\d+ % \\| \\d+ %"
                                + " \\| \\d+ % \\| [0-9.]+ \\(CPU [0-9.]+\\) / [0-9.]+ \\|")
                // The steady part beside the whole run, in each round.
                .containsPattern(
                        "N=4 round 1: .* fmstream at \\d+ % of it; steady part \\d+ windows/s,"
                                + " \\d+ % of it")
                // What the JIT and the collectors took of each run.
                .containsPattern(
                        "fmstream: encoder calls .* of it JIT compiling [0-9.]+ s and collecting"
                                + " [0-9.]+ s \\(between the first output and the last: [0-9.]+ s"
                                + " and [0-9.]+ s\\); heads")
                // The encoder's own time, read from every encoder operator of the run (the
                // reporter the bench's cluster installs): two instances at parallelism 2, and one
                // model per task has one encoder per task.
                .containsPattern("fmstream: encoder calls [0-9.]+ s in \\d+ calls by 2 operators")
                .containsPattern(
                        "one model per task: encoder calls [0-9.]+ s in \\d+ calls by 8"
                                + " operators");
        // Each head scores what the encoder emitted together in one call: fewer calls than
        // predictions (one call per window would make them equal), every prediction counted.
        java.util.regex.Matcher heads =
                found(
                        "N=4 round 1: .* (\\d+) windows,(?s).*?fmstream: encoder calls .*?"
                                + " heads: (\\d+) calls for (\\d+) window predictions",
                        out);
        // The encoder's CPU inside its calls, beside their wall time: some, and no more than the
        // wall time (one intra-op thread: the calling thread does all of the work).
        java.util.regex.Matcher cpu =
                found(
                        "fmstream: encoder calls [0-9.]+ s in \\d+ calls by 2 operators ="
                                + " ([0-9.]+) ms per window embedded, of it CPU ([0-9.]+)",
                        out);
        assertThat(Double.parseDouble(cpu.group(2)))
                .isPositive()
                .isLessThanOrEqualTo(Double.parseDouble(cpu.group(1)) + 0.002);
        long windowsAt4 = Long.parseLong(heads.group(1));
        assertThat(Long.parseLong(heads.group(3))).isEqualTo(4 * windowsAt4);
        assertThat(Long.parseLong(heads.group(2))).isLessThan(4 * windowsAt4);
        // Through a real broker: the same windows, each once (the command checks the counts
        // against the in-memory run and fails otherwise), then the table row.
        String windows = out.replaceAll("(?s).*N=1 round 1: .*?(\\d+) windows, .*", "$1");
        assertThat(out)
                .contains("through Kafka round 1: " + windows + " windows once each")
                .containsPattern(
                        "through Kafka round 1: in memory just before \\d+ windows/s;"
                                + " through Kafka [0-9.]+x that")
                .containsPattern("\\| median of 1 \\| " + windows + " \\| \\d+ \\|")
                // The job's CPU split into the encoder's and the rest's, from the trimmed grid's
                // one-thread point when it has no one-caller point.
                .containsPattern(
                        "\\| median of 1 \\| .* \\| [0-9.]+ \\([0-9.]+\\) / [0-9.]+ \\([0-9.]+ /"
                                + " [0-9.]+\\) /")
                .contains("no unmeasured run before the measured ones (--kafka-warm-up-runs 0)");
        // The broker's JIT compilers' part of its CPU (0 in a run where they had nothing left to
        // compile): never more than all of it.
        java.util.regex.Matcher broker =
                found(
                        "through Kafka round 1: .* CPU broker ([0-9.]+) \\(of it JIT ([0-9.]+)\\),"
                                + " job",
                        out);
        assertThat(Double.parseDouble(broker.group(2)))
                .isLessThanOrEqualTo(Double.parseDouble(broker.group(1)));
        // By thread: the Kafka source's fetcher and the sinks' producers appear only through
        // Kafka, the in-memory source only in memory; producers are named without the run's id
        // (one name for every round's).
        assertThat(out)
                .containsPattern(
                        "threads through Kafka round 1: [0-9.]+ ms per window \\(in memory"
                                + " 0\\.000\\)  Source Data Fetcher for Source: Sensor chunks"
                                + " \\(Kafka\\)")
                .containsPattern(
                        "threads through Kafka round 1: [0-9.]+ ms per window \\(in memory"
                                + " 0\\.000\\)  kafka-producer-network-thread \\|"
                                + " producer-bench-<run>-embeddings-")
                .containsPattern(
                        "threads through Kafka round 1: 0\\.000 ms per window \\(in memory"
                                + " [0-9.]+\\)  Source: Sequence Source")
                .doesNotContainPattern("producer-bench-[0-9a-f]{8}-")
                .containsPattern(
                        "threads through Kafka round 1: Java threads [0-9.]+ ms per window \\(in"
                                + " memory [0-9.]+\\); the whole JVM [0-9.]+ \\(in memory"
                                + " [0-9.]+\\)");
    }

    @Test
    void namesWhatATrimmedRoofGridLeavesOut() {
        assertThat(BenchCommand.roofGridTrim(List.of(1, 2), List.of(1, 2), List.of(1, 8, 32, 64)))
                .isNull();
        // More than the issue's grid is still the whole of it.
        assertThat(
                        BenchCommand.roofGridTrim(
                                List.of(2, 1, 4), List.of(1, 2), List.of(64, 32, 8, 1, 16)))
                .isNull();
        assertThat(BenchCommand.roofGridTrim(List.of(1), List.of(1, 2), List.of(1, 64)))
                .isEqualTo("threads 2, batch 8,32");
        assertThat(BenchCommand.roofGridTrim(List.of(1, 2), List.of(2), List.of(1, 8, 32, 64)))
                .isEqualTo("callers 1");
    }

    @Test
    void givesNoNonEncoderRatioWhenARoundMeasuredNoise() {
        String[] fm = {"enc", "fmstream", "100", "0.051", "-", "0.051", "0.034", "0.034", ""};
        String[] naive = {
            "enc",
            "naive, linear interpolation",
            "100",
            "0.186",
            "-",
            "0.186",
            "0.151",
            "0.151",
            "0.323 / 0.186 / 0.100"
        };
        // Rounds of 0.051, -0.061 and 0.103: their median would read as 0.27x of the naive job.
        fm[8] = "0.051 / -0.061 / 0.103";
        String noisy = BenchCommand.overheadMarkdown(List.of(fm, naive));
        assertThat(noisy)
                .contains("not measured in this run")
                .contains("0.051 / -0.061 / 0.103")
                .doesNotContain("spends");
        assertThat(noisy.lines().filter(l -> l.startsWith("| enc |")))
                .allMatch(l -> l.split("\\|", -1).length == 11, "9 columns per row");

        fm[8] = "0.051 / 0.061 / 0.103";
        assertThat(BenchCommand.overheadMarkdown(List.of(fm, naive)))
                .contains("enc: fmstream spends 0.27x the CPU per window of the naive, linear")
                .doesNotContain("not measured");
    }

    @Test
    void aJobOptionGoesThroughTheJobsOwnSettingsCheck() {
        // Refused by JobSettings before any run starts: so --job-option values reach the
        // configuration the job is built from, not just the report.
        CliRun run =
                CliRun.of(
                        "bench",
                        "--bundle",
                        RepositoryLayout.fixtureBundle().toString(),
                        "--job-option",
                        "fmstream.batch.size=0");

        assertThat(run.exit()).isNotZero();
        assertThat(run.out()).doesNotContain("round 1");
        assertThat(run.err()).contains("fmstream.batch.size");
    }

    @Test
    void refusesANaiveComparisonItCannotMeasure() {
        // one device: the whole fleet and half of it are the same run, a division by zero
        CliRun one =
                CliRun.of(
                        "bench",
                        "--bundle",
                        RepositoryLayout.fixtureBundle().toString(),
                        "--devices",
                        "1");
        assertThat(one.exit()).isNotZero();
        assertThat(one.err()).contains("--devices must be >= 2 for the naive comparison");
        // a round's infinite or NaN marginal figure is no figure
        assertThat(BenchCommand.anyNotPositive("Infinity / 0.100")).isTrue();
        assertThat(BenchCommand.anyNotPositive("0.100 / NaN")).isTrue();
        assertThat(BenchCommand.anyNotPositive("0.100 / 0.200")).isFalse();
        assertThat(BenchCommand.ratios(new double[] {4, 9}, new double[] {2, 3}))
                .containsExactly(2, 3);
    }

    @Test
    void refusesToReportWhenTheTopologiesDisagree() {
        PredictionRecord p = prediction("d", 0, "rhythm", 0.2f);
        PredictionRecord q = prediction("d", 0, "rhythm", 0.3f);
        FanOutRun.Result a = new FanOutRun.Result(1, List.of(p), 1, 1);
        FanOutRun.Result b = new FanOutRun.Result(1, List.of(q), 1, 1);
        assertThatThrownBy(() -> FanOutRun.checkSamePredictions(a, b, 1))
                .hasMessageContaining("differs by");

        FanOutRun.Result missing =
                new FanOutRun.Result(1, List.of(prediction("d", 5_000_000, "rhythm", 0.2f)), 1, 1);
        assertThatThrownBy(() -> FanOutRun.checkSamePredictions(a, missing, 1))
                .hasMessageContaining("only in one run");
        assertThatThrownBy(() -> FanOutRun.checkSamePredictions(a, a, 2))
                .hasMessageContaining("expected 2 tasks");
        FanOutRun.checkSamePredictions(a, a, 1);

        // NaN on one side only is a difference (it used to pass: NaN > tolerance is false);
        // NaN on both sides is the same output
        PredictionRecord nan = prediction("d", 0, "rhythm", Float.NaN);
        FanOutRun.Result withNan = new FanOutRun.Result(1, List.of(nan), 1, 1);
        assertThatThrownBy(() -> FanOutRun.checkSamePredictions(a, withNan, 1))
                .hasMessageContaining("differs by score 0");
        FanOutRun.checkSamePredictions(withNan, withNan, 1);
        PredictionRecord hr = prediction("d", 0, "rhythm", 0.2f);
        hr.value = Double.NaN;
        assertThatThrownBy(
                        () ->
                                FanOutRun.checkSamePredictions(
                                        a, new FanOutRun.Result(1, List.of(hr), 1, 1), 1))
                .hasMessageContaining("differs by value");
        PredictionRecord noScores = prediction("d", 0, "rhythm", 0.2f);
        noScores.scores = null;
        assertThatThrownBy(
                        () ->
                                FanOutRun.checkSamePredictions(
                                        a, new FanOutRun.Result(1, List.of(noScores), 1, 1), 1))
                .hasMessageContaining("differs by scores");
    }

    private static PredictionRecord prediction(
            String device, long start, String task, float score) {
        PredictionRecord p = new PredictionRecord();
        p.deviceId = device;
        p.windowStartMicros = start;
        p.task = task;
        p.scores = new float[] {score, 1 - score};
        p.classification = true;
        return p;
    }

    /** The first match of {@code regex} in {@code out}, which must have one. */
    private static java.util.regex.Matcher found(String regex, String out) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(regex).matcher(out);
        assertThat(m.find()).as(out).isTrue();
        return m;
    }
}
