package io.fmstream.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.core.model.HeadRunner;
import io.fmstream.core.model.ModelBundle;
import io.fmstream.data.RepositoryLayout;
import io.fmstream.data.dataset.WindowDatasetBuilder;
import io.fmstream.data.dataset.WindowLabels;
import io.fmstream.data.sim.DeviceUplink;
import io.fmstream.data.sim.Noise;
import io.fmstream.data.sim.Rhythm;
import io.fmstream.data.sim.Scenario;
import io.fmstream.data.sim.SimulatedDevice;
import io.fmstream.data.sim.SimulatedFleet;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Quality of every shipped bundle, measured through the job's own code path: windows from the same
 * validator, assembler, resampler and normaliser as the job (the dataset builder, which the parity
 * test ties to the job), embedded and scored with ONNX Runtime as in the job.
 */
class ShippedBundleQualityTest {

    /** Simulated devices never seen in training: the training fleet uses seed 7. */
    private static final long HELD_OUT_SEED = 1001;

    private static final long START = WindowDatasetBuilder.RECORD_START_MICROS;

    /** Every committed bundle that is not a test fixture. */
    static java.util.stream.Stream<String> shippedBundles() throws java.io.IOException {
        java.nio.file.Path dir = RepositoryLayout.root().resolve("model-artifacts");
        List<String> names = new ArrayList<>();
        try (java.util.stream.Stream<java.nio.file.Path> dirs = java.nio.file.Files.list(dir)) {
            for (java.nio.file.Path d : dirs.sorted().toList()) {
                java.nio.file.Path manifest = d.resolve("manifest.json");
                if (java.nio.file.Files.isRegularFile(manifest)
                        && !io.fmstream.core.model.BundleManifest.parse(
                                        java.nio.file.Files.readAllBytes(manifest))
                                .fixture()) {
                    names.add(d.getFileName().toString());
                }
            }
        }
        assertThat(names).contains(RepositoryLayout.defaultBundle().getFileName().toString());
        return names.stream();
    }

    private static ModelBundle load(String name) {
        ModelBundle bundle =
                ModelBundle.load(
                        RepositoryLayout.root().resolve("model-artifacts").resolve(name), 2);
        assertThat(bundle.manifest().fixture()).isFalse();
        return bundle;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shippedBundles")
    void heartRateWithinFiveBpmAndRhythmAbove90PercentOnHeldOutSimulatedDevicesFrom40To180Bpm(
            String name) {
        WindowDatasetBuilder builder = new WindowDatasetBuilder();
        builder.addSimulatedFleet(
                SimulatedFleet.generate(20, HELD_OUT_SEED, START, 1.0, 600_000_000L),
                START + 600_000_000L,
                "held-out");
        List<DeviceUplink> steady = new ArrayList<>();
        for (int bpm = 40; bpm <= 180; bpm += 20) {
            SimulatedDevice d =
                    new SimulatedDevice(
                            "steady-" + bpm,
                            HELD_OUT_SEED + bpm,
                            250,
                            START,
                            Scenario.steady(Rhythm.NORMAL, bpm, Noise.of(0.02))
                                    .withoutLinkEvents());
            steady.add(new DeviceUplink(d, 250));
        }
        builder.addSimulatedFleet(new SimulatedFleet(steady), START + 120_000_000L, "steady");

        Scores s;
        try (ModelBundle bundle = load(name)) {
            s = score(bundle, builder, true);
        }
        System.out.printf(
                "%s on held-out simulated devices: HR MAE %.2f bpm over %d clean windows "
                        + "(%.0f-%.0f bpm); rhythm accuracy %.3f over %d clean windows%n",
                name, s.hrMae(), s.hrCount, s.minHr, s.maxHr, s.rhythmAccuracy(), s.rhythmCount);
        assertThat(s.minHr).isLessThan(45);
        assertThat(s.maxHr).isGreaterThan(175);
        assertThat(s.hrMae()).isLessThanOrEqualTo(5.0);
        assertThat(s.rhythmAccuracy()).isGreaterThanOrEqualTo(0.90);
    }

    /**
     * mitdb/100 is never used to train the heart-rate head (neither its beat labels nor detector
     * pseudo-labels of either lead); its windows were only in the unlabelled pretraining pool.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("shippedBundles")
    void mitdb100HeartRateErrorIsAtMostHalfThatOfTheRecordsOwnMeanRate(String name) {
        WindowDatasetBuilder builder = new WindowDatasetBuilder();
        builder.addRecord(RepositoryLayout.testData().resolve("mitdb/100.hea"), false);
        Scores s;
        try (ModelBundle bundle = load(name)) {
            s = score(bundle, builder, false);
        }
        double mean = s.truthSum / s.hrCount;
        double constantMae = 0;
        for (double t : s.truths) {
            constantMae += Math.abs(t - mean);
        }
        constantMae /= s.truths.size();
        System.out.printf(
                "%s on mitdb/100: HR MAE %.2f bpm over %d windows; constant predictor "
                        + "(record mean %.1f bpm) MAE %.2f bpm; ratio %.2f%n",
                name, s.hrMae(), s.hrCount, mean, constantMae, s.hrMae() / constantMae);
        assertThat(s.hrCount).isEqualTo(360);
        // The bar is relative, so a model that outputs any constant cannot pass it.
        assertThat(s.hrMae()).isLessThanOrEqualTo(0.5 * constantMae);
    }

    private static final class Scores {
        double hrErrorSum;
        int hrCount;
        double truthSum;
        List<Double> truths = new ArrayList<>();
        double minHr = Double.MAX_VALUE;
        double maxHr = -Double.MAX_VALUE;
        int rhythmCorrect;
        int rhythmCount;

        double hrMae() {
            return hrErrorSum / hrCount;
        }

        double rhythmAccuracy() {
            return (double) rhythmCorrect / rhythmCount;
        }
    }

    /**
     * Scores every window with a known heart rate; with {@code onlyClean}, only windows below the
     * noisy threshold.
     */
    private static Scores score(
            ModelBundle bundle, WindowDatasetBuilder builder, boolean onlyClean) {
        HeadRunner hr = bundle.head("heart_rate").orElseThrow();
        HeadRunner rhythm = bundle.head("rhythm").orElseThrow();
        Scores s = new Scores();
        for (String device : builder.deviceNames()) {
            List<float[]> windows = builder.windowsOf(device);
            List<WindowLabels> labels = builder.labelsOf(device);
            for (int from = 0; from < windows.size(); from += 64) {
                int to = Math.min(windows.size(), from + 64);
                float[][] batch = windows.subList(from, to).toArray(new float[0][]);
                float[][] embeddings = bundle.encoder().embed(batch);
                float[][] rates = hr.apply(embeddings);
                float[][] classes = rhythm.apply(embeddings);
                for (int i = 0; i < batch.length; i++) {
                    WindowLabels l = labels.get(from + i);
                    boolean clean = !(l.noiseRmsMv() >= WindowDatasetBuilder.NOISY_RMS_MV);
                    if (onlyClean && !clean) {
                        continue;
                    }
                    if (!Float.isNaN(l.hrBpm())) {
                        s.hrErrorSum += Math.abs(rates[i][0] - l.hrBpm());
                        s.hrCount++;
                        s.truthSum += l.hrBpm();
                        s.truths.add((double) l.hrBpm());
                        s.minHr = Math.min(s.minHr, l.hrBpm());
                        s.maxHr = Math.max(s.maxHr, l.hrBpm());
                    }
                    if (l.rhythm() >= 0 && l.rhythm() <= WindowDatasetBuilder.RHYTHM_OTHER) {
                        s.rhythmCount++;
                        if (HeadRunner.argmax(classes[i]) == l.rhythm()) {
                            s.rhythmCorrect++;
                        }
                    }
                }
            }
        }
        return s;
    }
}
