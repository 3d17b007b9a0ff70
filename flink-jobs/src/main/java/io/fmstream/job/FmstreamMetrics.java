package io.fmstream.job;

/**
 * Names of every metric the job registers, in one place. Operators register them in {@code open()}
 * on their operator metric group; Flink's Prometheus reporter exports them as {@code
 * flink_taskmanager_job_task_operator_<name>}, and those with a {@code reason} or {@code trigger}
 * label as {@code flink_taskmanager_job_task_operator_<label>_<name>{<label>="..."}} (the sinks'
 * latency, registered in the writer's user group, as {@code ..._operator_user_<name>}).
 *
 * <p>{@link #CATALOGUE} describes each one; the README's metrics table is generated from it.
 */
public final class FmstreamMetrics {
    public static final String RECORDS_IN = "fmstream_records_in";
    public static final String CHUNKS_VALID = "fmstream_chunks_valid";
    public static final String DEAD_LETTERS = "fmstream_dead_letters";
    public static final String CHUNKS_DUPLICATE = "fmstream_chunks_duplicate";
    public static final String WINDOWS_EMITTED = "fmstream_windows_emitted";
    public static final String WINDOWS_DROPPED = "fmstream_windows_dropped";
    public static final String SEGMENTS_STARTED = "fmstream_segments_started";
    public static final String BATCH_SIZE = "fmstream_batch_size";
    public static final String BATCHES = "fmstream_batches";
    public static final String INFERENCE_MICROS = "fmstream_inference_micros";
    public static final String EMBEDDINGS = "fmstream_embeddings";
    public static final String PREDICTIONS = "fmstream_predictions";
    public static final String RECORDING_PREDICTIONS = "fmstream_recording_predictions";
    public static final String WRITTEN_LATENCY_MILLIS = "fmstream_written_latency_millis";

    /** Label keys. */
    public static final String REASON = "reason";

    public static final String TRIGGER = "trigger";

    public static final String CAUSE = "cause";

    /** One exported metric, as documented. */
    public record Metric(String name, String type, String where, String meaning) {}

    /** Every metric above with its type, operator and meaning, in the order of the README table. */
    public static final java.util.List<Metric> CATALOGUE =
            java.util.List.of(
                    new Metric(
                            RECORDS_IN,
                            "counter",
                            "decode-validate",
                            "sensor records read, before validation"),
                    new Metric(
                            CHUNKS_VALID,
                            "counter",
                            "decode-validate",
                            "chunks that passed validation"),
                    new Metric(
                            DEAD_LETTERS,
                            "counter, label `reason`",
                            "decode-validate, window-assembler",
                            "records sent to the dead-letter topic"),
                    new Metric(
                            CHUNKS_DUPLICATE,
                            "counter",
                            "window-assembler",
                            "exact resends dropped"),
                    new Metric(
                            WINDOWS_EMITTED,
                            "counter",
                            "window-assembler",
                            "windows sent to the encoder"),
                    new Metric(
                            WINDOWS_DROPPED,
                            "counter, label `reason` (`INCOMPLETE`, `SEGMENT_OVERLAP`)",
                            "window-assembler",
                            "windows not embedded: too much missing, or at or before a window the"
                                    + " device already closed (after a backward clock jump)"),
                    new Metric(
                            SEGMENTS_STARTED,
                            "counter, label `cause` (`REBOOT`, `RATE_CHANGE`, `CLOCK_JUMP`,"
                                    + " `LONG_GAP`, `NEW_RECORDING`)",
                            "window-assembler",
                            "new stream segments of a device: its open windows closed, the stream"
                                    + " re-anchored"),
                    new Metric(BATCH_SIZE, "histogram", "embed", "windows per encoder call"),
                    new Metric(
                            BATCHES,
                            "counter, label `trigger` (`size`, `deadline`, `watermark`,"
                                    + " `checkpoint`, `end_of_input`)",
                            "embed",
                            "why each batch was flushed"),
                    new Metric(
                            INFERENCE_MICROS,
                            "histogram",
                            "embed",
                            "encoder time per batch, microseconds"),
                    new Metric(EMBEDDINGS, "counter", "embed", "embeddings produced"),
                    new Metric(PREDICTIONS, "counter", "each head", "predictions produced"),
                    new Metric(
                            RECORDING_PREDICTIONS,
                            "counter",
                            "recording-predictions",
                            "recording-level predictions (one per task per recording closed by its"
                                    + " end-of-recording chunk)"),
                    new Metric(
                            WRITTEN_LATENCY_MILLIS,
                            "histogram",
                            "each sink",
                            "send time minus the Kafka append time of the newest chunk in the"
                                    + " window, ms"));

    /** Samples kept by each histogram's sliding window. */
    public static final int HISTOGRAM_WINDOW = 2048;

    private FmstreamMetrics() {}
}
