package io.fmstream.job.functions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.fmstream.core.batch.EmbeddingBatch;
import io.fmstream.core.model.BundleException;
import io.fmstream.core.model.BundleManifest;
import io.fmstream.core.model.ModelBundle;
import io.fmstream.core.records.EmbeddingRecord;
import io.fmstream.core.records.WindowRecord;
import io.fmstream.data.RepositoryLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MicroBatchEmbedOperatorTest {

    static final Path FIXTURE_BUNDLE = RepositoryLayout.fixtureBundle();
    private static final long MAX_DELAY_MILLIS = 100;

    private OneInputStreamOperatorTestHarness<WindowRecord, EmbeddingRecord> harness;

    @AfterEach
    void tearDown() throws Exception {
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    void flushesAFullBatchAtOnceWithOneEncoderCallPerBatch() throws Exception {
        open(4);
        for (int i = 0; i < 3; i++) {
            harness.processElement(window("d" + i, i), 1000L + i);
        }
        assertThat(outputs()).isEmpty();
        harness.processElement(window("d3", 3), 1003L);
        assertThat(outputs())
                .extracting(r -> r.getValue().deviceId)
                .containsExactly("d0", "d1", "d2", "d3");
        assertThat(outputs())
                .extracting(StreamRecord::getTimestamp)
                .containsExactly(1000L, 1001L, 1002L, 1003L);
    }

    @Test
    void embeddingsEqualTheEncoderRunOnTheSameWindowsDirectly() throws Exception {
        open(3);
        List<WindowRecord> windows = List.of(window("a", 1), window("b", 2), window("c", 3));
        for (WindowRecord w : windows) {
            harness.processElement(copy(w), 5L);
        }
        assertEqualToOneDirectCall(windows, outputs(harness));
    }

    /** {@code outputs} are what the fixture encoder makes of {@code windows} in one call. */
    static void assertEqualToOneDirectCall(
            List<WindowRecord> windows, List<StreamRecord<EmbeddingRecord>> outputs) {
        assertThat(outputs).hasSameSizeAs(windows);
        try (ModelBundle bundle = ModelBundle.load(FIXTURE_BUNDLE, 1)) {
            EmbeddingBatch direct =
                    new EmbeddingBatch(windows.size(), 1000, bundle.encoder().embeddingDim());
            windows.forEach(direct::add);
            List<EmbeddingRecord> expected = direct.embed(bundle.encoder());
            for (int i = 0; i < windows.size(); i++) {
                float[] got = outputs.get(i).getValue().embedding;
                assertThat(got).hasSize(32);
                for (int k = 0; k < got.length; k++) {
                    assertThat(got[k]).isCloseTo(expected.get(i).embedding[k], within(1e-6f));
                }
            }
        }
    }

    @Test
    void flushesAPartialBatchWhenItsDeadlinePasses() throws Exception {
        open(64);
        harness.setProcessingTime(0);
        harness.processElement(window("a", 1), 10L);
        harness.processElement(window("b", 2), 11L);
        harness.setProcessingTime(MAX_DELAY_MILLIS - 1);
        assertThat(outputs()).isEmpty();
        harness.setProcessingTime(MAX_DELAY_MILLIS);
        assertThat(outputs()).extracting(StreamRecord::getTimestamp).containsExactly(10L, 11L);
    }

    @Test
    void ignoresTheDeadlineOfABatchAlreadyFlushedBySize() throws Exception {
        open(2);
        harness.setProcessingTime(0);
        harness.processElement(window("a", 1), 1L);
        harness.processElement(window("b", 2), 2L);
        assertThat(outputs()).hasSize(2);
        harness.setProcessingTime(50);
        harness.processElement(window("c", 3), 3L);
        harness.setProcessingTime(MAX_DELAY_MILLIS);
        assertThat(outputs()).hasSize(2);
        harness.setProcessingTime(50 + MAX_DELAY_MILLIS);
        assertThat(outputs()).hasSize(3);
    }

    @Test
    void flushesBeforeForwardingAWatermark() throws Exception {
        open(64);
        harness.processElement(window("a", 1), 20L);
        harness.processElement(window("b", 2), 21L);
        harness.processWatermark(new Watermark(30L));
        assertOutputIs(harness.getOutput(), 20L, 21L, new Watermark(30L));
    }

    @Test
    void flushesBeforeForwardingAnIdleStatusAndForwardsAnActiveOneAsItIs() throws Exception {
        open(64);
        harness.processElement(window("a", 1), 20L);
        harness.processElement(window("b", 2), 21L);
        harness.processWatermarkStatus(WatermarkStatus.IDLE);
        assertOutputIs(harness.getOutput(), 20L, 21L, WatermarkStatus.IDLE);
        harness.processWatermarkStatus(WatermarkStatus.ACTIVE);
        harness.processElement(window("c", 3), 22L);
        assertOutputIs(harness.getOutput(), 20L, 21L, WatermarkStatus.IDLE, WatermarkStatus.ACTIVE);
    }

    /**
     * Asserts a harness's whole output in order: a {@code Long} stands for a record with that
     * timestamp, anything else (a watermark, a status) for an element equal to it.
     */
    static void assertOutputIs(java.util.Collection<Object> output, Object... expected) {
        List<Object> all = new ArrayList<>(output);
        assertThat(all).hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] instanceof Long ts) {
                assertThat(all.get(i)).as("element %d", i).isInstanceOf(StreamRecord.class);
                assertThat(((StreamRecord<?>) all.get(i)).getTimestamp()).isEqualTo(ts);
            } else {
                assertThat(all.get(i)).as("element %d", i).isEqualTo(expected[i]);
            }
        }
    }

    @Test
    void flushesBeforeTheCheckpointBarrierSoNothingBufferedEscapesACheckpoint() throws Exception {
        open(64);
        harness.processElement(window("a", 1), 40L);
        harness.processElement(window("b", 2), 41L);
        harness.prepareSnapshotPreBarrier(1L);
        assertThat(outputs()).extracting(StreamRecord::getTimestamp).containsExactly(40L, 41L);
        var snapshot = harness.snapshot(1L, 42L);
        // The buffer is empty at every barrier, so the operator checkpoints no state at all.
        assertThat(snapshot.getManagedOperatorState()).isEmpty();
        assertThat(snapshot.getManagedKeyedState()).isEmpty();
    }

    @Test
    void refusesABundleWhoseEncoderIsNotTheOneTheJobWasBuiltWith() {
        String built = "0".repeat(64);
        assertThatThrownBy(() -> open(4, built))
                .isInstanceOf(BundleException.class)
                .hasMessageContaining(built)
                .hasMessageContaining("resubmit the job");
    }

    @Test
    void flushesWhatIsLeftAtTheEndOfInput() throws Exception {
        open(64);
        harness.processElement(window("a", 1), 7L);
        harness.endInput();
        assertThat(outputs()).hasSize(1);
    }

    private void open(int batchSize) throws Exception {
        open(batchSize, fixtureEncoderSha256());
    }

    private void open(int batchSize, String encoderSha256) throws Exception {
        harness =
                new OneInputStreamOperatorTestHarness<>(
                        new MicroBatchEmbedOperator(
                                FIXTURE_BUNDLE.toUri().toString(),
                                encoderSha256,
                                batchSize,
                                MAX_DELAY_MILLIS,
                                1));
        harness.open();
    }

    static String fixtureEncoderSha256() throws Exception {
        return BundleManifest.parse(
                        Files.readAllBytes(FIXTURE_BUNDLE.resolve(BundleManifest.FILE_NAME)))
                .encoder()
                .sha256();
    }

    private List<StreamRecord<EmbeddingRecord>> outputs() {
        return outputs(harness);
    }

    /** The records among a harness's outputs (watermarks left out). */
    @SuppressWarnings("unchecked")
    static List<StreamRecord<EmbeddingRecord>> outputs(
            OneInputStreamOperatorTestHarness<WindowRecord, EmbeddingRecord> harness) {
        List<StreamRecord<EmbeddingRecord>> result = new ArrayList<>();
        for (Object o : harness.getOutput()) {
            if (o instanceof StreamRecord) {
                result.add((StreamRecord<EmbeddingRecord>) o);
            }
        }
        return result;
    }

    static WindowRecord window(String device, int seed) {
        Random random = new Random(seed);
        float[] samples = new float[1000];
        for (int i = 0; i < samples.length; i++) {
            samples[i] =
                    (float)
                            (Math.sin(2 * Math.PI * (1 + seed * 0.3) * i / 100.0)
                                    + 0.1 * random.nextGaussian());
        }
        return new WindowRecord(
                device, seed * 5_000_000L, seed * 5_000_000L + 10_000_000L, samples, 0f, 0L, 0L);
    }

    static WindowRecord copy(WindowRecord w) {
        return new WindowRecord(
                w.deviceId,
                w.windowStartMicros,
                w.windowEndMicros,
                w.samples.clone(),
                w.missingFraction,
                w.newestAppendTimeMillis,
                w.recordingStartMicros);
    }
}
