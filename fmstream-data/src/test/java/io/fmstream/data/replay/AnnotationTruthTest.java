package io.fmstream.data.replay;

import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.data.RepositoryLayout;
import io.fmstream.data.wfdb.MitAnnotations;
import io.fmstream.data.wfdb.RecordLabels;
import io.fmstream.data.wfdb.WfdbHeader;
import io.fmstream.schemas.GroundTruth;
import io.fmstream.schemas.Rhythm;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class AnnotationTruthTest {

    @Test
    void mitdb100GivesOneNormalRhythmSpanPerHopAtAbout75Bpm() {
        Path dir = RepositoryLayout.testData().resolve("mitdb");
        WfdbHeader header = WfdbHeader.read(dir.resolve("100.hea"));
        RecordLabels labels = RecordLabels.of(MitAnnotations.read(dir.resolve("100.atr")), header);
        long start = 1_700_000_000_000_000L;
        List<GroundTruth> spans =
                AnnotationTruth.spans("mitdb-100", labels, start, 10, 5, "annotations mitdb/100");

        // 650000 samples at 360 Hz = 1805.6 s: spans start at 0, 5, ..., 1795 s.
        assertThat(spans).hasSize(360);
        assertThat(spans.get(0).getSpanStartMicros()).isEqualTo(start);
        assertThat(spans.get(359).getSpanEndMicros()).isEqualTo(start + 1_805_000_000L);
        assertThat(spans)
                .allSatisfy(
                        s -> {
                            assertThat(s.getRhythm()).isEqualTo(Rhythm.NORMAL);
                            assertThat(s.getHeartRateBpm()).isBetween(55.0, 100.0);
                        });
        double mean =
                spans.stream().mapToDouble(GroundTruth::getHeartRateBpm).average().orElseThrow();
        assertThat(mean).isBetween(73.0, 78.0);
    }

    @Test
    void mapsWfdbRhythmAnnotationsToTheWireClasses() {
        assertThat(AnnotationTruth.rhythmOf("(N")).isEqualTo(Rhythm.NORMAL);
        assertThat(AnnotationTruth.rhythmOf("(AFIB")).isEqualTo(Rhythm.AF);
        assertThat(AnnotationTruth.rhythmOf("(AFL")).isEqualTo(Rhythm.AF);
        assertThat(AnnotationTruth.rhythmOf("(B")).isEqualTo(Rhythm.OTHER);
        assertThat(AnnotationTruth.rhythmOf("(T")).isEqualTo(Rhythm.OTHER);
    }
}
