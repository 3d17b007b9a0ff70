package io.fmstream.job.io;

import io.fmstream.metrics.FmstreamMetrics;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.UnknownProducerIdException;

/**
 * The Kafka sink's committer, unchanged, plus a count of the transactions it gave up on that are
 * really lost ({@link FmstreamMetrics#SINK_COMMITS_LOST}, which {@code FmstreamCommitsLost} pages
 * on), told apart from the one give-up that loses nothing.
 *
 * <p>Why not Flink's own {@code failedCommittables}: it counts every give-up alike, and with pooled
 * transactional ids one of them is routine. When a job restarts, Flink re-commits the committables
 * of the checkpoint it restores ({@code CommitterOperator.initializeState}); a transaction of that
 * checkpoint that the previous attempt had committed already, and whose id the writer then reused
 * for a later transaction, has a newer producer epoch by now, so the re-commit is refused with
 * {@code ProducerFencedException}. The connector logs it as "expected in some cases" as part of a
 * recovery and counts it as failed. Paging on it paged on every restart that happened to reuse an
 * id (seen in {@code AlertFaultsIntegrationTest}: four such re-commits, epoch 21, after an injected
 * restart). Those go to {@link FmstreamMetrics#SINK_COMMITS_FENCED_IN_RECOVERY} instead.
 *
 * <p>Everything else the committer gives up on is counted lost, by reason: a fence outside recovery
 * (another producer with the job's transactional-id prefix took the id: a transaction pre-committed
 * and then aborted that way is refused as fenced, {@code CommitOutcomeAgainstKafkaTest}), a
 * transaction the broker aborted at {@code transaction.timeout.ms} because the checkpoint outlasted
 * it ({@code InvalidTxnStateException}), an unknown producer id, and any other error the connector
 * signals with a known reason. Failures with an unknown reason fail the job, which re-commits them
 * in recovery, so they are counted there, not here.
 *
 * <p>What this cannot tell apart, since the broker refuses both the same way: in recovery, a
 * transaction another producer on the job's prefix aborted before its commit looks like the routine
 * re-commit and is counted fenced in recovery, not lost. Only a second producer on the prefix does
 * that (forbidden; {@code bin/fmstream acls} grants each principal only its own), and while it runs
 * it fences the running job's commits too, which are counted lost and page. A recovery longer than
 * the transaction timeout, where the broker aborts the restored transactions itself, may surface
 * either way; that outage pages on its own ({@code FmstreamJobRestarting}, {@code
 * FmstreamCommitsStalled}), and the fenced-in-recovery count is on the dashboard.
 */
final class CommitOutcomeCommitter<C> implements Committer<C> {

    /** The reasons of {@link FmstreamMetrics#SINK_COMMITS_LOST}. */
    enum LostReason {
        FENCED,
        ABORTED,
        UNKNOWN_PRODUCER,
        OTHER;

        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        static LostReason of(Throwable failure) {
            if (failure instanceof ProducerFencedException) {
                return FENCED;
            }
            if (failure instanceof InvalidTxnStateException) {
                return ABORTED;
            }
            if (failure instanceof UnknownProducerIdException) {
                return UNKNOWN_PRODUCER;
            }
            return OTHER;
        }
    }

    private final Committer<C> committer;
    private final Counter fencedInRecovery;
    private final Map<LostReason, Counter> lost;
    private final BooleanSupplier inRecovery;

    /**
     * @param sinkGroup the committer's metric group, already labelled with the sink
     * @param inRecovery whether the current commit is the re-commit of a restored checkpoint
     */
    CommitOutcomeCommitter(
            Committer<C> committer, MetricGroup sinkGroup, BooleanSupplier inRecovery) {
        this.committer = committer;
        this.inRecovery = inRecovery;
        this.fencedInRecovery = sinkGroup.counter(FmstreamMetrics.SINK_COMMITS_FENCED_IN_RECOVERY);
        // Every reason at 0 from the start, or the alert would miss the loss that creates one.
        this.lost =
                FmstreamMetrics.countersPerConstant(
                        sinkGroup,
                        FmstreamMetrics.SINK_COMMITS_LOST,
                        FmstreamMetrics.REASON,
                        LostReason.class,
                        LostReason::label);
    }

    /**
     * True while Flink re-commits a restored checkpoint's committables, which it does from {@code
     * CommitterOperator.initializeState} before the task processes anything (read in Flink 2.2).
     * Asked only when a commit fails, so walking the stack costs nothing in normal operation.
     * Should a Flink version move that call, this answers false and fences in recovery are counted
     * lost: more pages, never fewer.
     */
    static boolean recommittingRestoredCheckpoint() {
        return StackWalker.getInstance()
                .walk(
                        frames ->
                                frames.anyMatch(
                                        f ->
                                                f.getClassName().endsWith(".CommitterOperator")
                                                        && f.getMethodName()
                                                                .equals("initializeState")));
    }

    @Override
    public void commit(Collection<CommitRequest<C>> requests)
            throws IOException, InterruptedException {
        List<CommitRequest<C>> counted = new ArrayList<>(requests.size());
        for (CommitRequest<C> request : requests) {
            counted.add(new Counted(request));
        }
        committer.commit(counted);
    }

    @Override
    public void close() throws Exception {
        committer.close();
    }

    /** A commit request that counts the committer's give-up before passing it on. */
    private final class Counted implements CommitRequest<C> {
        private final CommitRequest<C> request;

        Counted(CommitRequest<C> request) {
            this.request = request;
        }

        @Override
        public C getCommittable() {
            return request.getCommittable();
        }

        @Override
        public int getNumberOfRetries() {
            return request.getNumberOfRetries();
        }

        @Override
        public void signalFailedWithKnownReason(Throwable t) {
            LostReason reason = LostReason.of(t);
            if (reason == LostReason.FENCED && inRecovery.getAsBoolean()) {
                fencedInRecovery.inc();
            } else {
                lost.get(reason).inc();
            }
            request.signalFailedWithKnownReason(t);
        }

        @Override
        public void signalFailedWithUnknownReason(Throwable t) {
            request.signalFailedWithUnknownReason(t);
        }

        @Override
        public void retryLater() {
            request.retryLater();
        }

        @Override
        public void updateAndRetryLater(C committable) {
            request.updateAndRetryLater(committable);
        }

        @Override
        public void signalAlreadyCommitted() {
            request.signalAlreadyCommitted();
        }

        @Override
        public String toString() {
            return request.toString();
        }
    }
}
