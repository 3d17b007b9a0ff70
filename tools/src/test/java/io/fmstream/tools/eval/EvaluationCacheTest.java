package io.fmstream.tools.eval;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvaluationCacheTest {

    /**
     * The scratch baseline's cached scores were keyed by the method alone: a re-run of
     * scratch_baseline.py into the same folder, or another --scratch-dir, read the old scores back.
     * They are now dropped whenever the predictions' bytes change.
     */
    @Test
    void cachedScoresOfAMethodGoWhenItsInputsChange(@TempDir Path tmp) throws Exception {
        Path scratch = Files.createDirectories(tmp.resolve("scratch"));
        Path cache = Files.createDirectories(tmp.resolve("cache"));
        Files.write(scratch.resolve("5-0.npy"), new byte[] {1, 2, 3});
        String first = EvaluationProtocol.contentKey(scratch);
        List<String> log = new ArrayList<>();
        EvaluationProtocol.invalidateWhenChanged(cache, "scratch", first, log::add);
        Files.writeString(cache.resolve("score-scratch-5-0.json"), "{}");
        Files.writeString(cache.resolve("oof-scratch-all-0.npy"), "x");
        Files.writeString(cache.resolve("score-classical-lr-1-5-0.json"), "{}");

        // Unchanged inputs: the cache stays.
        EvaluationProtocol.invalidateWhenChanged(
                cache, "scratch", EvaluationProtocol.contentKey(scratch), log::add);
        assertThat(cache.resolve("score-scratch-5-0.json")).exists();

        // New predictions: the method's cached results go, the other methods' stay.
        Files.write(scratch.resolve("5-0.npy"), new byte[] {1, 2, 4});
        String second = EvaluationProtocol.contentKey(scratch);
        assertThat(second).isNotEqualTo(first).hasSize(12);
        EvaluationProtocol.invalidateWhenChanged(cache, "scratch", second, log::add);
        assertThat(cache.resolve("score-scratch-5-0.json")).doesNotExist();
        assertThat(cache.resolve("oof-scratch-all-0.npy")).doesNotExist();
        assertThat(cache.resolve("score-classical-lr-1-5-0.json")).exists();
        assertThat(log).containsExactly("scratch: its inputs changed; 2 cached results recomputed");

        // New draws: every method's cached results go.
        Files.writeString(cache.resolve("score-frozen-1-5-0.json"), "{}");
        EvaluationProtocol.invalidateWhenChanged(cache, null, "draws-1", log::add);
        assertThat(cache.resolve("score-classical-lr-1-5-0.json")).doesNotExist();
        assertThat(cache.resolve("score-frozen-1-5-0.json")).doesNotExist();
        assertThat(cache.resolve("draws.source")).hasContent("draws-1");
    }
}
