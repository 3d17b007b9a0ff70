package io.fmstream.data.wfdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecordLabelsTest {

    @Test
    void mitdb100BeatsHeartRateAndRhythm() {
        WfdbHeader header = WfdbHeader.read(SharedData.file("mitdb/100.hea"));
        MitAnnotations ann = MitAnnotations.read(SharedData.file("mitdb/100.atr"));
        RecordLabels labels = RecordLabels.of(ann, header);

        assertThat(labels.beatCount()).isEqualTo(2273);
        double[] beats = labels.beatTimes();
        assertThat(beats[0]).isCloseTo(77 / 360.0, within(1e-12));

        // Whole record: 2272 RR intervals between the first and last beat. Tolerance 70-80 bpm
        // brackets the expected ~75.5 bpm of this normal-sinus record.
        double hr = labels.heartRate(0, header.durationSeconds());
        assertThat(hr).isBetween(70.0, 80.0);
        assertThat(hr).isCloseTo(60.0 * 2272 / (beats[2272] - beats[0]), within(1e-9));
        assertThat(labels.medianRrHeartRate(0, header.durationSeconds())).isBetween(70.0, 80.0);

        double[] perMinute = labels.heartRatePerWindow(60);
        assertThat(perMinute).hasSize(30);
        for (double v : perMinute) {
            assertThat(v).isBetween(55.0, 100.0);
        }
        assertThat(labels.heartRate(0, 0.1)).isNaN(); // no beat before 0.21 s

        assertThat(labels.rhythmSpans()).hasSize(1);
        RecordLabels.RhythmSpan span = labels.rhythmSpans().get(0);
        assertThat(span.label()).isEqualTo("(N");
        assertThat(span.rhythm()).isEqualTo("N");
        assertThat(span.startSeconds()).isCloseTo(18 / 360.0, within(1e-12));
        assertThat(span.endSeconds()).isCloseTo(650000 / 360.0, within(1e-9));
        assertThat(labels.rhythmAt(900)).contains(span);
        assertThat(labels.rhythmAt(0.01)).isEmpty();
    }

    @Test
    void windowsSpansAndFewBeats(@TempDir Path dir) throws IOException {
        // beats at 1.0, 2.0, 2.5, 3.0 s (100 Hz); AFIB from 1.5 s, N from 2.8 s
        MitAnnotationsTest.Bytes b = new MitAnnotationsTest.Bytes();
        b.word(MitAnnotations.NORMAL, 100);
        b.word(MitAnnotations.RHYTHM, 50)
                .word(MitAnnotations.AUX, 5)
                .bytes("(AFIB".getBytes(StandardCharsets.US_ASCII))
                .pad();
        b.word(MitAnnotations.NORMAL, 50);
        b.word(MitAnnotations.PVC, 50);
        b.word(MitAnnotations.RHYTHM, 30)
                .word(MitAnnotations.AUX, 3)
                .bytes(new byte[] {'(', 'N', 0})
                .pad();
        b.word(MitAnnotations.NORMAL, 20);
        b.word(MitAnnotations.NOISE, 10);
        b.word(0, 0);
        Path f = dir.resolve("s.atr");
        Files.write(f, b.toByteArray());

        RecordLabels l = RecordLabels.of(MitAnnotations.read(f), 100, 10);
        assertThat(l.beatTimes()).containsExactly(1.0, 2.0, 2.5, 3.0);
        assertThat(l.beatTimes(2.0, 3.0)).containsExactly(2.0, 2.5); // [start, end)
        assertThat(l.heartRate(0, 10)).isCloseTo(60.0 * 3 / 2.0, within(1e-9));
        assertThat(l.medianRrHeartRate(0, 10)).isCloseTo(60.0 / 0.5, within(1e-9));
        assertThat(l.heartRate(0, 1.5)).isNaN();
        assertThat(l.heartRate(5, 10)).isNaN();
        assertThat(l.heartRatePerWindow(4)).hasSize(2);
        assertThat(l.rhythmSpans())
                .containsExactly(
                        new RecordLabels.RhythmSpan("(AFIB", 1.5, 2.8),
                        new RecordLabels.RhythmSpan("(N", 2.8, 10.0));
        assertThat(l.rhythmAt(2.0)).map(RecordLabels.RhythmSpan::rhythm).hasValue("AFIB");
        assertThat(l.rhythmAt(9.99)).map(RecordLabels.RhythmSpan::rhythm).hasValue("N");
        assertThat(l.rhythmAt(10.0)).isEmpty();
    }
}
