package io.fmstream.job.functions;

import io.fmstream.core.recording.RecordingAggregator;
import io.fmstream.core.records.PredictionRecord;
import io.fmstream.core.records.RecordingEnd;
import io.fmstream.metrics.FmstreamMetrics;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Recording-level predictions, keyed by device: one per task when a recording closes, aggregated
 * from its window predictions by {@link RecordingAggregator} (the rule the model evaluation reports
 * figures for). Every window prediction it receives is passed on as it is, before the recording's
 * own, so its output is all of the job's predictions and the predictions sink chains to it: the
 * heads need no second edge to the sink, and a device's recording prediction follows its windows'.
 *
 * <p>Window predictions and the assembler's {@link RecordingEnd} arrive on different paths (the
 * windows through the micro-batched encoder and the heads, the end straight from the assembler), so
 * in any order. Each input only updates keyed state: per (recording, task) running sums of the
 * usable window outputs and a count, and per recording its end, which says how many windows it
 * emitted. When a task's count reaches that number its recording prediction is emitted and its
 * state dropped. State per device is therefore a few sums per task and open recording; a recording
 * that never ends (a device that sends no end flag) keeps one small entry per task until no window
 * of it has arrived for {@code idleMillis} of processing time, and everything of a device is
 * dropped after {@code idleMillis} without input. Without the first, a device that never goes idle
 * but starts segments (a reboot, a clock jump, a long silence: each a recording of its own) kept
 * every segment's entries for as long as it stayed active.
 */
public class RecordingPredictionFunction
        extends KeyedCoProcessFunction<String, PredictionRecord, RecordingEnd, PredictionRecord> {
    private static final long serialVersionUID = 1L;

    /** Running aggregate of one task over one recording. A Flink POJO. */
    public static class Acc {
        public int count;
        public int used;
        public double[] sums = new double[0];
        public double valueSum;
        public float missingSum;
        public long newestAppendTimeMillis;
        public String headName;
        public String headVersion;
        public boolean classification;

        /**
         * Processing time of the last window prediction added: an aggregate not added to for the
         * idle time is forgotten even while the device stays active (0 in a state written before it
         * was recorded, up to d2c9f1a: forgotten at the next check).
         */
        public long updatedMillis;

        public Acc() {}
    }

    private final Map<String, List<String>> labelsByTask;
    private final long idleMillis;

    private transient MapState<String, Acc> accs;
    private transient MapState<Long, RecordingEnd> ends;
    private transient MapState<String, Boolean> doneTasks;

    /** Processing time each recording end arrived (absent in states written before it was). */
    private transient MapState<Long, Long> endSeen;

    private transient Counter abandoned;
    private transient ValueState<Long> cleanupTimer;
    private transient ValueState<Long> lastActivity;
    private transient Counter emitted;

    /**
     * @param labelsByTask every task of the bundle with its class labels (empty for regression)
     */
    public RecordingPredictionFunction(Map<String, List<String>> labelsByTask, long idleMillis) {
        // In the manifest's order (the caller's LinkedHashMap): a recording's predictions come
        // out in the same task order on every TaskManager; Map.copyOf would salt it per JVM.
        this.labelsByTask =
                java.util.Collections.unmodifiableMap(new LinkedHashMap<>(labelsByTask));
        this.idleMillis = idleMillis;
    }

    /**
     * Open recordings' aggregates by "recording start/task", as checkpointed; {@code fmstream
     * state-report} reads this state with the same descriptors.
     */
    public static MapStateDescriptor<String, Acc> accumulatorsState() {
        return new MapStateDescriptor<>(
                "recording-accs", Types.STRING, TypeInformation.of(Acc.class));
    }

    /** Recording ends seen, by recording start, until every task has emitted. */
    public static MapStateDescriptor<Long, RecordingEnd> endsState() {
        return new MapStateDescriptor<>(
                "recording-ends", Types.LONG, TypeInformation.of(RecordingEnd.class));
    }

    /** Tasks already emitted per recording ("recording start/task"). */
    public static MapStateDescriptor<String, Boolean> doneState() {
        return new MapStateDescriptor<>("recording-done", Types.STRING, Types.BOOLEAN);
    }

    /** Processing time each recording end arrived, by recording start. */
    public static MapStateDescriptor<Long, Long> endSeenState() {
        return new MapStateDescriptor<>("recording-end-seen", Types.LONG, Types.LONG);
    }

    /** The device's clean-up timer. */
    public static ValueStateDescriptor<Long> cleanupTimerState() {
        return new ValueStateDescriptor<>("recording-cleanup", Types.LONG);
    }

    /** Processing time of the device's last input. */
    public static ValueStateDescriptor<Long> lastActivityState() {
        return new ValueStateDescriptor<>("recording-last-activity", Types.LONG);
    }

    @Override
    public void open(OpenContext openContext) {
        accs = getRuntimeContext().getMapState(accumulatorsState());
        ends = getRuntimeContext().getMapState(endsState());
        doneTasks = getRuntimeContext().getMapState(doneState());
        cleanupTimer = getRuntimeContext().getState(cleanupTimerState());
        lastActivity = getRuntimeContext().getState(lastActivityState());
        endSeen = getRuntimeContext().getMapState(endSeenState());
        emitted =
                getRuntimeContext().getMetricGroup().counter(FmstreamMetrics.RECORDING_PREDICTIONS);
        abandoned =
                getRuntimeContext()
                        .getMetricGroup()
                        .counter(FmstreamMetrics.RECORDING_PREDICTIONS_ABANDONED);
    }

    @Override
    public void processElement1(PredictionRecord p, Context ctx, Collector<PredictionRecord> out)
            throws Exception {
        // Every prediction goes on to the sink from here (see the class comment); this function
        // never changes it, so passing on the record it received is safe under object reuse.
        out.collect(p);
        if (p.recording) {
            return;
        }
        String key = p.recordingStartMicros + "/" + p.task;
        Acc a = accs.get(key);
        if (a == null) {
            a = new Acc();
            a.headName = p.headName;
            a.headVersion = p.headVersion;
            a.classification = p.classification;
            a.sums = new double[p.scores.length];
        }
        a.count++;
        a.updatedMillis = ctx.timerService().currentProcessingTime();
        a.missingSum += p.missingFraction;
        a.newestAppendTimeMillis = Math.max(a.newestAppendTimeMillis, p.newestAppendTimeMillis);
        if (p.classification) {
            if (RecordingAggregator.usable(p.scores) && p.scores.length == a.sums.length) {
                for (int c = 0; c < a.sums.length; c++) {
                    a.sums[c] += p.scores[c];
                }
                a.used++;
            }
        } else if (Double.isFinite(p.value)) {
            a.valueSum += p.value;
            a.used++;
        }
        RecordingEnd end = ends.get(p.recordingStartMicros);
        if (end != null && a.count >= end.windows) {
            emit(end, p.task, a, out);
            accs.remove(key);
            doneTasks.put(key, true);
            touch(ctx);
            dropEndIfDone(end, ctx);
        } else {
            accs.put(key, a);
            touch(ctx);
        }
    }

    @Override
    public void processElement2(RecordingEnd end, Context ctx, Collector<PredictionRecord> out)
            throws Exception {
        if (end.windows == 0) {
            return; // nothing was emitted for it: no window output to aggregate
        }
        ends.put(end.recordingStartMicros, end);
        endSeen.put(end.recordingStartMicros, ctx.timerService().currentProcessingTime());
        for (String task : labelsByTask.keySet()) {
            String key = end.recordingStartMicros + "/" + task;
            Acc a = accs.get(key);
            if (a != null && a.count >= end.windows) {
                emit(end, task, a, out);
                accs.remove(key);
                doneTasks.put(key, true);
            }
        }
        touch(ctx);
        dropEndIfDone(end, ctx);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<PredictionRecord> out)
            throws Exception {
        Long armed = cleanupTimer.value();
        if (armed == null || armed != timestamp) {
            return;
        }
        Long last = lastActivity.value();
        long due = (last == null ? 0 : last) + idleMillis;
        if (due > timestamp) {
            // Input arrived since the timer was set: look again when that input has gone idle.
            forgetIdleRecordings(timestamp);
            if (accs.isEmpty() && ends.isEmpty()) {
                clearAll();
                return;
            }
            ctx.timerService().registerProcessingTimeTimer(due);
            cleanupTimer.update(due);
            return;
        }
        clearAll();
    }

    /**
     * Drops the aggregates that no window prediction has reached for the idle time (a segment the
     * device has left without an end flag, or one whose last windows were dropped), and the end of
     * a recording none of whose aggregates is left, once it is that old: it can never be completed.
     * A task that has not emitted by then (its head failed on some or all of the windows, so its
     * count never reached the end's) is counted as abandoned; a task whose head failed on every
     * window has no aggregate at all, and its end would otherwise stay as long as the device.
     */
    private void forgetIdleRecordings(long now) throws Exception {
        Set<Long> touched = new HashSet<>();
        Set<Long> live = new HashSet<>();
        List<String> idle = new ArrayList<>();
        for (Map.Entry<String, Acc> e : accs.entries()) {
            long recording = Long.parseLong(e.getKey().substring(0, e.getKey().indexOf('/')));
            if (now - e.getValue().updatedMillis >= idleMillis) {
                idle.add(e.getKey());
                touched.add(recording);
            } else {
                live.add(recording);
            }
        }
        for (String key : idle) {
            accs.remove(key);
        }
        List<Long> over = new ArrayList<>();
        for (Long recording : ends.keys()) {
            Long seen = endSeen.get(recording);
            if (!live.contains(recording)
                    && (touched.contains(recording) || seen == null || now - seen >= idleMillis)) {
                over.add(recording);
            }
        }
        for (Long recording : over) {
            forgetEnd(recording);
        }
    }

    /** Recording-level predictions given up so far by this instance (for tests). */
    long abandonedCount() {
        return abandoned.getCount();
    }

    /** Forgets a recording's end, counting each task that never emitted for it. */
    private void forgetEnd(long recording) throws Exception {
        for (String task : labelsByTask.keySet()) {
            if (!doneTasks.contains(recording + "/" + task)) {
                abandoned.inc();
            }
            doneTasks.remove(recording + "/" + task);
        }
        ends.remove(recording);
        endSeen.remove(recording);
    }

    private void clearAll() throws Exception {
        List<Long> open = new ArrayList<>();
        ends.keys().forEach(open::add);
        for (Long recording : open) {
            forgetEnd(recording); // the device went idle before every task emitted
        }
        accs.clear();
        ends.clear();
        endSeen.clear();
        doneTasks.clear();
        cleanupTimer.clear();
        lastActivity.clear();
    }

    /**
     * Forgets a recording once every task has emitted its prediction, and the device's cleanup
     * timer with it when nothing else of the device is open (once per recording, not per element).
     */
    private void dropEndIfDone(RecordingEnd end, Context ctx) throws Exception {
        for (String task : labelsByTask.keySet()) {
            if (!doneTasks.contains(end.recordingStartMicros + "/" + task)) {
                return;
            }
        }
        ends.remove(end.recordingStartMicros);
        endSeen.remove(end.recordingStartMicros);
        for (String task : labelsByTask.keySet()) {
            doneTasks.remove(end.recordingStartMicros + "/" + task);
        }
        if (accs.isEmpty() && ends.isEmpty()) {
            Long armed = cleanupTimer.value();
            if (armed != null) {
                ctx.timerService().deleteProcessingTimeTimer(armed);
            }
            clearAll();
        }
    }

    private void emit(RecordingEnd end, String task, Acc a, Collector<PredictionRecord> out) {
        PredictionRecord p = new PredictionRecord();
        p.deviceId = end.deviceId;
        p.windowStartMicros = end.firstWindowStartMicros;
        p.windowEndMicros = end.lastWindowEndMicros;
        p.task = task;
        p.headName = a.headName;
        p.headVersion = a.headVersion;
        p.classification = a.classification;
        p.missingFraction = a.missingSum / a.count;
        p.newestAppendTimeMillis = a.newestAppendTimeMillis;
        p.recordingStartMicros = end.recordingStartMicros;
        p.recording = true;
        p.windows = a.count;
        if (a.classification) {
            Optional<RecordingAggregator.Classification> c =
                    RecordingAggregator.fromSums(a.sums, a.used);
            if (c.isEmpty()) {
                return; // no usable window: no prediction rather than an arbitrary one
            }
            double[] probs = c.get().probabilities();
            p.scores = new float[probs.length];
            for (int i = 0; i < probs.length; i++) {
                p.scores[i] = (float) probs[i];
            }
            List<String> labels = labelsByTask.getOrDefault(task, List.of());
            int label = c.get().label();
            p.label = label < labels.size() ? labels.get(label) : String.valueOf(label);
            p.value = Double.NaN;
        } else {
            if (a.used == 0) {
                return;
            }
            p.scores = new float[0];
            p.value = a.valueSum / a.used;
        }
        emitted.inc();
        out.collect(p);
    }

    /**
     * Notes the device's activity. The idle-cleanup timer is armed once and re-checked when it
     * fires (lazy re-arm), rather than deleted and registered again for every window prediction.
     */
    private void touch(Context ctx) throws Exception {
        long now = ctx.timerService().currentProcessingTime();
        lastActivity.update(now);
        if (cleanupTimer.value() == null) {
            long at = now + idleMillis;
            ctx.timerService().registerProcessingTimeTimer(at);
            cleanupTimer.update(at);
        }
    }
}
