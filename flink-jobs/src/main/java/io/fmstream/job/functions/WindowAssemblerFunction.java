package io.fmstream.job.functions;

import io.fmstream.core.records.ChunkRecord;
import io.fmstream.core.records.DeadLetterRecord;
import io.fmstream.core.records.RecordingEnd;
import io.fmstream.core.records.WindowRecord;
import io.fmstream.core.window.DeviceStreamState;
import io.fmstream.core.window.DeviceWindowAssembler;
import io.fmstream.core.window.Offer;
import io.fmstream.core.window.SegmentCause;
import io.fmstream.core.window.StreamLimits;
import io.fmstream.core.window.WindowListener;
import io.fmstream.core.window.WindowPhase;
import io.fmstream.core.window.WindowSpec;
import io.fmstream.job.types.BufferedStateTypeInfo;
import io.fmstream.metrics.FmstreamMetrics;
import io.fmstream.schemas.DeadLetterReason;
import java.io.IOException;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.TimeDomain;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Adapter over {@link DeviceWindowAssembler}, keyed by device id.
 *
 * <p>State per device: one {@link DeviceStreamState} value (the core's, Flink-free) and one {@link
 * DeviceTimers} value (the timers this adapter registered), each written back with {@code update()}
 * after every change. Timers per device, at most three: an event-time timer at the oldest pending
 * gap's expiry, an event-time timer at {@code Long.MAX_VALUE} that flushes the device when a
 * bounded input ends (or a savepoint drains the job), and a processing-time idle timer that flushes
 * and clears the device after {@code idleTimeoutMillis} without data (re-armed lazily when it
 * fires, not per chunk). Event time is the Kafka append time (ms); the assembler works in
 * microseconds.
 */
public class WindowAssemblerFunction
        extends KeyedProcessFunction<String, ChunkRecord, WindowRecord> {
    private static final long serialVersionUID = 1L;

    /**
     * Side output: a device's recording closed on its end-of-recording chunk (how many windows it
     * emitted), for the recording-level predictions.
     */
    public static final OutputTag<RecordingEnd> RECORDING_ENDS =
            new OutputTag<>("recording-ends", TypeInformation.of(RecordingEnd.class));

    private final WindowSpec spec;
    private final StreamLimits limits;
    private final long idleTimeoutMillis;
    private final WindowPhase unrecordedPhase;

    private transient ValueState<DeviceStreamState> state;
    private transient ValueState<DeviceTimers> timers;
    private transient DeviceWindowAssembler assembler;
    private transient DeadLetters deadLetters;
    private transient Counter duplicates;
    private transient Counter windowsEmitted;
    private transient Counter windowsDropped;
    private transient Counter windowsSkipped;
    private transient Counter clockSlips;
    private transient java.util.EnumMap<SegmentCause, Counter> segmentStarts;

    public WindowAssemblerFunction(WindowSpec spec, StreamLimits limits, long idleTimeoutMillis) {
        this(spec, limits, idleTimeoutMillis, spec.phase());
    }

    /**
     * @param unrecordedPhase the grid of devices restored from a savepoint written before states
     *     recorded their grid (see {@link DeviceWindowAssembler}): the phase that job ran with
     */
    public WindowAssemblerFunction(
            WindowSpec spec,
            StreamLimits limits,
            long idleTimeoutMillis,
            WindowPhase unrecordedPhase) {
        this.spec = spec;
        this.limits = limits;
        this.idleTimeoutMillis = idleTimeoutMillis;
        this.unrecordedPhase = unrecordedPhase;
    }

    /**
     * The per-device stream state, as checkpointed; {@code fmstream state-report} reads it with the
     * same descriptor.
     */
    /**
     * How long a forgotten device's {@link #closedBeforeState} is kept: resends from a device's
     * retry queue come within hours, not days, and the entry costs a key and a long per device.
     */
    static final java.time.Duration CLOSED_BEFORE_TTL = java.time.Duration.ofHours(24);

    /**
     * Where a device's windows stood when its state was flushed and cleared (idle timeout, end of
     * input): the start of the first window it had not closed, microseconds. Without it, a resend
     * arriving after the idle timeout started a fresh state that emitted windows already emitted,
     * under the same (device, start) key.
     */
    public static ValueStateDescriptor<Long> closedBeforeState() {
        ValueStateDescriptor<Long> d =
                new ValueStateDescriptor<>("device-closed-before", TypeInformation.of(Long.class));
        d.enableTimeToLive(
                org.apache.flink.api.common.state.StateTtlConfig.newBuilder(CLOSED_BEFORE_TTL)
                        .setUpdateType(
                                org.apache.flink.api.common.state.StateTtlConfig.UpdateType
                                        .OnCreateAndWrite)
                        .setStateVisibility(
                                org.apache.flink.api.common.state.StateTtlConfig.StateVisibility
                                        .NeverReturnExpired)
                        .build());
        return d;
    }

    private transient ValueState<Long> closedBefore;

    public static ValueStateDescriptor<DeviceStreamState> deviceStreamState() {
        // Buffered: the same POJO format, written to the checkpoint in one call per device
        // (see BufferedStateSerializer for what that saves).
        return new ValueStateDescriptor<>(
                "device-stream", BufferedStateTypeInfo.of(DeviceStreamState.class));
    }

    @Override
    public void open(OpenContext openContext) {
        state = getRuntimeContext().getState(deviceStreamState());
        timers =
                getRuntimeContext()
                        .getState(
                                new ValueStateDescriptor<>(
                                        "device-timers", TypeInformation.of(DeviceTimers.class)));
        closedBefore = getRuntimeContext().getState(closedBeforeState());
        assembler = new DeviceWindowAssembler(spec, limits, true, unrecordedPhase);
        deadLetters = new DeadLetters(getRuntimeContext().getMetricGroup());
        duplicates = getRuntimeContext().getMetricGroup().counter(FmstreamMetrics.CHUNKS_DUPLICATE);
        windowsEmitted =
                getRuntimeContext().getMetricGroup().counter(FmstreamMetrics.WINDOWS_EMITTED);
        windowsDropped =
                getRuntimeContext()
                        .getMetricGroup()
                        .addGroup(FmstreamMetrics.REASON, "INCOMPLETE")
                        .counter(FmstreamMetrics.WINDOWS_DROPPED);
        windowsSkipped =
                getRuntimeContext()
                        .getMetricGroup()
                        .addGroup(FmstreamMetrics.REASON, "SEGMENT_OVERLAP")
                        .counter(FmstreamMetrics.WINDOWS_DROPPED);
        clockSlips = getRuntimeContext().getMetricGroup().counter(FmstreamMetrics.CLOCK_SLIPS);
        segmentStarts = new java.util.EnumMap<>(SegmentCause.class);
        for (SegmentCause cause : SegmentCause.values()) {
            segmentStarts.put(
                    cause,
                    getRuntimeContext()
                            .getMetricGroup()
                            .addGroup(FmstreamMetrics.CAUSE, cause.name())
                            .counter(FmstreamMetrics.SEGMENTS_STARTED));
        }
    }

    /**
     * Processing time of this instance's first element or timer: a device's idle time counts from
     * its last data or from here, whichever is later. Restored idle timers that fell due while the
     * job was down fire at once; counted from the last data alone, they flushed every device (live
     * ones too) before its backlog was read, declaring missing the gaps the backlog filled.
     */
    private transient long startedAtMillis = Long.MIN_VALUE;

    private void noteStart(TimerService timerService) {
        if (startedAtMillis == Long.MIN_VALUE) {
            startedAtMillis = timerService.currentProcessingTime();
        }
    }

    @Override
    public void processElement(ChunkRecord chunk, Context ctx, Collector<WindowRecord> out)
            throws IOException {
        noteStart(ctx.timerService());
        DeviceStreamState s = state.value();
        if (s == null) {
            Long forgotten = closedBefore.value();
            if (forgotten == null) {
                s = assembler.newState(chunk);
            } else {
                s = assembler.newState(chunk, forgotten, listener(ctx, out));
                closedBefore.clear(); // the new state's window numbers carry it on
            }
            ctx.timerService().registerEventTimeTimer(Long.MAX_VALUE);
        }
        long watermarkMicros = toMicros(ctx.timerService().currentWatermark());
        Offer offer = assembler.offer(s, chunk, watermarkMicros, listener(ctx, out));
        switch (offer.outcome()) {
            case ACCEPTED:
            case PENDING:
                break;
            case DUPLICATE:
                duplicates.inc();
                break;
            case OVERLAP:
                reject(ctx, chunk, DeadLetterReason.OVERLAP, offer.detail());
                break;
            case LATE:
                reject(ctx, chunk, DeadLetterReason.LATE, offer.detail());
                break;
            case INCONSISTENT:
                reject(ctx, chunk, DeadLetterReason.INCONSISTENT_STREAM, offer.detail());
                break;
            default:
                throw new IllegalStateException("Unhandled outcome " + offer.outcome());
        }
        DeviceTimers t = timers.value();
        if (t == null) {
            t = new DeviceTimers();
        }
        rearmGapTimer(s, t, ctx.timerService());
        // The idle timer is re-armed lazily: data only records when it came, and the timer, when
        // it fires, moves itself to that time plus the timeout if the device spoke meanwhile.
        // Deleting and registering it again for every chunk cost about 7 % of this operator's
        // thread (a removal from Flink's timer heap, hashing the key, per chunk).
        long now = ctx.timerService().currentProcessingTime();
        t.lastDataMillis = now;
        if (t.idleTimerMillis == 0) {
            t.idleTimerMillis = now + idleTimeoutMillis;
            ctx.timerService().registerProcessingTimeTimer(t.idleTimerMillis);
        }
        state.update(s);
        timers.update(t);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<WindowRecord> out)
            throws IOException {
        noteStart(ctx.timerService());
        DeviceStreamState s = state.value();
        if (s == null) {
            return;
        }
        DeviceTimers t = timers.value();
        if (t == null) {
            // State restored from a release that kept the timers inside the device state: the
            // registered timers are not known here, so whichever fires is taken at face value.
            t = new DeviceTimers();
        }
        if (ctx.timeDomain() == TimeDomain.PROCESSING_TIME) {
            if (t.idleTimerMillis != 0 && timestamp != t.idleTimerMillis) {
                return; // a timer this adapter no longer tracks
            }
            long due = Math.max(t.lastDataMillis, startedAtMillis) + idleTimeoutMillis;
            if (t.idleTimerMillis != 0 && t.lastDataMillis != 0 && due > timestamp) {
                // Data came after the timer was set, or the job started since: not idle yet,
                // wait from the last data (or the start).
                t.idleTimerMillis = due;
                ctx.timerService().registerProcessingTimeTimer(due);
                timers.update(t);
                return;
            }
            assembler.flush(s, listener(ctx, out));
            clear(s, t, ctx.timerService());
            return;
        }
        if (timestamp == Long.MAX_VALUE) {
            assembler.flush(s, listener(ctx, out));
            clear(s, t, ctx.timerService());
            return;
        }
        // A gap timer (or one from before a restore): gaps expired by then are resolved, which
        // is idempotent, and the timer is re-armed at the next expiry.
        if (timestamp == t.gapTimerMillis) {
            t.gapTimerMillis = 0;
        }
        assembler.resolveGaps(s, toMicros(timestamp), listener(ctx, out));
        rearmGapTimer(s, t, ctx.timerService());
        state.update(s);
        timers.update(t);
    }

    private void clear(DeviceStreamState s, DeviceTimers t, TimerService timerService)
            throws IOException {
        closedBefore.update(assembler.closedBeforeMicros(s));
        if (t.gapTimerMillis != 0) {
            timerService.deleteEventTimeTimer(t.gapTimerMillis);
        }
        if (t.idleTimerMillis != 0) {
            timerService.deleteProcessingTimeTimer(t.idleTimerMillis);
        }
        timerService.deleteEventTimeTimer(Long.MAX_VALUE);
        state.clear();
        timers.clear();
    }

    private void rearmGapTimer(DeviceStreamState s, DeviceTimers t, TimerService timerService) {
        long expiryMicros = assembler.gapExpiryMicros(s);
        long wanted = expiryMicros == Long.MAX_VALUE ? 0 : Math.floorDiv(expiryMicros + 999, 1000);
        if (wanted == t.gapTimerMillis) {
            return;
        }
        if (t.gapTimerMillis != 0) {
            timerService.deleteEventTimeTimer(t.gapTimerMillis);
        }
        t.gapTimerMillis = wanted;
        if (wanted != 0) {
            timerService.registerEventTimeTimer(wanted);
        }
    }

    /**
     * The timers registered for one device (0 = none), kept by the adapter so they can be deleted
     * when the device's state is cleared; the core's state knows nothing of Flink timers. A Flink
     * POJO.
     */
    public static class DeviceTimers {
        public long gapTimerMillis;
        public long idleTimerMillis;

        /**
         * Processing time of the device's last chunk (0: none recorded, as in state from a release
         * that re-registered the idle timer per chunk, whose timer then fires as it was set).
         */
        public long lastDataMillis;

        public DeviceTimers() {}
    }

    private void reject(Context ctx, ChunkRecord chunk, DeadLetterReason reason, String detail) {
        DeadLetterRecord dl = new DeadLetterRecord(chunk.source, reason, detail, chunk.deviceId);
        deadLetters.count(dl);
        ctx.output(DeadLetters.TAG, dl);
    }

    private WindowListener listener(Context ctx, Collector<WindowRecord> out) {
        return new WindowListener() {
            @Override
            public void emitted(WindowRecord window) {
                windowsEmitted.inc();
                out.collect(window);
            }

            @Override
            public void droppedIncomplete(
                    String deviceId, long windowStartMicros, float missingFraction) {
                windowsDropped.inc();
            }

            @Override
            public void recordingClosed(RecordingEnd end) {
                ctx.output(RECORDING_ENDS, end);
            }

            @Override
            public void segmentStarted(String deviceId, SegmentCause cause, long skippedWindows) {
                segmentStarts.get(cause).inc();
                windowsSkipped.inc(skippedWindows);
            }

            @Override
            public void windowsSkipped(String deviceId, long skippedWindows) {
                windowsSkipped.inc(skippedWindows);
            }

            @Override
            public void clockSlipped(String deviceId, long micros) {
                clockSlips.inc();
            }
        };
    }

    private static long toMicros(long millis) {
        if (millis == Long.MIN_VALUE || millis == Long.MAX_VALUE) {
            return millis;
        }
        return millis * 1000L;
    }
}
