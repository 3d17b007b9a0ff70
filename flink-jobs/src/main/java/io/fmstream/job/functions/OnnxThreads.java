package io.fmstream.job.functions;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;

/**
 * Size of the TaskManager-wide ONNX Runtime thread pool. Every operator that may be the first to
 * load a model asks here, so the pool gets the same size whichever operator opens first.
 */
final class OnnxThreads {

    private OnnxThreads() {}

    /** The configured count, or (0) the TaskManager's cores divided by its task slots. */
    static int resolve(int configured, Configuration taskManagerConfiguration) {
        if (configured > 0) {
            return configured;
        }
        int slots = taskManagerConfiguration.get(TaskManagerOptions.NUM_TASK_SLOTS);
        return Math.max(1, Runtime.getRuntime().availableProcessors() / Math.max(1, slots));
    }

    /** {@link #resolve} with the configuration of the TaskManager running {@code operator}. */
    static int resolve(int configured, AbstractStreamOperator<?> operator) {
        return resolve(
                configured,
                operator.getContainingTask()
                        .getEnvironment()
                        .getTaskManagerInfo()
                        .getConfiguration());
    }
}
