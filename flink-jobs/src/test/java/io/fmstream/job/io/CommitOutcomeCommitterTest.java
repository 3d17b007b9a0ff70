package io.fmstream.job.io;

import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.metrics.FmstreamMetrics;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.metrics.Counter;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnknownProducerIdException;
import org.junit.jupiter.api.Test;

class CommitOutcomeCommitterTest {

    /** Counters by their full name: labels in order, then the metric's name. */
    private final Map<String, Counter> counters = new HashMap<>();

    private final AtomicBoolean recovering = new AtomicBoolean();

    /** What reached the original requests, in order. */
    private final List<String> signals = new ArrayList<>();

    private long count(String name) {
        Counter c = counters.get(name);
        return c == null ? 0 : c.getCount();
    }

    /** A connector committer that fails each request as its committable says. */
    private static final class Failing implements Committer<Throwable> {
        @Override
        public void commit(Collection<CommitRequest<Throwable>> requests) {
            for (CommitRequest<Throwable> r : requests) {
                if (r.getCommittable() == null) {
                    r.signalAlreadyCommitted();
                } else if (r.getCommittable() instanceof TimeoutException) {
                    r.retryLater();
                } else if (r.getCommittable() instanceof IllegalStateException) {
                    r.signalFailedWithUnknownReason(r.getCommittable());
                } else {
                    r.signalFailedWithKnownReason(r.getCommittable());
                }
            }
        }

        @Override
        public void close() {}
    }

    private CommitOutcomeCommitter<Throwable> committer() {
        return new CommitOutcomeCommitter<>(
                new Failing(),
                new RecordingMetricGroup(counters, "sink=predictions,"),
                recovering::get);
    }

    private void commit(CommitOutcomeCommitter<Throwable> committer, Throwable... outcomes)
            throws Exception {
        List<RecordedRequest<Throwable>> requests = new ArrayList<>();
        for (Throwable t : outcomes) {
            requests.add(new RecordedRequest<>(t));
        }
        committer.commit(new ArrayList<>(requests));
        requests.forEach(r -> signals.add(r.outcome));
    }

    private static final String LOST =
            "sink=predictions,reason=%s," + FmstreamMetrics.SINK_COMMITS_LOST;
    private static final String FENCED_IN_RECOVERY =
            "sink=predictions," + FmstreamMetrics.SINK_COMMITS_FENCED_IN_RECOVERY;

    @Test
    void aFenceWhileRecommittingARestoredCheckpointLosesNothingAndIsCountedApart()
            throws Exception {
        CommitOutcomeCommitter<Throwable> committer = committer();
        recovering.set(true);
        commit(
                committer,
                new ProducerFencedException("reused id"),
                new ProducerFencedException("x"));

        assertThat(count(FENCED_IN_RECOVERY)).isEqualTo(2);
        for (String reason : List.of("fenced", "aborted", "unknown_producer", "other")) {
            assertThat(counters).containsKey(LOST.formatted(reason));
            assertThat(count(LOST.formatted(reason))).as(reason).isZero();
        }
        assertThat(signals)
                .containsExactly(
                        "failed: ProducerFencedException", "failed: ProducerFencedException");
    }

    @Test
    void everyOtherGiveUpIsCountedLostByReasonAndStillReachesFlink() throws Exception {
        CommitOutcomeCommitter<Throwable> committer = committer();
        commit(
                committer,
                new ProducerFencedException("another job's producer"),
                new InvalidTxnStateException("aborted at the transaction timeout"),
                new InvalidTxnStateException("aborted at the timeout, again"),
                new UnknownProducerIdException("gone"),
                new RuntimeException("known, other"));
        recovering.set(true);
        // In recovery too, only a fence is the routine re-commit of a reused id.
        commit(committer, new InvalidTxnStateException("aborted while the job was down"));

        assertThat(count(LOST.formatted("fenced"))).isEqualTo(1);
        assertThat(count(LOST.formatted("aborted"))).isEqualTo(3);
        assertThat(count(LOST.formatted("unknown_producer"))).isEqualTo(1);
        assertThat(count(LOST.formatted("other"))).isEqualTo(1);
        assertThat(count(FENCED_IN_RECOVERY)).isZero();
        assertThat(signals)
                .containsExactly(
                        "failed: ProducerFencedException",
                        "failed: InvalidTxnStateException",
                        "failed: InvalidTxnStateException",
                        "failed: UnknownProducerIdException",
                        "failed: RuntimeException",
                        "failed: InvalidTxnStateException");
    }

    @Test
    void successesRetriesAndFailoversAreNotCountedAndPassThrough() throws Exception {
        CommitOutcomeCommitter<Throwable> committer = committer();
        // null: committed; a timeout: retried later; an unknown reason: Flink fails the job over,
        // and the restored checkpoint's re-commit is what gets counted.
        commit(committer, null, new TimeoutException("t"), new IllegalStateException("u"));

        assertThat(counters.values()).allMatch(c -> c.getCount() == 0);
        assertThat(signals)
                .containsExactly(
                        "already committed",
                        "retry",
                        "failed, unknown reason: IllegalStateException");
    }

    @Test
    void everyLostSeriesExistsFromTheStartSoThatItsFirstLossIsAnIncrease() {
        committer();
        assertThat(counters.keySet())
                .containsExactlyInAnyOrder(
                        FENCED_IN_RECOVERY,
                        LOST.formatted("fenced"),
                        LOST.formatted("aborted"),
                        LOST.formatted("unknown_producer"),
                        LOST.formatted("other"));
    }

    @Test
    void recoveryIsACommitFromTheCommitterOperatorsInitializeState() {
        assertThat(CommitOutcomeCommitter.recommittingRestoredCheckpoint()).isFalse();
        assertThat(new CommitterOperator().initializeState()).isTrue();
        assertThat(new CommitterOperator().notifyCheckpointComplete()).isFalse();
    }
}
