package io.fmstream.job.io;

import org.apache.flink.api.connector.sink2.Committer;

/** A commit request that keeps what the committer signalled about it, as a short phrase. */
final class RecordedRequest<C> implements Committer.CommitRequest<C> {
    private final C committable;

    /** "committed" until the committer signals otherwise. */
    String outcome = "committed";

    RecordedRequest(C committable) {
        this.committable = committable;
    }

    @Override
    public C getCommittable() {
        return committable;
    }

    @Override
    public int getNumberOfRetries() {
        return 0;
    }

    @Override
    public void signalFailedWithKnownReason(Throwable t) {
        outcome = "failed: " + t.getClass().getSimpleName();
    }

    @Override
    public void signalFailedWithUnknownReason(Throwable t) {
        outcome = "failed, unknown reason: " + t.getClass().getSimpleName();
    }

    @Override
    public void retryLater() {
        outcome = "retry";
    }

    @Override
    public void updateAndRetryLater(C committable) {
        outcome = "update";
    }

    @Override
    public void signalAlreadyCommitted() {
        outcome = "already committed";
    }
}
