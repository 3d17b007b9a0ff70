package io.fmstream.job.functions;

import io.fmstream.core.batch.EmbeddingBatch;
import io.fmstream.core.records.WindowRecord;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Embeds windows from many devices with one encoder call per batch, where a batch is whatever
 * arrived while the encoder was busy ({@code fmstream.batch.policy=CONTINUOUS}).
 *
 * <p><b>Why.</b> A deadline policy makes a window wait for company whatever the load: with the
 * windows spread over the hop (per-device phase) a quiet fleet pays the deadline on every window,
 * and a busy one gets no larger batches for it, since a full batch goes at once anyway. Here the
 * encoder runs in a thread of its own and never waits: a window that finds it idle is encoded at
 * once, alone; windows that come while it works form the next batch, which starts the moment the
 * call before it ends. A quiet fleet gets small batches and no wait; a busy one gets full batches
 * and the encoder's best throughput, with no setting to tune between the two. While the encoder
 * works, the task thread goes on reading and normalising the next windows. Small batches cost more
 * CPU per window (a call's fixed cost), which a fleet below capacity has to spare. The default
 * since 643013b, with the per-device phase: on the epoch grid (the 0.1 default) the fleet's windows
 * come as one burst per hop, which fills the batches under either policy, and there it held the
 * edge fleet less often than the deadline policy (the README, "Real-time capacity").
 *
 * <p><b>Order and checkpoints.</b> Only the task thread touches the operator's fields and its
 * output: the encoder thread is handed a batch and hands its embeddings back as a mail to the
 * task's mailbox (at this operator's priority, so the heads' own mails, chained behind it, still
 * come after the whole batch and score it in one call). Embeddings leave in the order their windows
 * came, each with its window's timestamp. A watermark waits behind the windows that came before it,
 * then follows their embeddings, so no window falls behind a watermark it preceded; an idle status
 * waits until everything before it is out. Before a checkpoint barrier ({@link
 * #prepareSnapshotPreBarrier}) and at the end of input the task thread waits for the encoder and
 * emits everything it holds, so the buffers are empty at every barrier and the operator has no
 * state. A failing encoder call fails the task, as it would in the task thread.
 */
public class ContinuousBatchEmbedOperator extends AbstractEmbedOperator {
    private static final long serialVersionUID = 1L;

    private static final Logger LOG = LoggerFactory.getLogger(ContinuousBatchEmbedOperator.class);

    /** Longest {@link #close} waits for an encoder call in progress before it frees the model. */
    private static final long CLOSE_WAIT_SECONDS = 60;

    /**
     * A batch with its windows' timestamps and the newest watermark that came among its windows,
     * which goes out after the embeddings of the windows that came before it.
     */
    private static final class Slot {
        final EmbeddingBatch batch;
        final long[] timestamps;

        /** Each window's arrival, {@link System#nanoTime}. */
        final long[] arrivals;

        Watermark watermark;

        /** How many of the batch's windows came before {@link #watermark}. */
        int watermarkPosition;

        Trigger trigger;

        /**
         * How many windows the batch held when it went to the encoder thread. The task thread reads
         * this, never {@code batch.size()}, once the slot is in flight: the encoder empties the
         * batch as it finishes, so a watermark placed by the batch's size could go out before the
         * embeddings it follows.
         */
        int sent;

        Slot(EmbeddingBatch batch, int size) {
            this.batch = batch;
            this.timestamps = new long[size];
            this.arrivals = new long[size];
        }
    }

    private transient ExecutorService encoderThread;
    private transient MailboxExecutor mailbox;

    /** Where arriving windows go; never full between calls, empty whenever nothing is in flight. */
    private transient Slot filling;

    /** The batch the encoder thread is working on, or null. */
    private transient Slot inFlight;

    /** The slot neither filling nor in flight, or null while one is in flight. */
    private transient Slot spare;

    /** The trigger {@link #emitHeld} gives the batches it starts, or null outside it. */
    private transient Trigger draining;

    /**
     * @param encoderSha256 the encoder the job was built with (its manifest at submission); checked
     *     at open
     */
    public ContinuousBatchEmbedOperator(
            String bundleUri, String encoderSha256, int batchSize, int configuredThreads) {
        super(bundleUri, encoderSha256, batchSize, configuredThreads);
    }

    @Override
    public void open() throws Exception {
        super.open();
        filling = new Slot(newBatch(), batchSize);
        spare = new Slot(newBatch(), batchSize);
        // The operator's own priority (its index in the chain), as Flink gives its async operators:
        // a wait below yields only to mails of this operator and those chained after it, never to
        // the task's own actions (checkpoint triggers) in the middle of a checkpoint.
        mailbox =
                getContainingTask()
                        .getMailboxExecutorFactory()
                        .createExecutor(getOperatorConfig().getChainIndex());
        String name =
                "fmstream-encoder " + getRuntimeContext().getTaskInfo().getTaskNameWithSubtasks();
        encoderThread =
                Executors.newSingleThreadExecutor(
                        r -> {
                            Thread t = new Thread(r, name);
                            t.setDaemon(true);
                            return t;
                        });
    }

    @Override
    public void processElement(StreamRecord<WindowRecord> element) throws Exception {
        Slot slot = filling;
        slot.timestamps[slot.batch.size()] = timestampOf(element);
        slot.arrivals[slot.batch.size()] = System.nanoTime();
        boolean full = slot.batch.add(element.getValue());
        if (inFlight == null) {
            start(full ? Trigger.SIZE : Trigger.ENCODER_FREE);
        } else if (full) {
            // Back-pressure: no window is read until the encoder has taken this batch, which it
            // does as soon as its current call ends (see complete).
            awaitCall(inFlight);
        }
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        // An older watermark held in the same batch is dropped: the newer one covers it.
        if (!filling.batch.isEmpty()) {
            filling.watermark = mark;
            filling.watermarkPosition = filling.batch.size();
        } else if (inFlight != null) {
            inFlight.watermark = mark;
            inFlight.watermarkPosition = inFlight.sent;
        } else {
            super.processWatermark(mark);
        }
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        if (inFlight != null || !filling.batch.isEmpty()) {
            // Records emitted now would follow the barrier: fail the checkpoint, lose nothing.
            throw new IllegalStateException("encoder: windows still buffered at the barrier");
        }
        super.snapshotState(context);
    }

    @Override
    public void finish() throws Exception {
        emitHeld(Trigger.END_OF_INPUT);
        super.finish();
    }

    /** Hands the filling batch to the encoder thread. Only when nothing is in flight. */
    private void start(Trigger trigger) {
        Slot slot = filling;
        slot.sent = slot.batch.size();
        slot.trigger = slot.sent == batchSize ? Trigger.SIZE : trigger;
        inFlight = slot;
        filling = spare;
        spare = null;
        encoderThread.execute(
                () -> {
                    Encoded encoded;
                    try {
                        encoded = encode(slot.batch);
                    } catch (Throwable failure) {
                        post(
                                () -> {
                                    throw new IllegalStateException(
                                            "encoder call over " + slot.sent + " window(s) failed",
                                            failure);
                                });
                        return;
                    }
                    post(() -> complete(slot, encoded));
                });
    }

    /** Runs {@code action} in the task thread, unless the task has already shut its mailbox. */
    private void post(org.apache.flink.util.function.ThrowingRunnable<Exception> action) {
        try {
            mailbox.execute(action, "encoder: emit a batch's embeddings");
        } catch (RejectedExecutionException closing) {
            // The task is ending (cancelled or failed): what the call produced is not needed; the
            // windows will be read again from the last checkpoint.
            LOG.debug("Encoder call ended after the task's mailbox closed", closing);
        }
    }

    /** In the task thread: emits a finished call, then starts the next batch if one has formed. */
    private void complete(Slot slot, Encoded encoded) throws Exception {
        count(encoded, slot.trigger, slot.arrivals);
        int n = encoded.embeddings.size();
        Watermark mark = slot.watermark;
        if (mark == null) {
            emit(encoded, slot.timestamps, 0, n);
        } else {
            emit(encoded, slot.timestamps, 0, slot.watermarkPosition);
            super.processWatermark(mark);
            emit(encoded, slot.timestamps, slot.watermarkPosition, n);
            slot.watermark = null;
        }
        inFlight = null;
        spare = slot;
        if (!filling.batch.isEmpty()) {
            start(draining != null ? draining : Trigger.ENCODER_FREE);
        }
    }

    /** Processes this operator's mails until {@code slot} is no longer in flight. */
    private void awaitCall(Slot slot) throws InterruptedException {
        while (inFlight == slot) {
            mailbox.yield();
        }
    }

    /** Waits for the encoder until everything held is out, with any watermark held behind it. */
    @Override
    protected void emitHeld(Trigger trigger) throws InterruptedException {
        draining = trigger;
        try {
            while (inFlight != null || !filling.batch.isEmpty()) {
                if (inFlight == null) {
                    start(trigger);
                }
                awaitCall(inFlight);
            }
        } finally {
            draining = null;
        }
    }

    @Override
    public void close() throws Exception {
        try {
            if (encoderThread != null) {
                // The model is freed below: let a call in progress end first (ONNX Runtime must
                // not lose its session mid-run). Its embeddings are dropped; see post().
                encoderThread.shutdown();
                if (!encoderThread.awaitTermination(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS)) {
                    // Freeing a session mid-run can crash the JVM; leaking it only costs memory.
                    LOG.warn(
                            "Encoder call still running {} s after close began; leaving its model"
                                    + " open",
                            CLOSE_WAIT_SECONDS);
                    bundle = null;
                }
            }
        } finally {
            super.close();
        }
    }
}
