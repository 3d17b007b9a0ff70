package io.fmstream.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.fmstream.data.sim.HeartRateProfile;
import io.fmstream.data.sim.SimulatedDevice;
import io.fmstream.schemas.DeadLetter;
import io.fmstream.schemas.DeadLetterReason;
import io.fmstream.schemas.Prediction;
import io.fmstream.schemas.SensorChunk;
import io.fmstream.schemas.SignalType;
import io.fmstream.schemas.codec.RecordCodec;
import io.fmstream.testkit.EmbeddedKafka;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * More than 1,000 hostile records through the running job (p=2, real broker, no restarts allowed),
 * interleaved with healthy devices, a device that reboots, one that jumps its clock and one whose
 * chunks arrive on both partitions (a producer that changed partitioner), with a stop with
 * savepoint and a restore in the middle. Every bad record is a dead letter with its reason and its
 * original bytes; the healthy devices' predictions equal those of a run without the corpus; the
 * misbehaving devices lose nothing to a dead letter; the job never fails.
 */
class HostileCorpusIntegrationTest {

    @RegisterExtension static final EmbeddedKafka KAFKA = EmbeddedKafka.builder().extension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = RunningJob.miniCluster(RunningJob.PARALLELISM);

    private static final long SECOND = 1_000_000L;
    private static final String[] HEALTHY = {"ok-250", "ok-360", "ok-500"};
    private static final double[] HEALTHY_RATES = {250, 360, 500};
    private static final int SECONDS = 40;

    private final RecordCodec<SensorChunk> codec = RecordCodec.forType(SensorChunk.class);

    @TempDir Path scratch;

    @Test
    void badRecordsAreDeadLetteredWithTheirReasonAndNothingElseChanges() throws Exception {
        // Device time close to the append time, as for a live device: a chunk that overtakes
        // another across partitions then waits within the lateness instead of finding its gap
        // already closed by a watermark minutes ahead of the device's data.
        long t0 =
                Math.floorDiv(System.currentTimeMillis() * 1000L - SECONDS * SECOND, 5 * SECOND)
                        * 5
                        * SECOND;
        // Baseline: the healthy devices alone.
        Map<String, List<Float>> baseline = healthyPredictions(run(healthy(t0), List.of(), null));

        List<ProducerRecord<byte[], byte[]>> corpus = new ArrayList<>();
        Map<String, DeadLetterReason> expectedBad = new HashMap<>();
        Random rnd = new Random(20261203);
        List<List<ProducerRecord<byte[], byte[]>>> streams = new ArrayList<>();
        streams.add(healthy(t0));
        streams.add(misbehaving(t0));
        List<ProducerRecord<byte[], byte[]>> bad = new ArrayList<>();
        for (int i = 0; i < 80; i++) {
            addBad(bad, expectedBad, i, t0, rnd);
        }
        streams.add(bad);
        corpus.addAll(interleave(streams, rnd));
        assertThat(bad).hasSizeGreaterThanOrEqualTo(1_000);
        // The device whose producer changes partitioner: its first 10 s on one partition before
        // the savepoint (so its stream is anchored, as a device's long-running stream is), then
        // its chunks on both partitions after the restore, where they may overtake each other.
        SimulatedDevice two =
                new SimulatedDevice(
                        "odd-two-partitions", 63, 250, t0, HeartRateProfile.resting(80));
        List<ProducerRecord<byte[], byte[]>> twoBefore = new ArrayList<>();
        List<ProducerRecord<byte[], byte[]>> twoAfter = new ArrayList<>();
        for (int s = 0; s < SECONDS; s++) {
            SensorChunk c = two.nextChunk(250);
            (s < 10 ? twoBefore : twoAfter).add(record(s < 10 ? 0 : s % 2, c));
        }
        // A device whose chunks are on both partitions from its very first one: when the job
        // reads them as a backlog, a later chunk may anchor the stream before the first one
        // arrives; the segment is re-anchored on the earlier chunk while no window is decided.
        SimulatedDevice split =
                new SimulatedDevice("odd-split-start", 64, 250, t0, HeartRateProfile.resting(75));
        for (int s = 0; s < SECONDS; s++) {
            SensorChunk c = split.nextChunk(250);
            (s < 10 ? twoBefore : twoAfter).add(record(s % 2, c));
        }
        // A phone uploading a backlog recorded 10 minutes ago, its odd seconds on one partition
        // before the savepoint and its even seconds on the other after the restore: the
        // watermark (append time) is minutes past its data, yet every overtaken chunk still fills
        // its gap, because the lateness counts from when the gap was seen (its first chunk
        // arrives last and re-anchors the stream, as nothing was decided yet).
        long backlogT0 = t0 - 600 * SECOND;
        SimulatedDevice backlog =
                new SimulatedDevice(
                        "odd-backlog-split", 65, 250, backlogT0, HeartRateProfile.resting(70));
        for (int s = 0; s < SECONDS; s++) {
            SensorChunk c = backlog.nextChunk(250);
            (s % 2 == 1 ? twoBefore : twoAfter).add(record(s % 2, c));
        }
        List<ProducerRecord<byte[], byte[]>> before =
                interleave(List.of(corpus.subList(0, corpus.size() / 2), twoBefore), rnd);
        List<ProducerRecord<byte[], byte[]>> after =
                interleave(
                        List.of(corpus.subList(corpus.size() / 2, corpus.size()), twoAfter), rnd);

        Outputs out = run(before, after, scratch);

        // Every bad record, and nothing else, is a dead letter with its reason and original bytes.
        Map<String, DeadLetterReason> got = new HashMap<>();
        for (DeadLetter d : out.deadLetters) {
            byte[] original = new byte[d.getPayload().remaining()];
            d.getPayload().duplicate().get(original);
            assertThat(got.put(HexFormat.of().formatHex(original), d.getReason())).isNull();
            if (d.getReason() == DeadLetterReason.LATE
                    || d.getReason() == DeadLetterReason.OVERLAP) {
                System.out.println(
                        "dead letter "
                                + d.getDeviceId()
                                + " "
                                + d.getReason()
                                + ": "
                                + d.getDetail());
            }
        }
        Map<String, DeadLetterReason> missing = new java.util.TreeMap<>(expectedBad);
        missing.keySet().removeAll(got.keySet());
        Map<String, DeadLetterReason> unexpected = new java.util.TreeMap<>(got);
        unexpected.keySet().removeAll(expectedBad.keySet());
        Map<String, String> wrong = new java.util.TreeMap<>();
        got.forEach(
                (k, v) -> {
                    if (expectedBad.containsKey(k) && expectedBad.get(k) != v) {
                        wrong.put(
                                k.substring(0, Math.min(60, k.length())),
                                expectedBad.get(k) + "->" + v);
                    }
                });
        assertThat(missing.values()).as("bad records without a dead letter").isEmpty();
        assertThat(unexpected.values()).as("dead letters of good records").isEmpty();
        assertThat(wrong).as("wrong reasons").isEmpty();
        assertThat(got).hasSameSizeAs(expectedBad);

        // Healthy devices: the same predictions as without the corpus.
        Map<String, List<Float>> healthy = healthyPredictions(out);
        assertThat(healthy.keySet()).isEqualTo(baseline.keySet());
        baseline.forEach(
                (key, scores) -> {
                    List<Float> g = healthy.get(key);
                    for (int i = 0; i < scores.size(); i++) {
                        assertThat(g.get(i)).as(key).isCloseTo(scores.get(i), within(1e-6f));
                    }
                });
        // The misbehaving devices: windows in every segment, no key twice.
        Map<String, Integer> keys = new HashMap<>();
        for (Prediction p : out.predictions) {
            keys.merge(
                    p.getDeviceId() + "@" + p.getWindowStartMicros() + "/" + p.getTask(),
                    1,
                    Integer::sum);
        }
        assertThat(keys.values()).allMatch(n -> n == 1);
        assertThat(keys.keySet())
                .anyMatch(k -> k.startsWith("odd-reboot@"))
                .anyMatch(k -> k.startsWith("odd-clock@"))
                .anyMatch(k -> k.startsWith("odd-two-partitions@"));
        for (String device :
                List.of("odd-two-partitions", "odd-split-start", "odd-backlog-split")) {
            // The simulated devices start on a whole hop; their windows sit at their phase of it.
            long origin =
                    (device.equals("odd-backlog-split") ? backlogT0 : t0)
                            + IntegrationSettings.phaseMicros(device);
            for (int w = 0; w < 30; w += 5) {
                String window = device + "@" + (origin + w * SECOND) + "/";
                assertThat(keys.keySet()).as(device).anyMatch(k -> k.startsWith(window));
            }
        }
        assertThat(out.finalStatus).isEqualTo(JobStatus.RUNNING);
    }

    private record Outputs(
            List<Prediction> predictions, List<DeadLetter> deadLetters, JobStatus finalStatus) {}

    /**
     * Runs the job on {@code first}; with {@code savepoints} set, stops it with a savepoint, then
     * restores it and sends {@code second}. Returns the settled outputs.
     */
    private Outputs run(
            List<ProducerRecord<byte[], byte[]>> first,
            List<ProducerRecord<byte[], byte[]>> second,
            Path savepoints)
            throws Exception {
        String suffix = IntegrationSettings.uniqueSuffix();
        Configuration conf = IntegrationSettings.forRun(KAFKA.bootstrapServers(), suffix);
        var settings = io.fmstream.job.JobSettings.from(conf);
        JobStatus status;
        try (RunningJob job = RunningJob.start(conf, "hostile-" + suffix, s -> s, null, false)) {
            KAFKA.produceAll(retarget(first, settings.sensorTopic));
            awaitQuiet(settings);
            if (savepoints == null) {
                KAFKA.produceAll(retarget(second, settings.sensorTopic));
                awaitQuiet(settings);
                return collect(settings, job.client.getJobStatus().get());
            }
            String savepoint =
                    job.client
                            .stopWithSavepoint(
                                    false,
                                    savepoints.toUri().toString(),
                                    SavepointFormatType.CANONICAL)
                            .get(60, TimeUnit.SECONDS);
            assertThat(Files.exists(Path.of(java.net.URI.create(savepoint)))).isTrue();
            try (RunningJob restored =
                    RunningJob.start(
                            conf, "hostile-restored-" + suffix, s -> s, savepoint, false)) {
                KAFKA.produceAll(retarget(second, settings.sensorTopic));
                awaitQuiet(settings);
                status = restored.client.getJobStatus().get();
                return collect(settings, status);
            }
        }
    }

    private void awaitQuiet(io.fmstream.job.JobSettings settings) {
        KAFKA.drainUntilQuiet(
                settings.predictionsTopic, Duration.ofSeconds(4), Duration.ofSeconds(90));
    }

    private Outputs collect(io.fmstream.job.JobSettings settings, JobStatus status)
            throws Exception {
        RecordCodec<Prediction> pc = RecordCodec.forType(Prediction.class);
        RecordCodec<DeadLetter> dc = RecordCodec.forType(DeadLetter.class);
        List<Prediction> predictions = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r :
                KAFKA.drainUntilQuiet(
                        settings.predictionsTopic, Duration.ofSeconds(3), Duration.ofSeconds(30))) {
            predictions.add(pc.decode(r.value()));
        }
        List<DeadLetter> deadLetters = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r :
                KAFKA.drainUntilQuiet(
                        settings.deadLetterTopic, Duration.ofSeconds(3), Duration.ofSeconds(30))) {
            deadLetters.add(dc.decode(r.value()));
        }
        return new Outputs(predictions, deadLetters, status);
    }

    private static Map<String, List<Float>> healthyPredictions(Outputs out) {
        Map<String, List<Float>> m = new HashMap<>();
        for (Prediction p : out.predictions) {
            if (p.getDeviceId().startsWith("ok-")) {
                List<Float> v = new ArrayList<>(p.getScores());
                if (p.getValue() != null) {
                    v.add(p.getValue().floatValue());
                }
                assertThat(
                                m.put(
                                        p.getDeviceId()
                                                + "@"
                                                + p.getWindowStartMicros()
                                                + "/"
                                                + p.getTask(),
                                        v))
                        .isNull();
            }
        }
        return m;
    }

    private List<ProducerRecord<byte[], byte[]>> healthy(long t0) {
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
        for (int d = 0; d < HEALTHY.length; d++) {
            SimulatedDevice dev =
                    new SimulatedDevice(
                            HEALTHY[d],
                            51 + d,
                            HEALTHY_RATES[d],
                            t0,
                            HeartRateProfile.resting(65 + 10 * d));
            for (int s = 0; s < SECONDS; s++) {
                out.add(record(null, dev.nextChunk((int) HEALTHY_RATES[d])));
            }
        }
        return out;
    }

    /** A device that reboots and one that jumps its clock back. */
    private List<ProducerRecord<byte[], byte[]>> misbehaving(long t0) {
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
        SimulatedDevice reboot =
                new SimulatedDevice("odd-reboot", 61, 250, t0, HeartRateProfile.resting(70));
        SimulatedDevice clock =
                new SimulatedDevice("odd-clock", 62, 250, t0, HeartRateProfile.resting(75));
        for (int s = 0; s < SECONDS; s++) {
            SensorChunk r = reboot.nextChunk(250);
            if (s >= 20) {
                r.setFirstSampleIndex(r.getFirstSampleIndex() - 20L * 250);
                r.setFirstSampleTimeMicros(r.getFirstSampleTimeMicros() + 5 * SECOND);
            }
            out.add(record(null, r));
            SensorChunk c = clock.nextChunk(250);
            if (s >= 20) {
                c.setFirstSampleTimeMicros(c.getFirstSampleTimeMicros() - 2 * SECOND);
            }
            out.add(record(null, c));
        }
        return out;
    }

    private void addBad(
            List<ProducerRecord<byte[], byte[]>> out,
            Map<String, DeadLetterReason> expected,
            int i,
            long t0,
            Random rnd) {
        String dev = "bad-" + i;
        byte[] garbage = new byte[1 + rnd.nextInt(40)];
        rnd.nextBytes(garbage);
        garbage[0] = 0x11;
        bad(out, expected, dev, garbage, DeadLetterReason.UNDECODABLE);
        byte[] unknown = codec.encode(chunk(dev, 250, t0, 250));
        unknown[3 + rnd.nextInt(6)] ^= (byte) (1 + rnd.nextInt(255));
        bad(out, expected, dev, unknown, DeadLetterReason.UNKNOWN_SCHEMA);
        double[] rates = {0, -250, Double.NaN, 1e9};
        SensorChunk c = chunk(dev, 250, t0, 250);
        c.setSampleRateHz(rates[i % rates.length]);
        bad(out, expected, dev, codec.encode(c), DeadLetterReason.BAD_SAMPLE_RATE);
        c = chunk(dev, 250, t0, 250);
        c.setSignalType(i % 2 == 0 ? SignalType.PPG : SignalType.ACCELEROMETER);
        bad(out, expected, dev, codec.encode(c), DeadLetterReason.UNSUPPORTED_SIGNAL);
        c = chunk(dev, 250, t0, 0);
        bad(out, expected, dev, codec.encode(c), DeadLetterReason.EMPTY_CHUNK);
        c = chunk(dev, 250, t0, IntegrationSettings.MAX_SAMPLES_PER_CHUNK + 1 + i);
        bad(out, expected, dev, codec.encode(c), DeadLetterReason.OVERSIZED_CHUNK);
        c = chunk(dev, 250, t0, 250);
        c.setSamples(ByteBuffer.allocate(2 * i + 3));
        bad(out, expected, dev, codec.encode(c), DeadLetterReason.MALFORMED_SAMPLES);
        c = chunk(dev, 250, t0, 250);
        ByteBuffer sat = ByteBuffer.allocate(500).order(ByteOrder.LITTLE_ENDIAN);
        while (sat.hasRemaining()) {
            sat.putShort(Short.MAX_VALUE);
        }
        sat.flip();
        c.setSamples(sat);
        bad(out, expected, dev, codec.encode(c), DeadLetterReason.SATURATED);
        c = chunk(dev, 250, t0, 250);
        c.setGain(i % 2 == 0 ? Double.NaN : -1);
        bad(out, expected, dev, codec.encode(c), DeadLetterReason.NON_FINITE);
        c = chunk(dev, 250, i % 2 == 0 ? Long.MAX_VALUE : t0 + 3600 * SECOND * 24, 250);
        bad(out, expected, dev, codec.encode(c), DeadLetterReason.FUTURE);
        c = chunk(dev, 250, t0, 250);
        c.setFirstSampleIndex(i % 2 == 0 ? -1 - i : Long.MAX_VALUE - i);
        bad(out, expected, dev, codec.encode(c), DeadLetterReason.INCONSISTENT_STREAM);
        c = chunk(dev, 250, i % 2 == 0 ? Long.MIN_VALUE + i : -SECOND, 250);
        bad(out, expected, dev, codec.encode(c), DeadLetterReason.INCONSISTENT_STREAM);
        c = chunk("x".repeat(200 + 500 * i), 250, t0, 250);
        bad(out, expected, "long-id-" + i, codec.encode(c), DeadLetterReason.UNDECODABLE);
    }

    private static void bad(
            List<ProducerRecord<byte[], byte[]>> out,
            Map<String, DeadLetterReason> expected,
            String key,
            byte[] value,
            DeadLetterReason reason) {
        expected.put(HexFormat.of().formatHex(value), reason);
        out.add(
                new ProducerRecord<>(
                        "unset",
                        null,
                        key.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                        value));
    }

    private ProducerRecord<byte[], byte[]> record(Integer partition, SensorChunk c) {
        return new ProducerRecord<>(
                "unset",
                partition,
                c.getDeviceId().getBytes(java.nio.charset.StandardCharsets.UTF_8),
                codec.encode(c));
    }

    private static SensorChunk chunk(String device, double rate, long startMicros, int samples) {
        ByteBuffer b = ByteBuffer.allocate(2 * samples).order(ByteOrder.LITTLE_ENDIAN);
        for (int k = 0; k < samples; k++) {
            b.putShort((short) (200 * Math.sin(k / 20.0)));
        }
        b.flip();
        return SensorChunk.newBuilder()
                .setDeviceId(device)
                .setSignalType(SignalType.ECG)
                .setSampleRateHz(rate)
                .setFirstSampleTimeMicros(startMicros)
                .setFirstSampleIndex(0)
                .setSamples(b)
                .setGain(200)
                .build();
    }

    private static List<ProducerRecord<byte[], byte[]>> retarget(
            List<ProducerRecord<byte[], byte[]>> records, String topic) {
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>(records.size());
        for (ProducerRecord<byte[], byte[]> r : records) {
            out.add(new ProducerRecord<>(topic, r.partition(), r.key(), r.value()));
        }
        return out;
    }

    private static List<ProducerRecord<byte[], byte[]>> interleave(
            List<List<ProducerRecord<byte[], byte[]>>> streams, Random rnd) {
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
        int[] at = new int[streams.size()];
        int left = streams.stream().mapToInt(List::size).sum();
        while (left > 0) {
            int s = rnd.nextInt(streams.size());
            if (at[s] < streams.get(s).size()) {
                out.add(streams.get(s).get(at[s]++));
                left--;
            }
        }
        return out;
    }
}
