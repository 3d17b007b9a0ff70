package io.fmstream.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalBundleFilesTest {

    @Test
    void readsInsideAndRefusesOutside(@TempDir Path tmp) throws IOException {
        Path bundle = Files.createDirectories(tmp.resolve("bundle/heads"));
        Files.writeString(bundle.resolve("a.onnx"), "x");
        Files.writeString(tmp.resolve("secret"), "s");
        LocalBundleFiles files = new LocalBundleFiles(tmp.resolve("bundle"));

        assertThat(files.read("heads/a.onnx")).containsExactly('x');
        assertThat(files.describe())
                .isEqualTo(tmp.resolve("bundle").toAbsolutePath().normalize().toString());
        assertThatThrownBy(() -> files.read("../secret"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("leaves the bundle directory");
    }
}
