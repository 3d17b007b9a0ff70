package io.fmstream.schemas.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.schemas.SensorChunk;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.SchemaCompatibility.SchemaIncompatibilityType;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;
import org.apache.avro.SchemaNormalization;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The published history is the wire contract: the generated schema of every record must be its
 * latest published version, and every published version must stay readable by the current schema
 * (backward) and able to read it (forward), so producers and consumers can upgrade in any order.
 */
class SchemaCompatibilityTest {

    static List<String> recordNames() {
        return WireFormat.recordNames();
    }

    @Test
    void everyGeneratedRecordHasAPublishedHistory() throws java.io.IOException {
        // Every top-level schema file is a topic record, except EncoderId, which only appears
        // nested.
        java.util.List<String> files;
        try (var paths = java.nio.file.Files.list(java.nio.file.Path.of("src/main/avro"))) {
            files =
                    paths.map(p -> p.getFileName().toString().replace(".avsc", ""))
                            .filter(name -> !name.equals("EncoderId"))
                            .toList();
        }
        assertThat(files).isNotEmpty();
        assertThat(recordNames()).containsExactlyInAnyOrderElementsOf(files);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("recordNames")
    void currentSchemaIsTheLatestPublishedVersion(String recordName) {
        Schema current = WireFormat.currentSchema(recordName);
        Schema latest = latestPublished(recordName);

        assertThat(SchemaNormalization.toParsingForm(current))
                .as(
                        "%s changed without committing a new history version (add %s.v%d.avsc and"
                                + " list it in WireFormat)",
                        recordName, recordName, WireFormat.publishedVersions(recordName).size() + 1)
                .isEqualTo(SchemaNormalization.toParsingForm(latest));
        assertThat(WireFormat.fingerprint(current)).isEqualTo(WireFormat.fingerprint(latest));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("recordNames")
    void latestPublishedVersionAlsoKeepsTheCurrentDefaultsAndProperties(String recordName) {
        // The parsing canonical form drops defaults, so a default-only edit keeps the fingerprint;
        // the latest history file must still describe the schema exactly (docs aside).
        // The history files are the portable copies (no avro.java.* properties).
        Schema portableCurrent =
                new Schema.Parser()
                        .parse(WireFormat.portableJson(WireFormat.currentSchema(recordName)));
        assertThat(latestPublished(recordName)).isEqualTo(portableCurrent);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("recordNames")
    void everyPublishedVersionHasItsOwnFingerprintAndTheRecordName(String recordName) {
        Set<Long> fingerprints = new HashSet<>();
        for (Schema published : WireFormat.publishedVersions(recordName)) {
            assertThat(published.getFullName()).isEqualTo("io.fmstream.schemas." + recordName);
            assertThat(fingerprints.add(WireFormat.fingerprint(published)))
                    .as(
                            "%s has two published versions with fingerprint %016x",
                            recordName, WireFormat.fingerprint(published))
                    .isTrue();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("recordNames")
    void currentSchemaReadsDataWrittenWithEveryPublishedVersion(String recordName) {
        Schema current = WireFormat.currentSchema(recordName);
        List<String> problems = new ArrayList<>();
        List<Schema> published = WireFormat.publishedVersions(recordName);
        for (int v = 0; v < published.size(); v++) {
            SchemaPairCompatibility result =
                    SchemaCompatibility.checkReaderWriterCompatibility(current, published.get(v));
            if (result.getType() != SchemaCompatibilityType.COMPATIBLE) {
                problems.add(
                        "current cannot read v"
                                + (v + 1)
                                + ": "
                                + result.getResult().getIncompatibilities());
            }
        }
        assertThat(problems).as("backward compatibility of %s", recordName).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("recordNames")
    void everyPublishedVersionReadsDataWrittenWithTheCurrentSchema(String recordName) {
        Schema current = WireFormat.currentSchema(recordName);
        List<String> problems = new ArrayList<>();
        List<Schema> published = WireFormat.publishedVersions(recordName);
        for (int v = 0; v < published.size(); v++) {
            SchemaPairCompatibility result =
                    SchemaCompatibility.checkReaderWriterCompatibility(published.get(v), current);
            if (result.getType() != SchemaCompatibilityType.COMPATIBLE) {
                problems.add(
                        "v"
                                + (v + 1)
                                + " cannot read current: "
                                + result.getResult().getIncompatibilities());
            }
        }
        assertThat(problems).as("forward compatibility of %s", recordName).isEmpty();
    }

    @Test
    void aReaderWithANewFieldWithoutDefaultIsReportedIncompatible() {
        Schema current = SensorChunk.getClassSchema();
        Schema reader =
                withExtraField(
                        current,
                        new Schema.Field("firmwareVersion", Schema.create(Schema.Type.STRING)));

        SchemaPairCompatibility result =
                SchemaCompatibility.checkReaderWriterCompatibility(reader, current);

        assertThat(result.getType()).isEqualTo(SchemaCompatibilityType.INCOMPATIBLE);
        assertThat(result.getResult().getIncompatibilities())
                .extracting(SchemaCompatibility.Incompatibility::getType)
                .containsExactly(SchemaIncompatibilityType.READER_FIELD_MISSING_DEFAULT_VALUE);
    }

    @Test
    void aReaderThatNarrowsAFieldTypeIsReportedIncompatible() {
        Schema current = SensorChunk.getClassSchema();
        Schema reader =
                new Schema.Parser()
                        .parse(
                                current.toString()
                                        .replace(
                                                "{\"name\":\"sampleRateHz\",\"type\":\"double\"",
                                                "{\"name\":\"sampleRateHz\",\"type\":\"int\""));
        assertThat(reader.getField("sampleRateHz").schema().getType()).isEqualTo(Schema.Type.INT);

        SchemaPairCompatibility result =
                SchemaCompatibility.checkReaderWriterCompatibility(reader, current);

        assertThat(result.getType()).isEqualTo(SchemaCompatibilityType.INCOMPATIBLE);
        assertThat(result.getResult().getIncompatibilities())
                .extracting(SchemaCompatibility.Incompatibility::getType)
                .containsExactly(SchemaIncompatibilityType.TYPE_MISMATCH);
    }

    private static Schema latestPublished(String recordName) {
        List<Schema> published = WireFormat.publishedVersions(recordName);
        return published.get(published.size() - 1);
    }

    private static Schema withExtraField(Schema record, Schema.Field extra) {
        List<Schema.Field> fields = new ArrayList<>();
        for (Schema.Field field : record.getFields()) {
            fields.add(new Schema.Field(field, field.schema()));
        }
        fields.add(extra);
        return Schema.createRecord(
                record.getName(), record.getDoc(), record.getNamespace(), false, fields);
    }
}
