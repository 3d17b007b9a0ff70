package io.fmstream.tools.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.data.RepositoryLayout;
import io.fmstream.job.FmstreamJob;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class StateReportTest {

    /**
     * The 0.1 job's savepoint kept for the restore test (see the integration tests'
     * SavepointFixture): three devices, one of them ({@code sp-gappy}, 300 Hz) holding the six 1-s
     * chunks it sent after a 2-s gap; that release had no recording-level predictions.
     */
    private static final Path V010 =
            RepositoryLayout.root()
                    .resolve("integration-tests/src/test/resources/savepoints/v0.1.0/savepoint");

    @Test
    void readsEveryDeviceOfARealSavepointAndTheChunksHeldBehindItsGap() throws Exception {
        StateReport report = StateReport.read(V010);

        assertThat(report.missing()).containsExactly(FmstreamJob.UID_RECORDING_PREDICTIONS);
        assertThat(report.operators()).hasSize(1);
        StateReport.OperatorSummary assembler = report.operators().get(0);
        assertThat(assembler.uid()).isEqualTo(FmstreamJob.UID_ASSEMBLER);
        assertThat(assembler.keys()).isEqualTo(3);
        Map<String, StateReport.KeyRow> rows =
                assembler.rows().stream().collect(Collectors.toMap(r -> r.key, r -> r));
        assertThat(rows).containsOnlyKeys("sp-open", "sp-gappy", "sp-resend");
        // 0.1 kept pending chunks in parallel arrays: counted all the same.
        assertThat(rows.get("sp-gappy").pendingChunks).isEqualTo(6);
        assertThat(rows.get("sp-gappy").pendingSampleBytes).isEqualTo(6 * 300 * 2);
        assertThat(rows.get("sp-open").pendingChunks).isZero();
        assertThat(rows.get("sp-resend").pendingChunks).isZero();
        // Largest first, sizes from the state's own serializer: the held chunks show.
        assertThat(assembler.rows().get(0).key).isEqualTo("sp-gappy");
        assertThat(rows.get("sp-gappy").bytes - rows.get("sp-open").bytes)
                .isGreaterThan(6 * 300 * 2);
        assertThat(assembler.bytes())
                .isEqualTo(rows.values().stream().mapToLong(r -> r.bytes).sum());
        assertThat(assembler.max()).isEqualTo(rows.get("sp-gappy").bytes);
        assertThat(rows.values()).allSatisfy(r -> assertThat(r.historyCapacity).isPositive());

        String text = report.render(2);
        assertThat(text)
                .contains("recording-predictions: not in this checkpoint")
                .contains("window-assembler: 3 keys")
                .contains("devices holding chunks behind a gap: 1 (6 chunks, 3600 B of samples")
                .contains("| sp-gappy | " + rows.get("sp-gappy").bytes + " | 6 | 0 |")
                .doesNotContain("| sp-open |");
    }
}
