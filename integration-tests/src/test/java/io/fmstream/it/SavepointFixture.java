package io.fmstream.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fmstream.data.RepositoryLayout;
import io.fmstream.data.sim.HeartRateProfile;
import io.fmstream.data.sim.SimulatedDevice;
import io.fmstream.job.FmstreamJob;
import io.fmstream.job.FmstreamOptions;
import io.fmstream.job.JobSettings;
import io.fmstream.schemas.SensorChunk;
import io.fmstream.schemas.WindowEmbedding;
import io.fmstream.schemas.codec.DecodeException;
import io.fmstream.schemas.codec.RecordCodec;
import io.fmstream.testkit.EmbeddedKafka;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.flink.configuration.Configuration;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * A savepoint of the 0.1 job taken mid-stream, committed as a test fixture so that later changes to
 * state (the stream-semantics work reshapes the per-device state) are checked against real old
 * state, and the outputs a restored job must produce from it.
 *
 * <p>Scenario (fixed timestamps, so the input bytes are the same on every run): three devices send
 * 1-s chunks from {@link #T0}. Before the savepoint (phase A):
 *
 * <ul>
 *   <li>{@code sp-open} (250 Hz) sends [0, 23) s: windows from 15 s on are open;
 *   <li>{@code sp-gappy} (300 Hz) sends [0, 12) and [14, 20) s: the chunks after the 2-s gap are
 *       pending behind it, only the window at 0 s is complete;
 *   <li>{@code sp-resend} (360 Hz) sends [0, 16) s: the assembler remembers recent chunks'
 *       fingerprints.
 * </ul>
 *
 * After the restore (phase B): {@code sp-open} sends [23, 42) s; {@code sp-gappy} the missing [12,
 * 14) s, then [20, 32) s; {@code sp-resend} resends its chunks at 10 s and 15 s byte for byte
 * (exact duplicates: dropped and counted, no dead letter) and then sends [16, 27) s.
 *
 * <p>The fixture job delivers at least once: its savepoint then holds no Kafka transaction state,
 * which is tied to the broker that wrote it, so a fresh test broker can take it. The device idle
 * timeout is ten years, so the processing-time timers in the savepoint do not fire when a restore
 * runs days after the savepoint was taken.
 */
final class SavepointFixture {

    static final String VERSION = "v0.1.0";
    static final long SECOND = 1_000_000L;
    static final long T0 = Instant.parse("2026-12-03T00:00:00Z").getEpochSecond() * SECOND;
    static final String SUFFIX = "savepoint-" + VERSION.replace('.', '-');

    /** Upload time of a chunk sent as soon as recorded: its last sample's time plus 200 ms. */
    private static final long UPLOADED_ON_TIME = -1;

    /** Upload time of the resends and the gap's late chunks: when phase B starts. */
    private static final long PHASE_B_UPLOAD = T0 / 1000 + 23_200;

    private final RecordCodec<SensorChunk> codec = RecordCodec.forType(SensorChunk.class);
    final List<ProducerRecord<byte[], byte[]>> phaseA = new ArrayList<>();
    final List<ProducerRecord<byte[], byte[]>> phaseB = new ArrayList<>();
    private final String topic;

    SavepointFixture(String sensorTopic) {
        this.topic = sensorTopic;

        SimulatedDevice open = device("sp-open", 250, 72);
        for (int s = 0; s < 42; s++) {
            add(s < 23 ? phaseA : phaseB, open.nextChunk(250), UPLOADED_ON_TIME);
        }

        SimulatedDevice gap = device("sp-gappy", 300, 95);
        List<SensorChunk> gapChunks = new ArrayList<>();
        for (int s = 0; s < 32; s++) {
            gapChunks.add(gap.nextChunk(300));
        }
        for (int s = 0; s < 20; s++) {
            if (s != 12 && s != 13) {
                add(phaseA, gapChunks.get(s), UPLOADED_ON_TIME);
            }
        }
        // The gap is filled first thing after the restore (uploaded late), then the later data.
        for (int s : new int[] {12, 13}) {
            add(phaseB, gapChunks.get(s), PHASE_B_UPLOAD);
        }
        for (int s = 20; s < 32; s++) {
            add(phaseB, gapChunks.get(s), UPLOADED_ON_TIME);
        }

        SimulatedDevice dup = device("sp-resend", 360, 60);
        List<SensorChunk> sent = new ArrayList<>();
        for (int s = 0; s < 27; s++) {
            SensorChunk chunk = dup.nextChunk(360);
            sent.add(chunk);
            if (s < 16) {
                add(phaseA, chunk, UPLOADED_ON_TIME);
            } else {
                if (s == 16) {
                    add(phaseB, sent.get(10), PHASE_B_UPLOAD);
                    add(phaseB, sent.get(15), PHASE_B_UPLOAD);
                }
                add(phaseB, chunk, UPLOADED_ON_TIME);
            }
        }
    }

    /**
     * Window starts (s after T0) each device must emit after the restore, from the scenario alone.
     */
    static List<String> expectedKeysAfterRestore() {
        List<String> keys = new ArrayList<>();
        for (int s = 15; s <= 30; s += 5) {
            keys.add("sp-open@" + (T0 + s * SECOND));
        }
        for (int s = 5; s <= 20; s += 5) {
            keys.add("sp-gappy@" + (T0 + s * SECOND));
        }
        for (int s = 10; s <= 15; s += 5) {
            keys.add("sp-resend@" + (T0 + s * SECOND));
        }
        keys.sort(Comparator.naturalOrder());
        return keys;
    }

    /**
     * The fixture job's options: the integration settings with fixed topic names, at least once.
     */
    static Configuration settings(String bootstrapServers) {
        Configuration c = IntegrationSettings.forRun(bootstrapServers, SUFFIX);
        c.set(FmstreamOptions.DELIVERY, FmstreamOptions.Delivery.AT_LEAST_ONCE);
        c.set(FmstreamOptions.DEVICE_IDLE_TIMEOUT, Duration.ofDays(3650));
        // Its sensor topic carries the recorded producer timestamps, on which the expected
        // outputs depend.
        c.set(FmstreamOptions.REQUIRE_LOG_APPEND_TIME, false);
        return c;
    }

    /** Where the committed savepoint and its expected outputs live. */
    static Path dir() {
        return RepositoryLayout.root()
                .resolve("integration-tests/src/test/resources/savepoints/" + VERSION);
    }

    static Path savepoint() {
        return dir().resolve("savepoint");
    }

    static Path expectedOutputs() {
        return dir().resolve("expected-outputs.json");
    }

    /**
     * Embeddings decoded and sorted by key, as JSON: device, window start, missing fraction,
     * values.
     */
    static ArrayNode embeddings(List<ConsumerRecord<byte[], byte[]>> records)
            throws DecodeException {
        RecordCodec<WindowEmbedding> codec = RecordCodec.forType(WindowEmbedding.class);
        List<WindowEmbedding> decoded = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            decoded.add(codec.decode(r.value()));
        }
        decoded.sort(Comparator.comparing(SavepointFixture::key));
        ArrayNode out = new ObjectMapper().createArrayNode();
        for (WindowEmbedding e : decoded) {
            ObjectNode o = out.addObject();
            o.put("key", key(e));
            o.put("missingFraction", e.getMissingFraction());
            ArrayNode v = o.putArray("embedding");
            float[] values = new float[e.getEmbeddingDim()];
            e.getEmbedding().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
            for (float x : values) {
                v.add(x);
            }
        }
        return out;
    }

    static String key(WindowEmbedding e) {
        return e.getDeviceId() + "@" + e.getWindowStartMicros();
    }

    static JsonNode readExpected() throws IOException {
        return new ObjectMapper().readTree(expectedOutputs().toFile());
    }

    private static SimulatedDevice device(String id, double rate, double bpm) {
        return new SimulatedDevice(id, id.hashCode(), rate, T0, HeartRateProfile.resting(bpm));
    }

    /**
     * The record as a device would upload it, timestamped with its upload time: the fixture's
     * sensor topic keeps producer timestamps (CreateTime, {@link #createSensorTopic}), so event
     * time, and with it every lateness decision, is the same whenever a restore runs.
     */
    private void add(List<ProducerRecord<byte[], byte[]>> phase, SensorChunk c, long uploadMillis) {
        long endMicros =
                c.getFirstSampleTimeMicros()
                        + Math.round(c.getSamples().remaining() / 2 * 1e6 / c.getSampleRateHz());
        long ts = uploadMillis == UPLOADED_ON_TIME ? endMicros / 1000 + 200 : uploadMillis;
        phase.add(
                new ProducerRecord<>(
                        topic,
                        null,
                        ts,
                        c.getDeviceId().getBytes(StandardCharsets.UTF_8),
                        codec.encode(c)));
    }

    /**
     * Creates the fixture's topics: the sensor topic with producer timestamps (production topics
     * use the broker's append time, which would make a restore's lateness decisions depend on the
     * day it runs), the output topics as the job's preflight does.
     */
    static void createSensorTopic(EmbeddedKafka kafka, JobSettings settings) {
        kafka.createTopics(settings.topicPartitions, settings.sensorTopic);
        FmstreamJob.checkTopics(settings);
    }
}
