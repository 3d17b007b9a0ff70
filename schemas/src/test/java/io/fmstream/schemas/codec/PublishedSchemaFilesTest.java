package io.fmstream.schemas.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The published {@code .avsc} files are what consumers in other languages read: their fingerprints
 * must never change (messages already in the topics carry them), and they must give the same
 * fingerprint in every Avro library, so nothing Java-only may be in them.
 */
class PublishedSchemaFilesTest {

    /**
     * Fingerprints of every published version as released. A change here means messages already
     * written can no longer be resolved: never edit a value, add a new version instead.
     */
    private static final Map<String, Long> PINNED = new LinkedHashMap<>();

    static {
        PINNED.put("SensorChunk.v1", 0xa60768f86bc08e61L);
        PINNED.put("SensorChunk.v2", 0x5379e5e4ffbce712L);
        PINNED.put("WindowEmbedding.v1", 0x2089227a447362f9L);
        PINNED.put("Prediction.v1", 0x9f62071c5143c5cbL);
        PINNED.put("Prediction.v2", 0x62e1c44ae911c834L);
        PINNED.put("DeadLetter.v1", 0x55edb55f0c0ac4aeL);
        PINNED.put("GroundTruth.v1", 0x48aa3f1f2711c2b8L);
        PINNED.put("AccuracyOutcome.v1", 0xe1543d5c37d946dbL);
    }

    @Test
    void everyPublishedVersionKeepsItsFingerprint() {
        Map<String, Long> actual = new LinkedHashMap<>();
        for (WireFormat.Published p : WireFormat.published()) {
            actual.put(p.recordName() + "." + p.version(), p.fingerprint());
        }
        assertThat(actual).containsExactlyEntriesOf(PINNED);
    }

    @Test
    void publishedFilesCarryNoJavaOnlyPropertiesAndNeedNoOtherFile() throws Exception {
        for (WireFormat.Published p : WireFormat.published()) {
            String text;
            try (InputStream in = WireFormat.class.getResourceAsStream(p.resource())) {
                assertThat(in).as(p.resource()).isNotNull();
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            // python-avro keeps unknown properties on primitive types in the canonical form, so
            // {"type":"string","avro.java.string":"String"} fingerprints differently there.
            assertThat(text).as(p.resource()).doesNotContain("avro.java");
            // Parsed alone by a fresh parser (no EncoderId.avsc first).
            assertThat(p.schema().getFullName()).isEqualTo("io.fmstream.schemas." + p.recordName());
        }
    }
}
