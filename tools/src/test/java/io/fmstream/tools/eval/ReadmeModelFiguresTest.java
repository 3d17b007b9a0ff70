package io.fmstream.tools.eval;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fmstream.data.RepositoryLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README quotes the shipped bundle's evaluation.json, not a hand copy of it. */
class ReadmeModelFiguresTest {

    @Test
    void theFewLabelTableIsTheOneGeneratedFromTheDefaultBundlesEvaluation() throws Exception {
        Path evaluation = RepositoryLayout.defaultBundle().resolve("evaluation.json");
        assertThat(evaluation).exists();
        JsonNode r = new ObjectMapper().readTree(evaluation.toFile());
        String table = EvaluationReport.readmeTable(r);
        assertThat(Files.readString(RepositoryLayout.root().resolve("README.md")))
                .as("README few-label table; replace it with:%n%s", table)
                .contains(table);
        assertThat(Files.readString(RepositoryLayout.defaultBundle().resolve("EVALUATION.md")))
                .as("EVALUATION.md is generated from the same evaluation.json")
                .isEqualTo(
                        EvaluationReport.markdown(
                                r, RepositoryLayout.defaultBundle().getFileName().toString()));
    }
}
