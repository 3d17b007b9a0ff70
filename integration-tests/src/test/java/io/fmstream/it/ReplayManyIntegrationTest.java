package io.fmstream.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.core.signal.StreamingResampler;
import io.fmstream.data.RepositoryLayout;
import io.fmstream.data.wfdb.WfdbHeader;
import io.fmstream.schemas.Prediction;
import io.fmstream.schemas.PredictionScope;
import io.fmstream.schemas.SensorChunk;
import io.fmstream.schemas.WindowEmbedding;
import io.fmstream.schemas.codec.RecordCodec;
import io.fmstream.testkit.EmbeddedKafka;
import io.fmstream.tools.ReplayCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

/**
 * Twelve CinC 2017 recordings (9-60 s, 300 Hz) replayed at once, as fast as possible, from one
 * replay process through the production job at parallelism 2: every recording is its own device and
 * gets exactly the windows its length allows, on the hop grid from its own (rebased) first sample,
 * with no dead letters. Five at a time, so records also start as others finish.
 */
class ReplayManyIntegrationTest {

    private static final int RECORDS = 12;
    private static final Path TRAIN = RepositoryLayout.testData().resolve("cinc2017-train");

    @RegisterExtension static final EmbeddedKafka KAFKA = EmbeddedKafka.builder().extension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = RunningJob.miniCluster(RunningJob.PARALLELISM);

    @Test
    void twelveRecordsAtOnceGiveEachDeviceItsWindowsAndNoDeadLetters() throws Exception {
        String suffix = IntegrationSettings.uniqueSuffix();
        try (RunningJob job =
                RunningJob.start(
                        IntegrationSettings.forRun(KAFKA.bootstrapServers(), suffix),
                        "replay-many-it-" + suffix,
                        input -> input)) {
            // The records --records-from selects: the folder's .hea files sorted by name, the first
            // 12.
            Map<String, WfdbHeader> records = new TreeMap<>();
            try (Stream<Path> files = Files.list(TRAIN)) {
                files.filter(p -> p.getFileName().toString().endsWith(".hea"))
                        .sorted()
                        .limit(RECORDS)
                        .forEach(
                                p -> {
                                    WfdbHeader h = WfdbHeader.read(p);
                                    records.put(
                                            "cinc2017-train-"
                                                    + h.recordName().toLowerCase(Locale.ROOT),
                                            h);
                                });
            }
            Map<String, Integer> expectedWindows = new HashMap<>();
            int totalWindows = 0;
            int totalChunks = 0;
            for (Map.Entry<String, WfdbHeader> e : records.entrySet()) {
                int n = expectedWindows(e.getValue(), job);
                expectedWindows.put(e.getKey(), n);
                totalWindows += n;
                totalChunks +=
                        (int)
                                Math.ceil(
                                        e.getValue().numberOfSamples()
                                                / e.getValue().samplingFrequency());
            }

            int exit =
                    new CommandLine(new ReplayCommand())
                            .execute(
                                    "--bootstrap-servers",
                                    KAFKA.bootstrapServers(),
                                    "--records-from",
                                    TRAIN.toString(),
                                    "--limit",
                                    String.valueOf(RECORDS),
                                    "--concurrency",
                                    "5",
                                    "--as-fast-as-possible",
                                    "--topic",
                                    job.settings.sensorTopic,
                                    "--ground-truth-topic",
                                    "none");
            assertThat(exit).isZero();

            // Each device's first sample time, from what replay sent: its windows start there, one
            // hop apart.
            RecordCodec<SensorChunk> chunks = RecordCodec.forType(SensorChunk.class);
            Map<String, Long> firstSample = new HashMap<>();
            List<ConsumerRecord<byte[], byte[]>> sent =
                    KAFKA.drain(job.settings.sensorTopic, totalChunks, Duration.ofSeconds(30));
            assertThat(sent).hasSize(totalChunks);
            for (ConsumerRecord<byte[], byte[]> r : sent) {
                SensorChunk c = chunks.decode(r.value());
                if (c.getFirstSampleIndex() == 0) {
                    assertThat(firstSample.put(c.getDeviceId(), c.getFirstSampleTimeMicros()))
                            .isNull();
                }
            }
            assertThat(firstSample).containsOnlyKeys(records.keySet());

            RecordCodec<WindowEmbedding> codec = RecordCodec.forType(WindowEmbedding.class);
            Map<String, List<Long>> starts = new TreeMap<>();
            for (ConsumerRecord<byte[], byte[]> r :
                    KAFKA.drain(
                            job.settings.embeddingsTopic, totalWindows, Duration.ofSeconds(60))) {
                WindowEmbedding e = codec.decode(r.value());
                starts.computeIfAbsent(e.getDeviceId(), k -> new ArrayList<>())
                        .add(e.getWindowStartMicros());
            }
            assertThat(starts).containsOnlyKeys(records.keySet());
            long hop = job.settings.windowHop(job.manifest).toNanos() / 1000;
            for (String device : records.keySet()) {
                List<Long> expected = new ArrayList<>();
                for (int k = 0; k < expectedWindows.get(device); k++) {
                    expected.add(firstSample.get(device) + k * hop);
                }
                assertThat(starts.get(device))
                        .as(device)
                        .containsExactlyInAnyOrderElementsOf(expected);
            }

            // Each record ends with an end-of-recording chunk: one recording-level prediction per
            // record and head, aggregated over exactly that record's windows.
            int heads = job.manifest.heads().size();
            RecordCodec<Prediction> predictions = RecordCodec.forType(Prediction.class);
            Map<String, Integer> recordingWindows = new TreeMap<>();
            List<Long> recordingWrittenMillis = new ArrayList<>();
            List<Long> windowWrittenMillis = new ArrayList<>();
            Map<String, Long> lastWindowEmit = new HashMap<>();
            Map<String, Long> recordingEmit = new HashMap<>();
            int windowPredictions = 0;
            for (ConsumerRecord<byte[], byte[]> r :
                    KAFKA.drain(
                            job.settings.predictionsTopic,
                            (totalWindows + RECORDS) * heads,
                            Duration.ofSeconds(60))) {
                Prediction p = predictions.decode(r.value());
                if (p.getScope() == PredictionScope.RECORDING) {
                    assertThat(
                                    recordingWindows.put(
                                            p.getDeviceId() + "/" + p.getTask(), p.getWindows()))
                            .isNull();
                    assertThat(p.getWindowStartMicros())
                            .isEqualTo(firstSample.get(p.getDeviceId()));
                    recordingWrittenMillis.add(
                            p.getEmitTimeMillis() - p.getNewestChunkAppendTimeMillis());
                    recordingEmit.put(p.getDeviceId() + "/" + p.getTask(), p.getEmitTimeMillis());
                } else {
                    windowPredictions++;
                    windowWrittenMillis.add(
                            p.getEmitTimeMillis() - p.getNewestChunkAppendTimeMillis());
                    lastWindowEmit.merge(
                            p.getDeviceId() + "/" + p.getTask(), p.getEmitTimeMillis(), Math::max);
                }
            }
            assertThat(windowPredictions).isEqualTo(totalWindows * heads);
            // For the reader, not asserted (timing is the benchmarks' business): from the Kafka
            // append time of a record's last chunk to the recording prediction's send; a
            // read_committed consumer sees it at the next checkpoint after that.
            // In a burst every record's windows queue at the encoder, so the window predictions
            // are printed beside them, and the recording operator's own share: from the record's
            // last window prediction to its recording prediction.
            java.util.Collections.sort(recordingWrittenMillis);
            java.util.Collections.sort(windowWrittenMillis);
            List<Long> ownShare = new ArrayList<>();
            recordingEmit.forEach((k, at) -> ownShare.add(at - lastWindowEmit.get(k)));
            java.util.Collections.sort(ownShare);
            System.out.printf(
                    "replay-many: recording-level predictions written %d-%d ms after the record's"
                            + " last chunk (median %d ms); window predictions %d-%d ms after"
                            + " their newest chunk (median %d ms); recording operator's own share"
                            + " %d-%d ms after the record's last window prediction; checkpoint"
                            + " interval %d ms%n",
                    recordingWrittenMillis.get(0),
                    recordingWrittenMillis.get(recordingWrittenMillis.size() - 1),
                    recordingWrittenMillis.get(recordingWrittenMillis.size() / 2),
                    windowWrittenMillis.get(0),
                    windowWrittenMillis.get(windowWrittenMillis.size() - 1),
                    windowWrittenMillis.get(windowWrittenMillis.size() / 2),
                    ownShare.get(0),
                    ownShare.get(ownShare.size() - 1),
                    job.settings.checkpointInterval.toMillis());
            assertThat(recordingWindows).hasSize(RECORDS * heads);
            recordingWindows.forEach(
                    (key, n) ->
                            assertThat(n)
                                    .as(key)
                                    .isEqualTo(
                                            expectedWindows.get(
                                                    key.substring(0, key.indexOf('/')))));

            assertThat(
                            KAFKA.drainUntilQuiet(
                                    job.settings.deadLetterTopic,
                                    Duration.ofSeconds(3),
                                    Duration.ofSeconds(10)))
                    .as("dead letters")
                    .isEmpty();
        }
    }

    /**
     * Windows of a record replayed from a grid-aligned start: every window whose outputs are
     * missing (before the first output whose interpolator support lies in the record, after the
     * last one) by no more than the allowed fraction. The last ones are closed by the record's
     * end-of-recording chunk.
     */
    private static int expectedWindows(WfdbHeader h, RunningJob job) {
        double modelRate = job.manifest.inputSampleRateHz();
        double inRate = h.samplingFrequency();
        long windowSamples = Math.round(job.manifest.windowSeconds() * modelRate);
        long hopSamples =
                Math.round(job.settings.windowHop(job.manifest).toNanos() / 1e9 * modelRate);
        int halfWidth = new StreamingResampler(inRate, modelRate).halfWidth();
        long lastInput = h.numberOfSamples() - 1;
        long firstOut = (long) Math.ceil(halfWidth * modelRate / inRate - 1e-9);
        long lastOut = (long) Math.floor((lastInput - halfWidth) * modelRate / inRate + 1e-9);
        long maxMissing = (long) Math.floor(job.settings.maxMissingFraction * windowSamples);
        int n = 0;
        for (long k = 0; k * hopSamples <= lastOut; k++) {
            long start = k * hopSamples;
            long end = start + windowSamples - 1;
            long missing = Math.max(0, firstOut - start) + Math.max(0, end - lastOut);
            if (missing <= maxMissing) {
                n++;
            }
        }
        return n;
    }
}
