package io.fmstream.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fmstream.schemas.EncoderId;
import io.fmstream.schemas.HeadKind;
import io.fmstream.schemas.Prediction;
import io.fmstream.schemas.WindowEmbedding;
import io.fmstream.schemas.codec.RecordCodec;
import io.fmstream.testkit.EmbeddedKafka;
import io.fmstream.tools.FmstreamCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** tail decodes the job's topics with the committed .avsc files alone. */
class TailCommandTest {

    @RegisterExtension static final EmbeddedKafka KAFKA = EmbeddedKafka.builder().extension();

    @Test
    void printsPredictionsAndEmbeddingsAsJsonLinesWithVectorsDecoded() throws Exception {
        String topic = EmbeddedKafka.uniqueTopic("outputs");
        KAFKA.createTopics(1, topic);
        EncoderId encoder =
                EncoderId.newBuilder().setName("enc").setVersion("1").setSha256("ab").build();
        KAFKA.produce(
                topic,
                "dev-1".getBytes(StandardCharsets.UTF_8),
                RecordCodec.forType(Prediction.class)
                        .encode(
                                Prediction.newBuilder()
                                        .setDeviceId("dev-1")
                                        .setWindowStartMicros(5_000_000L)
                                        .setWindowEndMicros(15_000_000L)
                                        .setTask("rhythm")
                                        .setHeadName("h")
                                        .setHeadVersion("1")
                                        .setEncoderId(encoder)
                                        .setKind(HeadKind.CLASSIFICATION)
                                        .setLabel("af")
                                        .setScores(List.of(0.1f, 0.9f))
                                        .setNewestChunkAppendTimeMillis(1)
                                        .setEmitTimeMillis(2)
                                        .build()));
        ByteBuffer vector =
                ByteBuffer.allocate(8)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .putFloat(1.5f)
                        .putFloat(-2f)
                        .flip();
        KAFKA.produce(
                topic,
                "dev-1".getBytes(StandardCharsets.UTF_8),
                RecordCodec.forType(WindowEmbedding.class)
                        .encode(
                                WindowEmbedding.newBuilder()
                                        .setDeviceId("dev-1")
                                        .setWindowStartMicros(0)
                                        .setWindowEndMicros(10_000_000L)
                                        .setEncoderId(encoder)
                                        .setPreprocessingId("p")
                                        .setEmbeddingDim(2)
                                        .setEmbedding(vector)
                                        .setMissingFraction(0f)
                                        .setNewestChunkAppendTimeMillis(1)
                                        .setEmitTimeMillis(2)
                                        .build()));
        KAFKA.produce(topic, null, "garbage".getBytes(StandardCharsets.UTF_8));

        StringWriter out = new StringWriter();
        var cli = FmstreamCli.commandLine();
        cli.setOut(new PrintWriter(out));
        int exit =
                cli.execute(
                        "tail",
                        "--bootstrap-servers",
                        KAFKA.bootstrapServers(),
                        "--topic",
                        topic,
                        "--from-beginning",
                        "--max",
                        "3",
                        "--schemas",
                        io.fmstream.data.RepositoryLayout.root()
                                .resolve("schemas/src/main/resources/io/fmstream/schemas/history")
                                .toString());
        // Every record printed, the undecodable one as an "error" line, and the exit code says so.
        assertThat(exit).isEqualTo(3);
        String[] lines = out.toString().strip().split("\n");
        assertThat(lines).hasSize(3);
        ObjectMapper json = new ObjectMapper();
        JsonNode prediction = json.readTree(lines[0]);
        assertThat(prediction.get("schema").asText()).isEqualTo("io.fmstream.schemas.Prediction");
        assertThat(prediction.get("value").get("label").asText()).isEqualTo("af");
        assertThat(prediction.get("value").get("scores").get(1).floatValue()).isEqualTo(0.9f);
        JsonNode embedding = json.readTree(lines[1]);
        assertThat(embedding.get("value").get("embedding").get(0).floatValue()).isEqualTo(1.5f);
        assertThat(embedding.get("value").get("embedding").get(1).floatValue()).isEqualTo(-2f);
        assertThat(json.readTree(lines[2]).get("error").asText())
                .isEqualTo("not single-object encoded");
    }
}
