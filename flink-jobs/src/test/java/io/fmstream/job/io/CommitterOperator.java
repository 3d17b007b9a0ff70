package io.fmstream.job.io;

/**
 * Stands in on the call stack for Flink's {@code CommitterOperator} (same simple name, same method
 * names), which re-commits a restored checkpoint from {@code initializeState} and later checkpoints
 * from {@code notifyCheckpointComplete}: what {@link
 * CommitOutcomeCommitter#recommittingRestoredCheckpoint()} tells apart.
 */
final class CommitterOperator {
    boolean initializeState() {
        return CommitOutcomeCommitter.recommittingRestoredCheckpoint();
    }

    boolean notifyCheckpointComplete() {
        return CommitOutcomeCommitter.recommittingRestoredCheckpoint();
    }
}
