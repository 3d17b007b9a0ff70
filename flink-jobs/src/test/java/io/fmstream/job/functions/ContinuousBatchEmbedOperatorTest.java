package io.fmstream.job.functions;

import static io.fmstream.job.functions.MicroBatchEmbedOperatorTest.FIXTURE_BUNDLE;
import static io.fmstream.job.functions.MicroBatchEmbedOperatorTest.assertEqualToOneDirectCall;
import static io.fmstream.job.functions.MicroBatchEmbedOperatorTest.assertOutputIs;
import static io.fmstream.job.functions.MicroBatchEmbedOperatorTest.copy;
import static io.fmstream.job.functions.MicroBatchEmbedOperatorTest.fixtureEncoderSha256;
import static io.fmstream.job.functions.MicroBatchEmbedOperatorTest.window;
import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.core.records.EmbeddingRecord;
import io.fmstream.core.records.WindowRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.mailbox.Mail;
import org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailbox;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The continuous policy, against the real fixture encoder in its own thread. The test thread is the
 * task thread: an encoder call counts as in flight until the test runs the mail that hands its
 * embeddings back, so what arrives before that is deterministically "while the encoder works".
 */
class ContinuousBatchEmbedOperatorTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private OneInputStreamOperatorTestHarness<WindowRecord, EmbeddingRecord> harness;

    @AfterEach
    void tearDown() throws Exception {
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    void aWindowThatFindsTheEncoderIdleIsEncodedAtOnceWithNoDeadline() throws Exception {
        open(64);
        harness.setProcessingTime(0);
        harness.processElement(window("a", 1), 10L);
        // No processing time passes: only the call's own mail is needed.
        runMailsUntil(() -> outputs().size() == 1);
        assertThat(outputs().get(0).getValue().deviceId).isEqualTo("a");
        assertThat(outputs().get(0).getTimestamp()).isEqualTo(10L);
    }

    @Test
    void windowsThatComeWhileTheEncoderWorksFormTheNextBatchInArrivalOrder() throws Exception {
        open(64);
        harness.processElement(window("a", 1), 1L);
        harness.processElement(window("b", 2), 2L);
        harness.processElement(window("c", 3), 3L);
        harness.processElement(window("d", 4), 4L);
        assertThat(outputs()).isEmpty();
        // One mail per encoder call: "a" alone, then b, c and d together.
        assertThat(runMailsUntil(() -> outputs().size() == 4)).isEqualTo(2);
        assertThat(outputs())
                .extracting(r -> r.getValue().deviceId)
                .containsExactly("a", "b", "c", "d");
        assertThat(outputs())
                .extracting(StreamRecord::getTimestamp)
                .containsExactly(1L, 2L, 3L, 4L);
        assertThat(mailsLeft()).isZero();
    }

    @Test
    void aFullBatchWaitsForTheEncoderBeforeTheNextWindowIsRead() throws Exception {
        open(2);
        harness.processElement(window("a", 1), 1L); // encoded at once, alone
        harness.processElement(window("b", 2), 2L);
        assertThat(outputs()).isEmpty();
        // c fills the next batch: the task thread waits until "a" is out and {b, c} is taken.
        harness.processElement(window("c", 3), 3L);
        assertThat(outputs()).extracting(r -> r.getValue().deviceId).containsExactly("a");
        harness.processElement(window("d", 4), 4L);
        assertThat(runMailsUntil(() -> outputs().size() == 4))
                .as("calls {b, c} and {d}")
                .isEqualTo(2);
        assertThat(outputs())
                .extracting(r -> r.getValue().deviceId)
                .containsExactly("a", "b", "c", "d");
    }

    @Test
    void embeddingsEqualTheEncoderRunOnTheSameWindowsDirectly() throws Exception {
        open(3);
        List<WindowRecord> windows = List.of(window("a", 1), window("b", 2), window("c", 3));
        for (WindowRecord w : windows) {
            harness.processElement(copy(w), 5L);
        }
        // "a" alone, then b and c together: each compared with one direct call over the same.
        runMailsUntil(() -> outputs().size() == 3);
        assertEqualToOneDirectCall(windows.subList(0, 1), outputs().subList(0, 1));
        assertEqualToOneDirectCall(windows.subList(1, 3), outputs().subList(1, 3));
    }

    @Test
    void aWatermarkFollowsTheEmbeddingsOfEveryWindowThatCameBeforeIt() throws Exception {
        open(64);
        harness.processElement(window("a", 1), 20L); // in flight
        harness.processElement(window("b", 2), 21L); // waiting
        harness.processWatermark(new Watermark(30L));
        harness.processElement(window("c", 3), 31L); // after the watermark
        assertThat(harness.getOutput()).isEmpty();
        runMailsUntil(() -> outputs().size() == 3);
        MicroBatchEmbedOperatorTest.assertOutputIs(
                harness.getOutput(), 20L, 21L, new Watermark(30L), 31L);
    }

    @Test
    void aWatermarkBehindOnlyTheCallInFlightFollowsItAndAnIdleEncoderForwardsItAtOnce()
            throws Exception {
        open(64);
        harness.processWatermark(new Watermark(5L));
        assertThat(new ArrayList<>(harness.getOutput())).containsExactly(new Watermark(5L));
        harness.processElement(window("a", 1), 20L);
        harness.processWatermark(new Watermark(25L));
        harness.processWatermark(new Watermark(30L));
        runMailsUntil(() -> harness.getOutput().size() == 3);
        // Only the newest of the watermarks held behind one call is needed downstream.
        MicroBatchEmbedOperatorTest.assertOutputIs(
                harness.getOutput(), new Watermark(5L), 20L, new Watermark(30L));
    }

    @Test
    void aWatermarkThatComesAfterTheCallEndedButBeforeItsEmbeddingsLeftStillFollowsThem()
            throws Exception {
        open(64);
        harness.processElement(window("a", 1), 20L);
        // The encoder thread has finished "a" (its batch is empty again) and posted the mail that
        // hands the embedding back; the task thread has not run it yet.
        awaitMail();
        harness.processWatermark(new Watermark(21L));
        harness.processElement(window("b", 2), 22L);
        runMailsUntil(() -> harness.getOutput().size() == 3);
        assertOutputIs(harness.getOutput(), 20L, new Watermark(21L), 22L);
    }

    @Test
    void anIdleStatusWaitsUntilTheWindowsAndTheWatermarkThatCameBeforeItAreOut() throws Exception {
        open(64);
        harness.processElement(window("a", 1), 20L); // in flight
        harness.processElement(window("b", 2), 21L); // waiting
        harness.processWatermark(new Watermark(22L)); // held behind b
        // Flink's output drops a watermark emitted after an idle status, so it must go first.
        harness.processWatermarkStatus(WatermarkStatus.IDLE);
        assertOutputIs(harness.getOutput(), 20L, 21L, new Watermark(22L), WatermarkStatus.IDLE);
        assertThat(mailsLeft()).isZero();

        // Active again: forwarded at once, and windows are encoded as before.
        harness.processWatermarkStatus(WatermarkStatus.ACTIVE);
        harness.processElement(window("c", 3), 23L);
        runMailsUntil(() -> outputs().size() == 3);
        assertOutputIs(
                harness.getOutput(),
                20L,
                21L,
                new Watermark(22L),
                WatermarkStatus.IDLE,
                WatermarkStatus.ACTIVE,
                23L);
    }

    @Test
    void emitsEverythingHeldBeforeTheCheckpointBarrierSoNothingEscapesACheckpoint()
            throws Exception {
        open(64);
        harness.processElement(window("a", 1), 40L); // in flight
        harness.processElement(window("b", 2), 41L);
        harness.processElement(window("c", 3), 42L);
        harness.processWatermark(new Watermark(43L));
        harness.prepareSnapshotPreBarrier(1L);
        MicroBatchEmbedOperatorTest.assertOutputIs(
                harness.getOutput(), 40L, 41L, 42L, new Watermark(43L));
        var snapshot = harness.snapshot(1L, 44L);
        assertThat(snapshot.getManagedOperatorState()).isEmpty();
        assertThat(snapshot.getManagedKeyedState()).isEmpty();
        assertThat(mailsLeft()).isZero();
    }

    @Test
    void emitsWhatIsLeftAtTheEndOfInput() throws Exception {
        open(64);
        harness.processElement(window("a", 1), 7L);
        harness.processElement(window("b", 2), 8L);
        harness.endInput();
        assertThat(outputs()).extracting(StreamRecord::getTimestamp).containsExactly(7L, 8L);
    }

    @Test
    void closingWhileACallIsInFlightDropsItsEmbeddingsWithoutFailing() throws Exception {
        open(64);
        harness.processElement(window("a", 1), 7L);
        harness.close();
        harness = null;
    }

    private void open(int batchSize) throws Exception {
        harness =
                new OneInputStreamOperatorTestHarness<>(
                        new ContinuousBatchEmbedOperator(
                                FIXTURE_BUNDLE.toUri().toString(),
                                fixtureEncoderSha256(),
                                batchSize,
                                1));
        harness.open();
    }

    /**
     * Runs the task's mails, as its mailbox loop would, until {@code done} or the wait ends;
     * returns how many ran (one per encoder call).
     */
    private int runMailsUntil(BooleanSupplier done) throws Exception {
        long end = System.nanoTime() + WAIT.toNanos();
        TaskMailbox mailbox = harness.getTaskMailbox();
        int ran = 0;
        while (!done.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waited %s for the encoder", WAIT).isLessThan(end);
            Optional<Mail> mail = mailbox.tryTake(TaskMailbox.MIN_PRIORITY);
            if (mail.isPresent()) {
                mail.get().run();
                ran++;
            } else {
                Thread.sleep(1);
            }
        }
        return ran;
    }

    /** Waits, running nothing, until the encoder thread has posted a mail (its call ended). */
    private void awaitMail() throws InterruptedException {
        long end = System.nanoTime() + WAIT.toNanos();
        while (mailsLeft() == 0) {
            assertThat(System.nanoTime()).as("waited %s for the encoder", WAIT).isLessThan(end);
            Thread.sleep(1);
        }
    }

    private int mailsLeft() {
        return harness.getTaskMailbox().size();
    }

    private List<StreamRecord<EmbeddingRecord>> outputs() {
        return MicroBatchEmbedOperatorTest.outputs(harness);
    }
}
