package io.fmstream.job.functions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.fmstream.core.model.BundleManifest;
import io.fmstream.core.model.HeadRunner;
import io.fmstream.core.model.ModelBundle;
import io.fmstream.core.records.EmbeddingRecord;
import io.fmstream.core.records.PredictionRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.mailbox.Mail;
import org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailbox;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The head operator applies its head once per batch of embeddings: what the encoder emits in one go
 * is scored in one call, in a mail run before the task reads its next input; every flush trigger
 * keeps the predictions ahead of watermarks and checkpoint barriers.
 */
class HeadOperatorTest {

    private static final Path FIXTURE_BUNDLE = MicroBatchEmbedOperatorTest.FIXTURE_BUNDLE;
    private static final String TASK = "heart_rate";

    private OneInputStreamOperatorTestHarness<EmbeddingRecord, PredictionRecord> harness;

    @AfterEach
    void tearDown() throws Exception {
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    void scoresWhatArrivedTogetherInOneMailWithTheSameValuesAsOneCallPerWindow() throws Exception {
        open(64);
        List<EmbeddingRecord> in = List.of(embedding("a", 1), embedding("b", 2), embedding("c", 3));
        for (int i = 0; i < in.size(); i++) {
            harness.processElement(in.get(i), 100L + i);
        }
        // Nothing yet: the head waits for the mail, which the task runs before its next input.
        assertThat(outputs()).isEmpty();
        assertThat(runMails()).isEqualTo(1);
        assertThat(outputs()).extracting(r -> r.getValue().deviceId).containsExactly("a", "b", "c");
        assertThat(outputs())
                .extracting(StreamRecord::getTimestamp)
                .containsExactly(100L, 101L, 102L);
        try (ModelBundle bundle = ModelBundle.load(FIXTURE_BUNDLE, 1)) {
            HeadRunner head = bundle.head(TASK).orElseThrow();
            for (int i = 0; i < in.size(); i++) {
                float alone = head.apply(new float[][] {in.get(i).embedding})[0][0];
                PredictionRecord p = outputs().get(i).getValue();
                assertThat(p.task).isEqualTo(TASK);
                assertThat(p.windowStartMicros).isEqualTo(in.get(i).windowStartMicros);
                assertThat(p.value).isCloseTo(alone, within(1e-5));
            }
        }
        // The mail ran once, so a later arrival schedules a new one.
        harness.processElement(embedding("d", 4), 103L);
        assertThat(runMails()).isEqualTo(1);
        assertThat(outputs()).hasSize(4);
    }

    @Test
    void flushesAtMaxBatchWithoutWaitingForTheMail() throws Exception {
        open(2);
        harness.processElement(embedding("a", 1), 1L);
        assertThat(outputs()).isEmpty();
        harness.processElement(embedding("b", 2), 2L);
        assertThat(outputs()).hasSize(2);
        harness.processElement(embedding("c", 3), 3L);
        assertThat(outputs()).hasSize(2);
        // The mail scheduled by "a" finds the buffer holding only "c", and scores it.
        runMails();
        assertThat(outputs()).extracting(r -> r.getValue().deviceId).containsExactly("a", "b", "c");
    }

    @Test
    void flushesBeforeForwardingAWatermark() throws Exception {
        open(64);
        harness.processElement(embedding("a", 1), 20L);
        harness.processElement(embedding("b", 2), 21L);
        harness.processWatermark(new Watermark(30L));
        MicroBatchEmbedOperatorTest.assertOutputIs(
                harness.getOutput(), 20L, 21L, new Watermark(30L));
    }

    @Test
    void flushesBeforeForwardingAnIdleStatus() throws Exception {
        open(64);
        harness.processElement(embedding("a", 1), 20L);
        harness.processElement(embedding("b", 2), 21L);
        harness.processWatermarkStatus(WatermarkStatus.IDLE);
        MicroBatchEmbedOperatorTest.assertOutputIs(
                harness.getOutput(), 20L, 21L, WatermarkStatus.IDLE);
    }

    @Test
    void flushesBeforeTheCheckpointBarrierSoNothingBufferedEscapesACheckpoint() throws Exception {
        open(64);
        harness.processElement(embedding("a", 1), 40L);
        harness.processElement(embedding("b", 2), 41L);
        harness.prepareSnapshotPreBarrier(1L);
        assertThat(outputs()).extracting(StreamRecord::getTimestamp).containsExactly(40L, 41L);
        var snapshot = harness.snapshot(1L, 42L);
        assertThat(snapshot.getManagedOperatorState()).isEmpty();
        assertThat(snapshot.getManagedKeyedState()).isEmpty();
    }

    @Test
    void flushesWhatIsLeftAtTheEndOfInput() throws Exception {
        open(64);
        harness.processElement(embedding("a", 1), 7L);
        harness.endInput();
        assertThat(outputs()).hasSize(1);
    }

    @Test
    void aWindowTheHeadFailsOnCostsOnlyThatWindowsPrediction() throws Exception {
        open(64);
        EmbeddingRecord broken = embedding("broken", 2);
        broken.embedding = new float[broken.embedding.length + 1]; // the head refuses the row
        harness.processElement(embedding("a", 1), 1L);
        harness.processElement(broken, 2L);
        harness.processElement(embedding("c", 3), 3L);
        runMails();
        // The batch call fails; each window then runs alone and only the broken one is lost.
        assertThat(outputs()).extracting(r -> r.getValue().deviceId).containsExactly("a", "c");
        assertThat(outputs()).extracting(StreamRecord::getTimestamp).containsExactly(1L, 3L);
    }

    @Test
    void aHeadThatOnlyTakesOneWindowPerCallIsScoredOneWindowAtATime(@TempDir Path tmp)
            throws Exception {
        // A head exported with a fixed batch size of 1 (batch-of-one-head.onnx, made by
        // model-artifacts/recipe/failing_head_fixture.py --batch-of-one) fails on every batch of
        // two or more and runs on one embedding: no window may lose its prediction for that.
        Path bundle = bundleWithHead(tmp, "rhythm", "batch-of-one-head.onnx");
        HeadOperator head = open(bundle, "rhythm", 64);
        for (int i = 0; i < 3; i++) {
            harness.processElement(embedding("d" + i, i), 10L + i);
        }
        runMails();
        assertThat(outputs())
                .extracting(r -> r.getValue().deviceId)
                .containsExactly("d0", "d1", "d2");
        // Its weights are zeros: equal scores for the four labels, whichever way it was called.
        assertThat(outputs().get(0).getValue().scores).containsExactly(0.25f, 0.25f, 0.25f, 0.25f);
        assertThat(head.scoresOneAtATime()).isTrue();
        harness.processElement(embedding("d3", 3), 13L);
        harness.processElement(embedding("d4", 4), 14L);
        runMails();
        assertThat(outputs()).hasSize(5);
        // A batch is tried again after so many windows alone (the failure may have been
        // passing); it fails again here, and still no window loses its prediction.
        head.retryBatchAfter(2); // d3 and d4 ran alone: the next flush tries a batch
        for (int i = 0; i < 6; i++) {
            harness.processElement(embedding("e" + i, 5 + i), 20L + i);
        }
        runMails();
        assertThat(outputs()).hasSize(11);
        assertThat(head.scoresOneAtATime()).isTrue();
    }

    @Test
    void aHeadThatTakesBatchesKeepsTakingThem() throws Exception {
        HeadOperator head = open(FIXTURE_BUNDLE, TASK, 64);
        harness.processElement(embedding("a", 1), 1L);
        harness.processElement(embedding("b", 2), 2L);
        runMails();
        assertThat(outputs()).hasSize(2);
        assertThat(head.scoresOneAtATime()).isFalse();
    }

    private void open(int maxBatch) throws Exception {
        open(FIXTURE_BUNDLE, TASK, maxBatch);
    }

    private HeadOperator open(Path bundle, String task, int maxBatch) throws Exception {
        String sha =
                BundleManifest.parse(Files.readAllBytes(bundle.resolve(BundleManifest.FILE_NAME)))
                        .encoder()
                        .sha256();
        HeadOperator head = new HeadOperator(bundle.toUri().toString(), sha, task, 1, maxBatch);
        harness = new OneInputStreamOperatorTestHarness<>(head);
        harness.open();
        return head;
    }

    /**
     * A copy of the fixture bundle with {@code task}'s head replaced by the resource {@code onnx}.
     */
    private static Path bundleWithHead(Path dir, String task, String onnx) throws Exception {
        try (var files = Files.walk(FIXTURE_BUNDLE)) {
            for (Path from : (Iterable<Path>) files::iterator) {
                Path to = dir.resolve(FIXTURE_BUNDLE.relativize(from).toString());
                if (Files.isDirectory(from)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(from, to);
                }
            }
        }
        byte[] model;
        try (var in = HeadOperatorTest.class.getResourceAsStream(onnx)) {
            model = in.readAllBytes();
        }
        Path manifestFile = dir.resolve(BundleManifest.FILE_NAME);
        String manifest = Files.readString(manifestFile);
        BundleManifest.HeadSpec spec =
                BundleManifest.parse(manifest.getBytes(java.nio.charset.StandardCharsets.UTF_8))
                        .heads()
                        .stream()
                        .filter(h -> h.task().equals(task))
                        .findFirst()
                        .orElseThrow();
        Files.write(dir.resolve(spec.file()), model);
        Files.writeString(
                manifestFile,
                manifest.replace(spec.sha256(), io.fmstream.core.model.Sha256.hex(model)));
        return dir;
    }

    /** Runs the task's pending mails, as its mailbox loop does between input records. */
    private int runMails() throws Exception {
        TaskMailbox mailbox = harness.getTaskMailbox();
        int ran = 0;
        while (true) {
            java.util.Optional<Mail> mail = mailbox.tryTake(TaskMailbox.MIN_PRIORITY);
            if (mail.isEmpty()) {
                return ran;
            }
            mail.get().run();
            ran++;
        }
    }

    @SuppressWarnings("unchecked")
    private List<StreamRecord<PredictionRecord>> outputs() {
        List<StreamRecord<PredictionRecord>> result = new ArrayList<>();
        for (Object o : harness.getOutput()) {
            if (o instanceof StreamRecord) {
                result.add((StreamRecord<PredictionRecord>) o);
            }
        }
        return result;
    }

    private static EmbeddingRecord embedding(String device, int seed) throws Exception {
        int dim;
        try (ModelBundle bundle = ModelBundle.load(FIXTURE_BUNDLE, 1)) {
            dim = bundle.encoder().embeddingDim();
        }
        Random random = new Random(seed);
        EmbeddingRecord e = new EmbeddingRecord();
        e.deviceId = device;
        e.windowStartMicros = seed * 5_000_000L;
        e.windowEndMicros = e.windowStartMicros + 10_000_000L;
        e.embedding = new float[dim];
        for (int i = 0; i < dim; i++) {
            e.embedding[i] = (float) random.nextGaussian();
        }
        return e;
    }
}
