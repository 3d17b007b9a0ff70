package io.fmstream.metrics;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/**
 * Every metric the job exports, in one place: name, type, labels, where it is registered, help text
 * and, for histograms, unit and bucket bounds. Operators register them in {@code open()} under
 * these names ({@link #histogram} builds the histograms); label values come from Flink key-value
 * groups ({@code group.addGroup(label, value)}). {@link PrometheusReporter} exports them with this
 * help text, counters as Prometheus counters ({@code <name>_total}) and histograms with {@code
 * _bucket}, {@code _sum} and {@code _count}; the README's metrics table is generated from {@link
 * #CATALOGUE}.
 *
 * <p>Label values are bounded: reasons, triggers and causes are enums, tasks and labels come from
 * the bundle manifest, and nothing is labelled per device.
 */
public final class FmstreamMetrics {
    public static final String RECORDS_IN = "fmstream_records_in";
    public static final String CHUNKS_VALID = "fmstream_chunks_valid";
    public static final String DEAD_LETTERS = "fmstream_dead_letters";
    public static final String CHUNKS_DUPLICATE = "fmstream_chunks_duplicate";
    public static final String WINDOWS_EMITTED = "fmstream_windows_emitted";
    public static final String WINDOWS_DROPPED = "fmstream_windows_dropped";
    public static final String SEGMENTS_STARTED = "fmstream_segments_started";
    public static final String CLOCK_SLIPS = "fmstream_clock_slips";
    public static final String BATCH_WINDOWS = "fmstream_batch_windows";
    public static final String BATCHES = "fmstream_batches";
    public static final String INFERENCE_SECONDS = "fmstream_inference_seconds";
    public static final String INFERENCE_CPU_SECONDS = "fmstream_inference_cpu_seconds";
    public static final String ENCODER_WAIT_SECONDS = "fmstream_encoder_wait_seconds";
    public static final String EMBEDDINGS = "fmstream_embeddings";
    public static final String PREDICTIONS = "fmstream_predictions";
    public static final String HEAD_FAILURES = "fmstream_head_failures";
    public static final String HEAD_BATCH_WINDOWS = "fmstream_head_batch_windows";
    public static final String RECORDING_PREDICTIONS = "fmstream_recording_predictions";
    public static final String RECORDING_PREDICTIONS_ABANDONED =
            "fmstream_recording_predictions_abandoned";
    public static final String WRITTEN_LATENCY_SECONDS = "fmstream_written_latency_seconds";
    public static final String BUNDLE_INFO = "fmstream_bundle_info";
    public static final String ACCURACY_SCORED = "fmstream_accuracy_scored";
    public static final String ACCURACY_AGREED = "fmstream_accuracy_agreed";
    public static final String ACCURACY_ABSOLUTE_ERROR = "fmstream_accuracy_absolute_error";
    public static final String ACCURACY_UNSCORED = "fmstream_accuracy_unscored";
    public static final String SINK_COMMITS_LOST = "fmstream_sink_commits_lost";
    public static final String SINK_COMMITS_FENCED_IN_RECOVERY =
            "fmstream_sink_commits_fenced_in_recovery";

    /** Label keys. */
    public static final String REASON = "reason";

    public static final String TRIGGER = "trigger";
    public static final String CAUSE = "cause";
    public static final String TASK = "task";
    public static final String LABEL = "label";
    public static final String TOPIC = "topic";
    public static final String SCOPE = "scope";
    public static final String SINK = "sink";
    public static final String BUNDLE_ID = "bundle_id";
    public static final String BUNDLE_VERSION = "bundle_version";
    public static final String ENCODER_SHA256 = "encoder_sha256";

    /** Labels every fmstream series carries, from Flink's scope: which job and which subtask. */
    public static final List<String> SCOPE_LABELS =
            List.of("job_name", "job_id", "operator_name", "subtask_index");

    /** What a metric is in Prometheus. */
    public enum Kind {
        COUNTER,
        GAUGE,
        HISTOGRAM
    }

    /**
     * One exported metric.
     *
     * @param labels label keys beyond {@link #SCOPE_LABELS}
     * @param scale factor from the recorded value to the exported unit (a latency recorded in
     *     milliseconds is exported in seconds: 0.001)
     * @param buckets upper bounds of a histogram's buckets in the exported unit (+Inf implied)
     */
    public record Metric(
            String name,
            Kind kind,
            List<String> labels,
            String where,
            String help,
            double scale,
            double[] buckets) {

        /** The name Prometheus shows: counters get {@code _total}. */
        public String exportedName() {
            return kind == Kind.COUNTER ? name + "_total" : name;
        }
    }

    private static Metric counter(String name, List<String> labels, String where, String help) {
        return new Metric(name, Kind.COUNTER, labels, where, help, 1, new double[0]);
    }

    /** Latency buckets, seconds: 250 ms, 1 s and 5 s are bounds, so SLO fractions are exact. */
    public static final double[] LATENCY_BUCKETS = {
        0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300
    };

    /**
     * Encoder-call buckets, seconds: the wall time and the CPU time of a call share them, so the
     * two histograms compare bucket by bucket.
     */
    public static final double[] INFERENCE_BUCKETS = {
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5
    };

    /** Every metric above, in the order of the README table. */
    public static final List<Metric> CATALOGUE =
            List.of(
                    counter(
                            RECORDS_IN,
                            List.of(),
                            "decode-validate",
                            "Sensor records read from Kafka, before validation."),
                    counter(
                            CHUNKS_VALID,
                            List.of(),
                            "decode-validate",
                            "Sensor chunks that passed validation."),
                    counter(
                            DEAD_LETTERS,
                            List.of(REASON),
                            "decode-validate, window-assembler",
                            "Records sent to the dead-letter topic, by reason (UNDECODABLE, LATE,"
                                    + " ...)."),
                    counter(
                            CHUNKS_DUPLICATE,
                            List.of(),
                            "window-assembler",
                            "Exact resends of a chunk already accepted, dropped."),
                    counter(
                            WINDOWS_EMITTED,
                            List.of(),
                            "window-assembler",
                            "Windows sent to the encoder."),
                    counter(
                            WINDOWS_DROPPED,
                            List.of(REASON),
                            "window-assembler",
                            "Windows not embedded: INCOMPLETE (more missing than allowed) or"
                                    + " SEGMENT_OVERLAP (at or before a window the device already"
                                    + " closed, after a backward clock jump)."),
                    counter(
                            SEGMENTS_STARTED,
                            List.of(CAUSE),
                            "window-assembler",
                            "New stream segments of a device (REBOOT, RATE_CHANGE, CLOCK_JUMP,"
                                    + " LONG_GAP, NEW_RECORDING, GEOMETRY_CHANGE): its open windows"
                                    + " closed (dropped after a geometry change), the stream"
                                    + " re-anchored."),
                    counter(
                            CLOCK_SLIPS,
                            List.of(),
                            "window-assembler",
                            "One-sample moves of a device's stream anchor following a sample"
                                    + " clock that drifts against its timestamps (a 100 ppm"
                                    + " crystal at 250 Hz: about one every 40 s): no segment,"
                                    + " nothing dropped."),
                    new Metric(
                            BATCH_WINDOWS,
                            Kind.HISTOGRAM,
                            List.of(),
                            "embed",
                            "Windows per encoder call.",
                            1,
                            new double[] {1, 2, 4, 8, 16, 32, 64, 128, 256}),
                    counter(
                            BATCHES,
                            List.of(TRIGGER),
                            "embed",
                            "Encoder calls, by what cut the batch: encoder_free (the"
                                    + " continuous policy, the default: the encoder was free),"
                                    + " size (the batch was full), deadline and watermark (the"
                                    + " deadline policy), idle (the input went idle), checkpoint,"
                                    + " end_of_input."),
                    new Metric(
                            INFERENCE_SECONDS,
                            Kind.HISTOGRAM,
                            List.of(),
                            "embed",
                            "Encoder time per batch (one ONNX Runtime call), seconds.",
                            1e-6,
                            INFERENCE_BUCKETS),
                    new Metric(
                            INFERENCE_CPU_SECONDS,
                            Kind.HISTOGRAM,
                            List.of(),
                            "embed",
                            "CPU time of the calling thread per encoder call, seconds. Against"
                                    + " fmstream_inference_seconds: a call's wall time above its"
                                    + " CPU time is the encoder's thread waiting for a core (other"
                                    + " threads, a container's CPU quota). With"
                                    + " fmstream.onnx.intra-op-threads above 1 the pool's threads"
                                    + " do part of the work and are not counted.",
                            1e-6,
                            INFERENCE_BUCKETS),
                    new Metric(
                            ENCODER_WAIT_SECONDS,
                            Kind.HISTOGRAM,
                            List.of(),
                            "embed",
                            "Time a window waits in the encoder operator before the call that"
                                    + " embeds it starts, seconds: for its batch to fill"
                                    + " (deadline policy) or for the call before it to end"
                                    + " (continuous policy), and behind a busy encoder. Time"
                                    + " in network buffers before the operator is not in it.",
                            1e-6,
                            INFERENCE_BUCKETS),
                    counter(EMBEDDINGS, List.of(), "embed", "Window embeddings produced."),
                    counter(
                            PREDICTIONS,
                            List.of(TASK, LABEL),
                            "each head",
                            "Window predictions produced, by task and predicted label (label"
                                    + " value for regression tasks; none for a prediction"
                                    + " without a usable output: all-NaN scores, a NaN value)."),
                    new Metric(
                            HEAD_BATCH_WINDOWS,
                            Kind.HISTOGRAM,
                            List.of(TASK),
                            "each head",
                            "Windows per head call that returned scores: a head scores what"
                                    + " the encoder emitted together in one call, so its calls"
                                    + " follow the encoder's (after a failed batch call, each"
                                    + " window that scores alone counts as a call of 1).",
                            1,
                            new double[] {1, 2, 4, 8, 16, 32, 64, 128, 256}),
                    counter(
                            HEAD_FAILURES,
                            List.of(TASK),
                            "each head",
                            "Windows a task's head failed on (an ONNX Runtime error): no"
                                    + " prediction for that task, the other tasks unaffected; the"
                                    + " embedding is on the embeddings topic."),
                    counter(
                            RECORDING_PREDICTIONS,
                            List.of(),
                            "recording-predictions",
                            "Recording-level predictions (one per task per recording closed by"
                                    + " its end-of-recording chunk)."),
                    counter(
                            RECORDING_PREDICTIONS_ABANDONED,
                            List.of(),
                            "recording-predictions",
                            "Recording-level predictions given up: a recording ended, but a"
                                    + " task's window predictions did not all arrive within the"
                                    + " idle time (its head failed on some windows, see"
                                    + " fmstream_head_failures_total)."),
                    new Metric(
                            WRITTEN_LATENCY_SECONDS,
                            Kind.HISTOGRAM,
                            List.of(TOPIC),
                            "each sink",
                            "Send time minus the Kafka append time of the newest chunk in the"
                                    + " window, seconds (committed latency adds the time to the"
                                    + " next checkpoint's commit).",
                            0.001,
                            LATENCY_BUCKETS),
                    new Metric(
                            BUNDLE_INFO,
                            Kind.GAUGE,
                            List.of(BUNDLE_ID, BUNDLE_VERSION, ENCODER_SHA256),
                            "embed",
                            "1 for the model bundle in service: its id, version and encoder"
                                    + " sha256.",
                            1,
                            new double[0]),
                    counter(
                            ACCURACY_SCORED,
                            List.of(TASK, SCOPE),
                            "accuracy job",
                            "Predictions scored against ground truth, by task and scope (window,"
                                    + " recording)."),
                    counter(
                            ACCURACY_AGREED,
                            List.of(TASK, SCOPE),
                            "accuracy job",
                            "Classification predictions whose label agrees with the truth:"
                                    + " agreement = agreed / scored."),
                    new Metric(
                            ACCURACY_ABSOLUTE_ERROR,
                            Kind.HISTOGRAM,
                            List.of(TASK, SCOPE),
                            "accuracy job",
                            "Absolute error of regression predictions against the truth, in the"
                                    + " task's unit (heart rate: bpm); MAE = _sum / _count.",
                            1,
                            new double[] {1, 2, 5, 10, 20, 50}),
                    counter(
                            ACCURACY_UNSCORED,
                            List.of(REASON),
                            "accuracy job",
                            "Predictions not scored: no_truth_in_time (none within the horizon),"
                                    + " truth_incomplete (under 80% of the window covered),"
                                    + " task_not_scored (the truth says nothing about the"
                                    + " task), undecodable (a prediction or truth record that"
                                    + " does not decode: skipped)."),
                    counter(
                            SINK_COMMITS_LOST,
                            List.of(SINK, REASON),
                            "each sink's committer",
                            "Kafka transactions a completed checkpoint covers that the committer"
                                    + " gave up on: those outputs are lost (replay the span). By"
                                    + " reason: aborted (by the broker: the checkpoint outlasted"
                                    + " the transaction timeout), fenced (outside recovery:"
                                    + " another producer with the job's transactional-id prefix),"
                                    + " unknown_producer, other."),
                    counter(
                            SINK_COMMITS_FENCED_IN_RECOVERY,
                            List.of(SINK),
                            "each sink's committer",
                            "Re-commits of a restored checkpoint's transactions refused as fenced:"
                                    + " with pooled transactional ids, a transaction the previous"
                                    + " attempt committed whose id it reused since (nothing lost;"
                                    + " Flink counts them in failedCommittables). A transaction"
                                    + " another producer on the job's prefix aborted is refused the"
                                    + " same way, so it lands here too in recovery."));

    private static final Map<String, Metric> BY_NAME =
            CATALOGUE.stream().collect(Collectors.toMap(Metric::name, Function.identity()));

    /** The catalogue entry of {@code name}, if it is one. */
    public static Optional<Metric> find(String name) {
        return Optional.ofNullable(BY_NAME.get(name));
    }

    /**
     * One counter {@code name} per constant of {@code type} in {@code group}, each labelled {@code
     * key} = {@code label(constant)}, all registered now: every series exists at 0 from the start,
     * since a series that first appears above 0 shows Prometheus no {@code increase()} and an alert
     * on it would miss the event that created it.
     */
    public static <E extends Enum<E>> Map<E, Counter> countersPerConstant(
            MetricGroup group, String name, String key, Class<E> type, Function<E, String> label) {
        Map<E, Counter> counters = new EnumMap<>(type);
        for (E constant : type.getEnumConstants()) {
            counters.put(constant, group.addGroup(key, label.apply(constant)).counter(name));
        }
        return counters;
    }

    /** A new histogram for the catalogue's histogram {@code name}, with its buckets and scale. */
    public static BucketHistogram histogram(String name) {
        Metric m = BY_NAME.get(name);
        if (m == null || m.kind() != Kind.HISTOGRAM) {
            throw new IllegalArgumentException(name + " is not a histogram of the catalogue");
        }
        return new BucketHistogram(m.buckets(), m.scale());
    }

    private FmstreamMetrics() {}
}
