package io.fmstream.tools.state;

import io.fmstream.core.records.RecordingEnd;
import io.fmstream.core.window.DeviceStreamState;
import io.fmstream.core.window.PendingChunk;
import io.fmstream.job.FmstreamJob;
import io.fmstream.job.functions.RecordingPredictionFunction;
import io.fmstream.job.functions.WindowAssemblerFunction;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.state.hashmap.HashMapStateBackend;
import org.apache.flink.state.api.OperatorIdentifier;
import org.apache.flink.state.api.SavepointReader;
import org.apache.flink.state.api.functions.KeyedStateReaderFunction;
import org.apache.flink.state.api.runtime.SavepointLoader;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.Collector;

/**
 * What the job's keyed state holds, device by device, read from a checkpoint or savepoint with
 * Flink's State Processor API: for the window assembler, each device's serialized size and what can
 * make it large (chunks held behind a gap, windows emitted ahead of one, the resampler's history);
 * for the recording-level predictions, the recordings still open. Why: a checkpoint that grows is
 * the first sign of state that does not shrink, and the size alone does not say whether it is many
 * devices, a few large ones, or which field; an earlier soak found the resampler's history that
 * way.
 *
 * <p>Sizes are the state's value as its own serializer writes it (the checkpoint adds the key and a
 * few bytes per entry). Reads savepoints of any state backend and checkpoints of the heap backend,
 * the job's default.
 */
public final class StateReport {

    /** One key's state in one operator. A Flink POJO: the reader job collects these. */
    public static class KeyRow {
        public String operator;
        public String key;

        /** The value(s) as their serializers write them. */
        public long bytes;

        /** Chunks held behind a gap, waiting for it to fill or expire (the assembler). */
        public int pendingChunks;

        /** Their samples' bytes. */
        public long pendingSampleBytes;

        /**
         * Chunks of a new segment held until its first window, for re-anchoring (the assembler):
         * samples included, so they size a device as pending chunks do.
         */
        public int openingChunks;

        /** Their samples' bytes. */
        public long openingSampleBytes;

        /** Windows already emitted ahead of a gap (the assembler). */
        public int emittedAhead;

        /** Capacity of the resampler's input history, samples (the assembler). */
        public int historyCapacity;

        /** Recordings with an open aggregate, one per task (the recording-level predictions). */
        public int openAggregates;

        /** Recording ends seen but not yet released (the recording-level predictions). */
        public int recordingEnds;

        public KeyRow() {}
    }

    /** Reads the assembler's per-device state. */
    public static final class AssemblerReader extends KeyedStateReaderFunction<String, KeyRow> {
        private static final long serialVersionUID = 1L;
        private transient ValueState<DeviceStreamState> state;
        private transient TypeSerializer<DeviceStreamState> serializer;

        @Override
        public void open(OpenContext context) {
            ValueStateDescriptor<DeviceStreamState> d = WindowAssemblerFunction.deviceStreamState();
            state = getRuntimeContext().getState(d);
            serializer = serializer(TypeInformation.of(DeviceStreamState.class));
        }

        @Override
        public void readKey(String key, Context context, Collector<KeyRow> out) throws Exception {
            DeviceStreamState s = state.value();
            KeyRow row = new KeyRow();
            row.operator = FmstreamJob.UID_ASSEMBLER;
            row.key = key;
            if (s != null) {
                row.bytes = size(serializer, s);
                if (s.pending != null) {
                    for (PendingChunk p : s.pending) {
                        row.pendingChunks++;
                        row.pendingSampleBytes += p.samples == null ? 0 : p.samples.length;
                    }
                }
                // A state restored from 0.1 keeps its pending chunks in the parallel arrays until
                // the device's next chunk moves them.
                if (s.pendingIndex != null) {
                    row.pendingChunks += s.pendingIndex.length;
                    for (byte[] b : s.pendingSamples) {
                        row.pendingSampleBytes += b == null ? 0 : b.length;
                    }
                }
                if (s.opening != null) {
                    for (PendingChunk p : s.opening) {
                        row.openingChunks++;
                        row.openingSampleBytes += p.samples == null ? 0 : p.samples.length;
                    }
                }
                row.emittedAhead = s.emittedAhead == null ? 0 : s.emittedAhead.length;
                row.historyCapacity =
                        s.resampler == null || s.resampler.history == null
                                ? 0
                                : s.resampler.history.length;
            }
            out.collect(row);
        }
    }

    /** Reads the recording-level predictions' per-device state. */
    public static final class RecordingReader extends KeyedStateReaderFunction<String, KeyRow> {
        private static final long serialVersionUID = 1L;
        private transient MapState<String, RecordingPredictionFunction.Acc> accs;
        private transient MapState<Long, RecordingEnd> ends;
        private transient MapState<String, Boolean> done;
        private transient MapState<Long, Long> endSeen;
        private transient ValueState<Long> cleanup;
        private transient ValueState<Long> lastActivity;
        private transient TypeSerializer<String> keys;
        private transient TypeSerializer<RecordingPredictionFunction.Acc> accSerializer;
        private transient TypeSerializer<RecordingEnd> endSerializer;

        @Override
        public void open(OpenContext context) {
            MapStateDescriptor<String, RecordingPredictionFunction.Acc> a =
                    RecordingPredictionFunction.accumulatorsState();
            accs = getRuntimeContext().getMapState(a);
            ends = getRuntimeContext().getMapState(RecordingPredictionFunction.endsState());
            done = getRuntimeContext().getMapState(RecordingPredictionFunction.doneState());
            endSeen = getRuntimeContext().getMapState(RecordingPredictionFunction.endSeenState());
            cleanup = getRuntimeContext().getState(RecordingPredictionFunction.cleanupTimerState());
            lastActivity =
                    getRuntimeContext().getState(RecordingPredictionFunction.lastActivityState());
            keys = serializer(TypeInformation.of(String.class));
            accSerializer = serializer(TypeInformation.of(RecordingPredictionFunction.Acc.class));
            endSerializer = serializer(TypeInformation.of(RecordingEnd.class));
        }

        @Override
        public void readKey(String key, Context context, Collector<KeyRow> out) throws Exception {
            KeyRow row = new KeyRow();
            row.operator = FmstreamJob.UID_RECORDING_PREDICTIONS;
            row.key = key;
            for (Map.Entry<String, RecordingPredictionFunction.Acc> e : accs.entries()) {
                row.openAggregates++;
                row.bytes += size(keys, e.getKey()) + size(accSerializer, e.getValue());
            }
            for (Map.Entry<Long, RecordingEnd> e : ends.entries()) {
                row.recordingEnds++;
                row.bytes += Long.BYTES + size(endSerializer, e.getValue());
            }
            for (String k : done.keys()) {
                row.bytes += size(keys, k) + 1;
            }
            for (Long k : endSeen.keys()) {
                row.bytes += 2 * Long.BYTES;
            }
            row.bytes +=
                    (cleanup.value() == null ? 0 : Long.BYTES)
                            + (lastActivity.value() == null ? 0 : Long.BYTES);
            out.collect(row);
        }
    }

    /** Summary of one operator's keys. */
    public record OperatorSummary(
            String uid, int keys, long bytes, long median, long p99, long max, List<KeyRow> rows) {}

    /** The job's operators with keyed state, in report order, each with its reader. */
    private static final Map<String, Supplier<KeyedStateReaderFunction<String, KeyRow>>> READERS =
            new LinkedHashMap<>();

    static {
        READERS.put(FmstreamJob.UID_ASSEMBLER, AssemblerReader::new);
        READERS.put(FmstreamJob.UID_RECORDING_PREDICTIONS, RecordingReader::new);
    }

    private final Path path;
    private final List<String> missing;
    private final List<OperatorSummary> operators;

    private StateReport(Path path, List<String> missing, List<OperatorSummary> operators) {
        this.path = path;
        this.missing = missing;
        this.operators = operators;
    }

    public List<OperatorSummary> operators() {
        return operators;
    }

    /** Operators of the job with keyed state that the checkpoint does not hold (an older job). */
    public List<String> missing() {
        return missing;
    }

    /**
     * Reads the checkpoint or savepoint folder {@code path} (the one holding {@code _metadata}).
     */
    public static StateReport read(Path path) throws Exception {
        String location = path.toAbsolutePath().toString();
        Set<OperatorID> present =
                SavepointLoader.loadSavepointMetadata(location).getOperatorStates().stream()
                        .map(OperatorState::getOperatorID)
                        .collect(Collectors.toSet());
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        SavepointReader reader = SavepointReader.read(env, location, new HashMapStateBackend());
        List<String> missing = new ArrayList<>();
        DataStream<KeyRow> rows = null;
        for (Map.Entry<String, Supplier<KeyedStateReaderFunction<String, KeyRow>>> e :
                READERS.entrySet()) {
            OperatorIdentifier id = OperatorIdentifier.forUid(e.getKey());
            if (!present.contains(id.getOperatorId())) {
                missing.add(e.getKey());
                continue;
            }
            DataStream<KeyRow> one =
                    reader.readKeyedState(
                            id,
                            e.getValue().get(),
                            TypeInformation.of(String.class),
                            TypeInformation.of(KeyRow.class));
            rows = rows == null ? one : rows.union(one);
        }
        List<KeyRow> all = new ArrayList<>();
        if (rows != null) {
            try (CloseableIterator<KeyRow> it = rows.executeAndCollect("fmstream state-report")) {
                it.forEachRemaining(all::add);
            }
        }
        List<OperatorSummary> summaries = new ArrayList<>();
        for (String uid : READERS.keySet()) {
            if (missing.contains(uid)) {
                continue;
            }
            List<KeyRow> mine =
                    all.stream()
                            .filter(r -> r.operator.equals(uid))
                            .sorted(Comparator.comparingLong((KeyRow r) -> r.bytes).reversed())
                            .collect(Collectors.toList());
            long[] sizes = mine.stream().mapToLong(r -> r.bytes).sorted().toArray();
            summaries.add(
                    new OperatorSummary(
                            uid,
                            sizes.length,
                            java.util.Arrays.stream(sizes).sum(),
                            percentile(sizes, 0.5),
                            percentile(sizes, 0.99),
                            sizes.length == 0 ? 0 : sizes[sizes.length - 1],
                            mine));
        }
        return new StateReport(path, missing, summaries);
    }

    /** The report as text: a table per operator and its {@code top} largest keys. */
    public String render(int top) {
        StringBuilder b = new StringBuilder();
        b.append("state of ").append(path).append('\n');
        for (String uid : missing) {
            b.append("\n").append(uid).append(": not in this checkpoint (an older job)\n");
        }
        for (OperatorSummary o : operators) {
            b.append(
                    String.format(
                            Locale.ROOT,
                            "%n%s: %d keys, %s; per key median %s, p99 %s, max %s%n",
                            o.uid(),
                            o.keys(),
                            human(o.bytes()),
                            human(o.median()),
                            human(o.p99()),
                            human(o.max())));
            if (o.uid().equals(FmstreamJob.UID_ASSEMBLER)) {
                List<KeyRow> holding = o.rows().stream().filter(r -> r.pendingChunks > 0).toList();
                long held = holding.stream().mapToLong(r -> r.bytes).sum();
                long[] rest =
                        o.rows().stream()
                                .filter(r -> r.pendingChunks == 0)
                                .mapToLong(r -> r.bytes)
                                .sorted()
                                .toArray();
                b.append(
                        String.format(
                                Locale.ROOT,
                                "  devices holding chunks behind a gap: %d (%d chunks, %s of"
                                        + " samples; these devices' state %s in all); the other"
                                        + " devices' median %s%n",
                                holding.size(),
                                holding.stream().mapToLong(r -> r.pendingChunks).sum(),
                                human(holding.stream().mapToLong(r -> r.pendingSampleBytes).sum()),
                                human(held),
                                human(percentile(rest, 0.5))));
                b.append(
                        String.format(
                                Locale.ROOT,
                                "  devices holding a new segment's chunks until its first window:"
                                        + " %d (%d chunks, %s of samples)%n",
                                o.rows().stream().filter(r -> r.openingChunks > 0).count(),
                                o.rows().stream().mapToLong(r -> r.openingChunks).sum(),
                                human(
                                        o.rows().stream()
                                                .mapToLong(r -> r.openingSampleBytes)
                                                .sum())));
                b.append(
                        String.format(
                                Locale.ROOT,
                                "  windows emitted ahead of a gap: %d; resampler history, samples:"
                                        + " max %d%n",
                                o.rows().stream().mapToLong(r -> r.emittedAhead).sum(),
                                o.rows().stream()
                                        .mapToInt(r -> r.historyCapacity)
                                        .max()
                                        .orElse(0)));
                largest(
                        b,
                        o,
                        top,
                        "pending chunks | emitted ahead",
                        r -> r.pendingChunks,
                        r -> r.emittedAhead);
            } else {
                b.append(
                        String.format(
                                Locale.ROOT,
                                "  open aggregates (recording x task): %d; recording ends held:"
                                        + " %d%n",
                                o.rows().stream().mapToLong(r -> r.openAggregates).sum(),
                                o.rows().stream().mapToLong(r -> r.recordingEnds).sum()));
                largest(
                        b,
                        o,
                        top,
                        "open aggregates | ends held",
                        r -> r.openAggregates,
                        r -> r.recordingEnds);
            }
        }
        return b.toString();
    }

    /** The {@code top} largest keys of {@code o}, with two of their fields. */
    private static void largest(
            StringBuilder b,
            OperatorSummary o,
            int top,
            String columns,
            java.util.function.ToLongFunction<KeyRow> first,
            java.util.function.ToLongFunction<KeyRow> second) {
        b.append("  largest: | device | bytes | ").append(columns).append(" |\n");
        for (KeyRow r : o.rows().subList(0, Math.min(top, o.rows().size()))) {
            b.append(
                    String.format(
                            Locale.ROOT,
                            "  | %s | %d | %d | %d |%n",
                            r.key,
                            r.bytes,
                            first.applyAsLong(r),
                            second.applyAsLong(r)));
        }
    }

    private static <T> TypeSerializer<T> serializer(TypeInformation<T> type) {
        return type.createSerializer(new SerializerConfigImpl());
    }

    private static <T> long size(TypeSerializer<T> serializer, T value) throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(256);
        serializer.serialize(value, out);
        return out.length();
    }

    private static long percentile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    private static String human(long bytes) {
        if (bytes >= 1024L * 1024) {
            return String.format(Locale.ROOT, "%.1f MB", bytes / (1024.0 * 1024.0));
        }
        if (bytes >= 10L * 1024) {
            return String.format(Locale.ROOT, "%.1f KB", bytes / 1024.0);
        }
        return bytes + " B";
    }
}
