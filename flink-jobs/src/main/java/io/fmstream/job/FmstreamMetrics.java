package io.fmstream.job;

/**
 * Names of every metric the job registers, in one place. Operators register them in {@code open()}
 * on their operator metric group; Flink's Prometheus reporter exports them as {@code
 * flink_taskmanager_job_task_operator_<name>}, and those with a {@code reason} or {@code trigger}
 * label as {@code flink_taskmanager_job_task_operator_<label>_<name>{<label>="..."}} (the sinks'
 * latency, registered in the writer's user group, as {@code ..._operator_user_<name>}).
 *
 * <ul>
 *   <li>{@code fmstream_records_in} (counter): sensor records read, before validation.
 *   <li>{@code fmstream_chunks_valid} (counter): chunks that passed validation.
 *   <li>{@code fmstream_dead_letters} (counter, label {@code reason}): records sent to the dead-letter topic.
 *   <li>{@code fmstream_chunks_duplicate} (counter): exact resends dropped.
 *   <li>{@code fmstream_windows_emitted} (counter): windows sent to the encoder.
 *   <li>{@code fmstream_windows_dropped} (counter, label {@code reason}=INCOMPLETE): windows not embedded.
 *   <li>{@code fmstream_batch_size} (histogram): windows per encoder call.
 *   <li>{@code fmstream_batches} (counter, label {@code trigger}=size|deadline|watermark|checkpoint|end_of_input).
 *   <li>{@code fmstream_inference_micros} (histogram): encoder call time per batch.
 *   <li>{@code fmstream_embeddings} (counter): embeddings produced.
 *   <li>{@code fmstream_predictions} (counter, per head operator): predictions produced.
 *   <li>{@code fmstream_written_latency_millis} (histogram, per sink): sink send time minus the Kafka append
 *       time of the newest chunk in the window.
 * </ul>
 */
public final class FmstreamMetrics {
    public static final String RECORDS_IN = "fmstream_records_in";
    public static final String CHUNKS_VALID = "fmstream_chunks_valid";
    public static final String DEAD_LETTERS = "fmstream_dead_letters";
    public static final String CHUNKS_DUPLICATE = "fmstream_chunks_duplicate";
    public static final String WINDOWS_EMITTED = "fmstream_windows_emitted";
    public static final String WINDOWS_DROPPED = "fmstream_windows_dropped";
    public static final String BATCH_SIZE = "fmstream_batch_size";
    public static final String BATCHES = "fmstream_batches";
    public static final String INFERENCE_MICROS = "fmstream_inference_micros";
    public static final String EMBEDDINGS = "fmstream_embeddings";
    public static final String PREDICTIONS = "fmstream_predictions";
    public static final String WRITTEN_LATENCY_MILLIS = "fmstream_written_latency_millis";

    /** Label keys. */
    public static final String REASON = "reason";
    public static final String TRIGGER = "trigger";

    /** Samples kept by each histogram's sliding window. */
    public static final int HISTOGRAM_WINDOW = 2048;

    private FmstreamMetrics() {}
}
