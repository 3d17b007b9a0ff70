package io.fmstream.data.wfdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CinC2017ReferenceTest {

    @Test
    void sharedReference() {
        CinC2017Reference ref =
                CinC2017Reference.read(SharedData.file("cinc2017-train/REFERENCE.csv"));
        assertThat(ref.size()).isEqualTo(150);
        assertThat(ref.countsByLabel()).isEqualTo(Map.of("N", 75, "A", 25, "O", 35, "~", 15));
        assertThat(ref.label("A00001")).hasValue("N");
        assertThat(ref.label("A00004")).hasValue("A");
        assertThat(ref.label("A99999")).isEmpty();
        // every labelled record is present
        for (String record : ref.labels().keySet()) {
            assertThat(ref.headerOf(record)).exists();
        }
    }

    @Test
    void malformedReferencesAreNamed(@TempDir Path dir) throws IOException {
        Path bad = dir.resolve("REFERENCE.csv");
        Files.writeString(bad, "A00001,N\nA00002,X\n");
        assertThatThrownBy(() -> CinC2017Reference.read(bad))
                .isInstanceOf(WfdbException.class)
                .hasMessageStartingWith(bad + ":2: unknown label \"X\"");

        Files.writeString(bad, "A00001,N\r\n\r\nA00001,A\r\n");
        assertThatThrownBy(() -> CinC2017Reference.read(bad))
                .isInstanceOf(WfdbException.class)
                .hasMessageStartingWith(bad + ":3: record A00001 is listed twice");

        Files.writeString(bad, "A00001;N\n");
        assertThatThrownBy(() -> CinC2017Reference.read(bad))
                .isInstanceOf(WfdbException.class)
                .hasMessageContaining("expected \"record,label\"");

        Path missing = dir.resolve("none.csv");
        assertThatThrownBy(() -> CinC2017Reference.read(missing))
                .isInstanceOf(WfdbException.class)
                .hasMessageContaining(missing.toString());
    }

    @Test
    void byteOrderMarkAndCrlfAreAccepted(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("REFERENCE.csv");
        Files.writeString(f, "\uFEFFA00001,N\r\nA00002,~\r\n");
        CinC2017Reference ref = CinC2017Reference.read(f);
        assertThat(ref.labels())
                .containsExactly(Map.entry("A00001", "N"), Map.entry("A00002", "~"));
    }
}
