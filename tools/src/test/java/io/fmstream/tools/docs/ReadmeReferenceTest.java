package io.fmstream.tools.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.data.RepositoryLayout;
import io.fmstream.job.FmstreamJob;
import io.fmstream.metrics.FmstreamMetrics;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/** The README's reference sections must match the code they document. */
class ReadmeReferenceTest {

    @Test
    void theConfigurationTableIsTheOneGeneratedFromTheOptionsClass() throws Exception {
        assertThat(readme())
                .as("README configuration table; regenerate with ReferenceDocs")
                .contains(ReferenceDocs.configurationTable());
    }

    @Test
    void theMetricsTableIsTheOneGeneratedFromTheMetricNamesClass() throws Exception {
        assertThat(readme())
                .as("README metrics table; regenerate with ReferenceDocs")
                .contains(ReferenceDocs.metricsTable());
    }

    @Test
    void theSchemaFingerprintListIsTheOneGeneratedFromThePublishedFiles() throws Exception {
        assertThat(readme())
                .as("README schema list; regenerate with ReferenceDocs")
                .contains(ReferenceDocs.schemasTable());
    }

    @Test
    void everyMetricNameIsInTheMetricsCatalogue() throws Exception {
        String readme = readme();
        assertThat(ReferenceDocs.metricNames()).isNotEmpty();
        for (String name : ReferenceDocs.metricNames()) {
            FmstreamMetrics.Metric m =
                    FmstreamMetrics.find(name)
                            .orElseThrow(
                                    () -> new AssertionError("no catalogue entry for " + name));
            assertThat(readme)
                    .as("README metrics catalogue")
                    .contains("`" + m.exportedName() + "`");
        }
    }

    @Test
    void everyOperatorUidIsInTheArchitectureDiagram() throws Exception {
        String readme = readme();
        for (String uid :
                new String[] {
                    FmstreamJob.UID_SOURCE,
                    FmstreamJob.UID_DECODE,
                    FmstreamJob.UID_ASSEMBLER,
                    FmstreamJob.UID_EMBED,
                    FmstreamJob.UID_EMBEDDINGS_SINK,
                    FmstreamJob.UID_PREDICTIONS_SINK,
                    FmstreamJob.UID_DEAD_LETTERS_SINK
                }) {
            assertThat(readme).contains(uid);
        }
    }

    private static String readme() throws Exception {
        return Files.readString(RepositoryLayout.root().resolve("README.md"));
    }
}
