package io.fmstream.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.function.Consumer;
import java.util.stream.Stream;

/** Locates the committed test fixture bundle and makes modified copies of it. */
final class FixtureBundle {

    static final String NAME = "fixture-ecg-tiny";
    static final ObjectMapper JSON = new ObjectMapper();

    private FixtureBundle() {}

    static Path dir() {
        return Checkout.modelArtifacts().resolve(NAME);
    }

    /** Copies the fixture bundle into {@code target}. */
    static Path copyTo(Path target) throws IOException {
        Path source = dir();
        try (Stream<Path> paths = Files.walk(source)) {
            paths.forEach(
                    p -> {
                        Path dest = target.resolve(source.relativize(p).toString());
                        try {
                            if (Files.isDirectory(p)) {
                                Files.createDirectories(dest);
                            } else {
                                Files.copy(p, dest, StandardCopyOption.REPLACE_EXISTING);
                            }
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    });
        }
        return target;
    }

    /** Copies the fixture and rewrites its manifest with {@code edit}. */
    static Path copyWithManifest(Path target, Consumer<ObjectNode> edit) throws IOException {
        copyTo(target);
        Path manifest = target.resolve(BundleManifest.FILE_NAME);
        ObjectNode root = (ObjectNode) JSON.readTree(manifest.toFile());
        edit.accept(root);
        JSON.writerWithDefaultPrettyPrinter().writeValue(manifest.toFile(), root);
        return target;
    }

    static byte[] manifestBytes() throws IOException {
        return Files.readAllBytes(dir().resolve(BundleManifest.FILE_NAME));
    }

    static JsonNode golden() throws IOException {
        return JSON.readTree(dir().resolve("golden.json").toFile());
    }

    static float[][] floats(JsonNode rows) {
        float[][] out = new float[rows.size()][];
        for (int i = 0; i < rows.size(); i++) {
            JsonNode row = rows.get(i);
            out[i] = new float[row.size()];
            for (int j = 0; j < row.size(); j++) {
                out[i][j] = row.get(j).floatValue();
            }
        }
        return out;
    }
}
