package io.fmstream.job.accuracy;

import io.fmstream.core.accuracy.Outcome;
import io.fmstream.core.accuracy.TruthSpan;
import io.fmstream.core.accuracy.WindowTruth;
import io.fmstream.metrics.BucketHistogram;
import io.fmstream.metrics.FmstreamMetrics;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Per device, joins predictions with the ground truth that arrives later: a prediction is scored
 * once truth reaches past its window's end (the truth of the window from the spans inside it,
 * {@link WindowTruth}); one that waits longer than the horizon (wall clock) is dropped and counted
 * as unscored. Spans older than the horizon behind the device's newest truth (device time) are
 * forgotten, so state is bounded by the horizon per device, and a device from which neither truth
 * nor a prediction has come for a horizon (wall clock) is forgotten altogether: its newest span
 * never falls behind itself, so without this every device that ever had truth kept its last spans
 * and a timer for the life of the job. One processing-time timer per device does the clean-up.
 */
public class AccuracyJoinFunction
        extends KeyedCoProcessFunction<String, PendingPrediction, TruthSpan, ScoredPrediction> {
    private static final long serialVersionUID = 1L;

    private final long horizonMillis;

    private transient MapState<Long, TruthSpan> spans;
    private transient MapState<String, PendingPrediction> waiting;
    private transient ValueState<Long> newestTruthEnd;
    private transient ValueState<Long> timer;

    /**
     * Processing time of the device's last input of either kind (null: before any, or restored from
     * a state written before it was kept, up to d2c9f1a, where it counts from the next check).
     */
    private transient ValueState<Long> lastInput;

    private transient Map<String, Counter> scored;
    private transient Map<String, Counter> agreed;
    private transient Map<String, BucketHistogram> errors;
    private transient Map<String, Counter> unscored;

    public AccuracyJoinFunction(long horizonMillis) {
        this.horizonMillis = horizonMillis;
    }

    @Override
    public void open(OpenContext openContext) {
        spans =
                getRuntimeContext()
                        .getMapState(
                                new MapStateDescriptor<>(
                                        "truth-spans",
                                        Types.LONG,
                                        TypeInformation.of(TruthSpan.class)));
        waiting =
                getRuntimeContext()
                        .getMapState(
                                new MapStateDescriptor<>(
                                        "waiting-predictions",
                                        Types.STRING,
                                        TypeInformation.of(PendingPrediction.class)));
        newestTruthEnd =
                getRuntimeContext()
                        .getState(new ValueStateDescriptor<>("newest-truth-end", Types.LONG));
        timer = getRuntimeContext().getState(new ValueStateDescriptor<>("cleanup", Types.LONG));
        lastInput =
                getRuntimeContext().getState(new ValueStateDescriptor<>("last-input", Types.LONG));
        scored = new HashMap<>();
        agreed = new HashMap<>();
        errors = new HashMap<>();
        unscored = new HashMap<>();
    }

    @Override
    public void processElement1(PendingPrediction p, Context ctx, Collector<ScoredPrediction> out)
            throws Exception {
        p.arrivedMillis = ctx.timerService().currentProcessingTime();
        lastInput.update(p.arrivedMillis);
        Long newest = newestTruthEnd.value();
        if (newest != null && newest >= p.windowEndMicros) {
            score(p, out);
        } else {
            waiting.put(p.key(), p);
            arm(ctx);
        }
    }

    @Override
    public void processElement2(TruthSpan t, Context ctx, Collector<ScoredPrediction> out)
            throws Exception {
        spans.put(t.startMicros, t);
        lastInput.update(ctx.timerService().currentProcessingTime());
        Long newest = newestTruthEnd.value();
        long end = newest == null ? t.endMicros : Math.max(newest, t.endMicros);
        newestTruthEnd.update(end);
        List<String> done = new ArrayList<>();
        for (Map.Entry<String, PendingPrediction> e : waiting.entries()) {
            if (e.getValue().windowEndMicros <= end) {
                score(e.getValue(), out);
                done.add(e.getKey());
            }
        }
        for (String k : done) {
            waiting.remove(k);
        }
        arm(ctx);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<ScoredPrediction> out)
            throws Exception {
        timer.clear();
        long now = ctx.timerService().currentProcessingTime();
        List<String> expired = new ArrayList<>();
        for (Map.Entry<String, PendingPrediction> e : waiting.entries()) {
            if (now - e.getValue().arrivedMillis >= horizonMillis) {
                expired.add(e.getKey());
            }
        }
        for (String k : expired) {
            waiting.remove(k);
            count(unscored, "no_truth_in_time");
        }
        Long newest = newestTruthEnd.value();
        if (newest != null) {
            long keepFrom = newest - horizonMillis * 1000;
            List<Long> old = new ArrayList<>();
            for (Map.Entry<Long, TruthSpan> e : spans.entries()) {
                if (e.getValue().endMicros < keepFrom) {
                    old.add(e.getKey());
                }
            }
            for (Long k : old) {
                spans.remove(k);
            }
        }
        Long last = lastInput.value();
        if (last == null) {
            last = now;
            lastInput.update(now);
        }
        if (waiting.isEmpty() && (spans.isEmpty() || now - last >= horizonMillis)) {
            // Nothing waits, and no truth can still be needed: a prediction arriving after a
            // horizon of silence would have waited out its own horizon for later truth anyway.
            spans.clear();
            newestTruthEnd.clear();
            lastInput.clear();
        } else {
            arm(ctx);
        }
    }

    /** One clean-up timer per device, a horizon ahead. */
    private void arm(Context ctx) throws Exception {
        if (timer.value() == null) {
            long at = ctx.timerService().currentProcessingTime() + horizonMillis;
            ctx.timerService().registerProcessingTimeTimer(at);
            timer.update(at);
        }
    }

    private void score(PendingPrediction p, Collector<ScoredPrediction> out) throws Exception {
        Optional<WindowTruth> truth =
                WindowTruth.of(spans.values(), p.windowStartMicros, p.windowEndMicros);
        if (truth.isEmpty()) {
            count(unscored, "truth_incomplete");
            return;
        }
        Optional<Outcome> o = Outcome.score(p.task, p.label, p.value, truth.get());
        if (o.isEmpty()) {
            count(unscored, "task_not_scored");
            return;
        }
        String scope = p.recording ? "recording" : "window";
        String key = p.task + "/" + scope;
        scored.computeIfAbsent(
                        key, k -> group(p.task, scope).counter(FmstreamMetrics.ACCURACY_SCORED))
                .inc();
        ScoredPrediction s = new ScoredPrediction();
        s.prediction = p;
        if (o.get().agree() != null) {
            s.truthLabel = o.get().truthLabel();
            s.agree = o.get().agree() ? 1 : 0;
            Counter c =
                    agreed.computeIfAbsent(
                            key,
                            k -> group(p.task, scope).counter(FmstreamMetrics.ACCURACY_AGREED));
            if (o.get().agree()) {
                c.inc();
            }
        } else {
            s.truthValue = o.get().truthValue();
            s.absoluteError = o.get().absoluteError();
            errors.computeIfAbsent(
                            key,
                            k ->
                                    group(p.task, scope)
                                            .histogram(
                                                    FmstreamMetrics.ACCURACY_ABSOLUTE_ERROR,
                                                    FmstreamMetrics.histogram(
                                                            FmstreamMetrics
                                                                    .ACCURACY_ABSOLUTE_ERROR)))
                    .observe(s.absoluteError);
        }
        out.collect(s);
    }

    private MetricGroup group(String task, String scope) {
        return getRuntimeContext()
                .getMetricGroup()
                .addGroup(FmstreamMetrics.TASK, task)
                .addGroup(FmstreamMetrics.SCOPE, scope);
    }

    private void count(Map<String, Counter> counters, String reason) {
        counters.computeIfAbsent(
                        reason,
                        r ->
                                getRuntimeContext()
                                        .getMetricGroup()
                                        .addGroup(FmstreamMetrics.REASON, r)
                                        .counter(FmstreamMetrics.ACCURACY_UNSCORED))
                .inc();
    }
}
