package io.fmstream.core.window;

import io.fmstream.core.records.ChunkRecord;
import io.fmstream.core.records.RecordingEnd;
import io.fmstream.core.records.WindowRecord;
import io.fmstream.core.signal.Int16Samples;
import io.fmstream.core.signal.StreamingResampler;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Turns one device's chunks into model-rate windows on the epoch grid, or on the device's own phase
 * of it ({@link WindowPhase}).
 *
 * <p>Semantics (see the README, "Window semantics"):
 *
 * <ul>
 *   <li>Chunks are placed by their stream index, so gaps and overlaps are exact.
 *   <li>A window is emitted as soon as the device's own data covers it; a device that uploads a
 *       backlog minutes late loses nothing, however far other devices are ahead.
 *   <li>A gap inside the device's data (later data already arrived) is declared missing once the
 *       device's own later data is the allowed lateness past the gap's end, or the watermark (Kafka
 *       append time) is the allowed lateness past the append time of the first chunk after it;
 *       until then a chunk filling it is accepted. The windows around it are then emitted
 *       gap-filled with their missing fraction, or dropped as incomplete.
 *   <li>A device that falls silent keeps its partial window until {@link #flush} (idle timeout or
 *       end of input): a pause is not a loss.
 *   <li>Exact resends are {@link ChunkOutcome#DUPLICATE}; differing overlaps {@link
 *       ChunkOutcome#OVERLAP}; data behind the stream head that overlaps nothing accepted is {@link
 *       ChunkOutcome#LATE}.
 *   <li>A device's stream is a sequence of segments. A reboot, a sample-rate change, a clock jump
 *       beyond the tolerance or a silence longer than the maximum gap ({@link StreamLimits}) closes
 *       the current segment as {@link #flush} would and anchors a new one on the chunk: a
 *       well-formed chunk is never refused because the device restarted. Window indices never go
 *       back across segments: windows of a new segment at or before one the device already closed
 *       are skipped and counted, so a window's idempotency key (device, start) is never reused.
 *   <li>Every chunk's cost is bounded: a gap is at most the maximum gap long, and a device holds at
 *       most {@link StreamLimits#maxPendingChunks()} chunks behind its gaps.
 * </ul>
 *
 * <p>The assembler holds no per-device data itself: every call takes the device's {@link
 * DeviceStreamState}, which the caller keeps in keyed state. Not thread-safe.
 */
public final class DeviceWindowAssembler {

    /**
     * A device's smoothed clock disagreement beyond which its anchor slips one input sample ({@link
     * #followClock}): above the jitter of chunk timestamps taken after a radio link, far below
     * anything the encoder's 10-s windows notice.
     */
    static final long CLOCK_SLIP_MICROS = 20_000;

    /** Chunks over which the clock disagreement is smoothed (an exponential average). */
    static final double CLOCK_SMOOTHING_CHUNKS = 16;

    /**
     * The most one chunk's disagreement counts beyond the average: one stray timestamp (a chunk
     * retransmitted and stamped late, say 0.9 s off, still within the clock tolerance) moves the
     * average by at most 250 / 16 = 16 ms, under {@link #CLOCK_SLIP_MICROS}, so it does not slip
     * the stream and slip it back. A real drift moves far less per chunk (1 % over 10-s chunks is
     * 100 ms).
     */
    static final double CLOCK_STEP_LIMIT_MICROS = 250_000;

    /** Accepted chunks remembered for resend detection. */
    static final int RECENT_CHUNKS = 128;

    private final WindowSpec spec;
    private final StreamLimits limits;
    private final boolean emitAheadOfGaps;
    private final WindowPhase unrecordedPhase;

    /**
     * Resampling engines kept at once. Each input rate has its own (a kernel and a phase-weight
     * table: up to about a megabyte at 250 Hz once every phase has been seen), and the validator
     * accepts any rate in its range, so a fleet or a faulty firmware sending many distinct rates
     * would otherwise grow this without bound. Engines hold no device state (that is in each
     * device's {@link StreamingResampler.State}), so one evicted and rebuilt later gives the same
     * samples bit for bit, only recomputing its tables. Real fleets mix a handful of rates. The
     * first eight rates seen stay (they are scanned in front of the map, see {@link #resampler});
     * the other eight places go to the most recently used of the rest.
     */
    static final int MAX_ENGINES = 16;

    private final Map<Double, StreamingResampler> resamplers =
            new LinkedHashMap<>(32, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<Double, StreamingResampler> eldest) {
                    // Evicts the least recently looked-up engine that is not one of the eight
                    // scanned first: those are found without touching this map, so its access
                    // order says nothing about them (and they are at most eight).
                    if (size() > MAX_ENGINES) {
                        for (var it = values().iterator(); it.hasNext(); ) {
                            if (!scanned(it.next())) {
                                it.remove();
                                break;
                            }
                        }
                    }
                    return false;
                }
            };
    private final long[] recentRateBits = new long[8];
    private final StreamingResampler[] recentEngines = new StreamingResampler[8];
    private int recentRates;
    private float[] scratch = new float[0];

    public DeviceWindowAssembler(WindowSpec spec) {
        this(spec, StreamLimits.DEFAULTS);
    }

    public DeviceWindowAssembler(WindowSpec spec, StreamLimits limits) {
        this(spec, limits, true);
    }

    /**
     * @param emitAheadOfGaps whether windows clear of a gap are emitted before it closes (the job:
     *     latency) or strictly in stream order (offline dataset building: the same windows, in a
     *     reproducible order)
     */
    public DeviceWindowAssembler(WindowSpec spec, StreamLimits limits, boolean emitAheadOfGaps) {
        this(spec, limits, emitAheadOfGaps, spec.phase());
    }

    /**
     * @param unrecordedPhase the grid of a device whose state was written before states recorded
     *     their grid ({@link DeviceStreamState#gridPhase} null): the phase the job that wrote it
     *     ran with, so that its open windows complete where they started. Its next segment takes
     *     the spec's phase.
     */
    public DeviceWindowAssembler(
            WindowSpec spec,
            StreamLimits limits,
            boolean emitAheadOfGaps,
            WindowPhase unrecordedPhase) {
        if (unrecordedPhase == null) {
            throw new IllegalArgumentException("unrecordedPhase must not be null");
        }
        this.spec = spec;
        this.limits = limits;
        this.emitAheadOfGaps = emitAheadOfGaps;
        this.unrecordedPhase = unrecordedPhase;
    }

    /** An assembler that emits every window in stream order (see the three-argument form). */
    public static DeviceWindowAssembler inStreamOrder(WindowSpec spec) {
        return new DeviceWindowAssembler(spec, StreamLimits.DEFAULTS, false);
    }

    public WindowSpec spec() {
        return spec;
    }

    public StreamLimits limits() {
        return limits;
    }

    /** Starts a device's state from its first chunk. */
    public DeviceStreamState newState(ChunkRecord first) {
        DeviceStreamState s = new DeviceStreamState();
        s.deviceId = first.deviceId;
        s.hashVersion = ContentHash.XXH64;
        anchor(s, first, Long.MIN_VALUE);
        return s;
    }

    /**
     * Starts a device's state from its first chunk after an earlier state of it was flushed and
     * forgotten (idle, end of input): windows starting before {@code closedBeforeMicros} (its
     * {@link #closedBeforeMicros}) were that state's to close and are never emitted again, so a
     * resend arriving after the idle timeout cannot emit a window key a second time. Windows
     * skipped so are reported to {@code out}.
     */
    public DeviceStreamState newState(
            ChunkRecord first, long closedBeforeMicros, WindowListener out) {
        DeviceStreamState s = new DeviceStreamState();
        s.deviceId = first.deviceId;
        s.hashVersion = ContentHash.XXH64;
        long phaseMicros = spec.phaseMicros(spec.phaseSamples(first.deviceId));
        long closedBefore =
                Math.floorDiv(
                        closedBeforeMicros - phaseMicros + spec.hopMicros() - 1, spec.hopMicros());
        long skipped = anchor(s, first, closedBefore);
        if (skipped > 0) {
            out.windowsSkipped(s.deviceId, skipped);
        }
        return s;
    }

    /**
     * Start of the first window {@code s} has not closed: where a state that succeeds it after it
     * is forgotten must begin (see {@link #newState(ChunkRecord, long, WindowListener)}).
     */
    public long closedBeforeMicros(DeviceStreamState s) {
        long open = firstOpenWindow(s);
        if (!builtUnderThisGeometry(s)) {
            return Math.round(open * s.gridHopSamples * 1e6 / s.gridModelRateHz)
                    + Math.round((s.gridPhase == null ? 0 : s.gridPhase) * 1e6 / s.gridModelRateHz);
        }
        return spec.windowStartMicros(open, phaseOf(s));
    }

    /** The first window index neither closed nor emitted ahead of a gap. */
    private static long firstOpenWindow(DeviceStreamState s) {
        long open = s.nextWindow;
        if (s.emittedAhead != null) {
            for (long k : s.emittedAhead) {
                open = Math.max(open, k + 1);
            }
        }
        return open;
    }

    /**
     * Anchors a (new) segment on its first chunk. Windows before {@code closedBefore} were already
     * closed by an earlier segment and are never considered again.
     */
    private long anchor(DeviceStreamState s, ChunkRecord first, long closedBefore) {
        s.sampleRateHz = first.sampleRateHz;
        s.anchorMicros =
                first.firstSampleTimeMicros
                        - Math.round(first.firstSampleIndex * 1e6 / first.sampleRateHz);
        s.segmentStartMicros = first.firstSampleTimeMicros;
        s.clockOffsetMicros = 0;
        s.clockSlipMicros = 0;
        s.recordingEnd = 0;
        s.recordingClosed = false;
        s.segmentWindows = 0;
        s.segmentFirstWindowMicros = Long.MAX_VALUE;
        s.segmentLastWindowEndMicros = Long.MIN_VALUE;
        // A new segment takes the configured grid. Its window indices still never go back
        // (closedBefore), and since a phase is less than a hop, start times stay increasing across
        // a change of grid: a window's key (device, start) is never reused.
        s.gridPhase = spec.phaseSamples(s.deviceId);
        s.gridModelRateHz = spec.modelRateHz();
        s.gridWindowSamples = spec.windowSamples();
        s.gridHopSamples = spec.hopSamples();
        StreamingResampler r = resampler(first.sampleRateHz);
        s.resampler = r.newState(s.anchorMicros, first.firstSampleIndex);
        // Windows starting so early that the stream's start alone makes them too incomplete are
        // not considered at all: the device was not yet sending, nothing was lost.
        long firstWindow = firstWindow(s, s.resampler.nextOut);
        s.nextWindow = Math.max(firstWindow, closedBefore);
        s.windowBuffer = new float[spec.windowSamples()];
        Arrays.fill(s.windowBuffer, Float.NaN);
        s.recentIndex = new long[RECENT_CHUNKS];
        s.recentLength = new int[RECENT_CHUNKS];
        s.recentHash = new long[RECENT_CHUNKS];
        s.recentNext = 0;
        Arrays.fill(s.recentIndex, -1L);
        s.opening = new PendingChunk[0];
        s.segmentClosedBefore = closedBefore;
        return closedBefore == Long.MIN_VALUE ? 0 : Math.max(0, closedBefore - firstWindow);
    }

    /** Input index of the current segment's first sample, from its start time and anchor. */
    private static long segmentFirstIndex(DeviceStreamState s) {
        return Math.round(
                (s.segmentStartMicros + s.clockSlipMicros - s.anchorMicros) * s.sampleRateHz / 1e6);
    }

    /** The first window a segment whose first output is {@code firstOut} considers at all. */
    private long firstWindow(DeviceStreamState s, long firstOut) {
        long maxMissing = (long) Math.floor(spec.maxMissingFraction() * spec.windowSamples());
        return Math.floorDiv(
                firstOut - phaseOf(s) - maxMissing + spec.hopSamples() - 1, spec.hopSamples());
    }

    /**
     * Windows of the current segment before the ones an earlier segment closed, which it never
     * emits: computed afresh from the segment's first sample, since the resampler has moved on.
     */
    private long skippedWindows(DeviceStreamState s) {
        if (s.segmentClosedBefore == Long.MIN_VALUE) {
            return 0;
        }
        long firstOut =
                resampler(s.sampleRateHz).newState(s.anchorMicros, segmentFirstIndex(s)).nextOut;
        return Math.max(0, s.segmentClosedBefore - firstWindow(s, firstOut));
    }

    /**
     * Offers a chunk. Windows it completes go to the listener. {@code watermarkMicros} is the
     * current event-time watermark (Long.MIN_VALUE if none yet).
     *
     * <p>A chunk that disagrees with the device's current segment (another sample rate; an index
     * that went back with a timestamp that does not match it; a timestamp more than the clock
     * tolerance away from the one its index implies; or a start more than the maximum gap after the
     * device's newest data) starts a new segment (see {@link SegmentCause}) and is accepted. What
     * is refused:
     *
     * <ul>
     *   <li>{@link ChunkOutcome#DUPLICATE}: an exact resend of a chunk of the current segment.
     *   <li>{@link ChunkOutcome#OVERLAP}: samples of the current segment that overlap accepted or
     *       pending samples with different content.
     *   <li>{@link ChunkOutcome#LATE}: samples of the current segment behind its closed stream head
     *       (their gap's lateness expired, or they precede the segment's first chunk after it has
     *       decided a window), or a chunk that matches the device's previous segment (sent before a
     *       reboot, rate change or clock jump and delivered after it). A chunk preceding the
     *       segment's first chunk before any window is decided re-anchors the segment on itself.
     *   <li>{@link ChunkOutcome#INCONSISTENT}: a chunk that would start a segment at or before the
     *       current segment's first sample: time may not run backwards past a segment's start.
     * </ul>
     */
    public Offer offer(
            DeviceStreamState s, ChunkRecord c, long watermarkMicros, WindowListener out) {
        s.migrateLegacyPending();
        if (!builtUnderThisGeometry(s)) {
            restartUnderThisGeometry(s, c, out);
        }
        long start = c.firstSampleIndex;
        long end = start + c.sampleCount();
        long head = StreamingResampler.inputHead(s.resampler);
        SegmentCause cause = null;
        String why = "";
        if (Math.abs(c.sampleRateHz - s.sampleRateHz) > 1e-9 * s.sampleRateHz) {
            cause = SegmentCause.RATE_CHANGE;
            why = "sample rate " + c.sampleRateHz + " Hz after " + s.sampleRateHz + " Hz";
        } else {
            long disagreement = c.firstSampleTimeMicros - timeOfIndex(s, start);
            if (Math.abs(disagreement) > limits.clockToleranceMicros()) {
                cause = start < head ? SegmentCause.REBOOT : SegmentCause.CLOCK_JUMP;
                why =
                        "timestamp "
                                + c.firstSampleTimeMicros
                                + " us is "
                                + disagreement / 1e6
                                + " s off the time index "
                                + start
                                + " has in the current segment";
            } else {
                long newest = Math.max(head, pendingEnd(s));
                if (start - newest > limits.maxGapMicros() * s.sampleRateHz / 1e6) {
                    cause = SegmentCause.LONG_GAP;
                }
            }
        }
        if (s.recordingClosed && (cause != null || end > s.recordingEnd)) {
            // Whatever follows a closed recording (a continuation, a restart) is the next one;
            // a chunk within it is judged as part of it (duplicate, overlap or late).
            cause = SegmentCause.NEW_RECORDING;
        } else if (!s.recordingClosed && s.recordingEnd > 0 && start >= s.recordingEnd) {
            // The next recording (its index running on) while this one's flagged last chunk
            // still waits behind a gap: joining this segment, it was consumed into this
            // recording when the gap gave up, and the next recording lost it. The gap gives up
            // now (the device has moved on), the recording closes, and the chunk starts the next.
            cause = SegmentCause.NEW_RECORDING;
        }
        if (cause != null) {
            if (belongsToPreviousSegment(s, c)) {
                return Offer.of(
                        ChunkOutcome.LATE,
                        "samples ["
                                + start
                                + ", "
                                + end
                                + ") belong to the device's previous segment, closed when a new"
                                + " one started");
            }
            if (cause != SegmentCause.LONG_GAP
                    && cause != SegmentCause.NEW_RECORDING
                    && c.firstSampleTimeMicros <= s.segmentStartMicros) {
                return Offer.of(
                        ChunkOutcome.INCONSISTENT,
                        why
                                + ", and starts at or before the current segment's first sample ("
                                + s.segmentStartMicros
                                + " us)");
            }
            startSegment(s, c, cause, out);
            head = StreamingResampler.inputHead(s.resampler);
        }
        long hash =
                ContentHash.of(
                        s.hashVersion,
                        c.sampleArray(),
                        c.sampleOffset(),
                        c.sampleByteCount(),
                        c.gain,
                        c.baseline);

        if (start < head) {
            for (int i = 0; i < RECENT_CHUNKS; i++) {
                if (s.recentIndex[i] == start
                        && s.recentLength[i] == c.sampleCount()
                        && s.recentHash[i] == hash) {
                    return Offer.of(
                            ChunkOutcome.DUPLICATE,
                            "exact resend of samples [" + start + ", " + end + ")");
                }
            }
            for (int i = 0; i < RECENT_CHUNKS; i++) {
                if (s.recentIndex[i] >= 0
                        && start < s.recentIndex[i] + s.recentLength[i]
                        && s.recentIndex[i] < end) {
                    return Offer.of(
                            ChunkOutcome.OVERLAP,
                            "samples ["
                                    + start
                                    + ", "
                                    + end
                                    + ") overlap accepted samples ["
                                    + s.recentIndex[i]
                                    + ", "
                                    + (s.recentIndex[i] + s.recentLength[i])
                                    + ") with different content");
                }
            }
            if (canReanchorOn(s, start, end)) {
                return reanchor(s, c, hash, watermarkMicros, out);
            }
            return Offer.of(
                    ChunkOutcome.LATE,
                    "samples ["
                            + start
                            + ", "
                            + end
                            + ") are behind the stream head "
                            + head
                            + " (gap already closed after "
                            + spec.allowedLatenessMicros() / 1_000_000.0
                            + " s lateness)");
        }
        for (PendingChunk p : s.pending) {
            long ps = p.index;
            long pe = p.end();
            if (ps == start && pe == end && p.hash == hash) {
                return Offer.of(
                        ChunkOutcome.DUPLICATE,
                        "exact resend of pending samples [" + start + ", " + end + ")");
            }
            if (start < pe && ps < end) {
                return Offer.of(
                        ChunkOutcome.OVERLAP,
                        "samples ["
                                + start
                                + ", "
                                + end
                                + ") overlap pending samples ["
                                + ps
                                + ", "
                                + pe
                                + ")");
            }
        }
        if (start == head && s.pendingCount() == 0 && s.opening == null) {
            // The common case, a chunk that continues the stream with nothing waiting behind a
            // gap: consumed straight from where it was decoded. Through the pending list it
            // would be copied out of its payload, wrapped, inserted and removed again (four
            // allocations per chunk) only to be consumed at once. The segment's first chunks
            // (opening) go the long way: they are kept for re-anchoring.
            if (c.endOfRecording) {
                s.recordingEnd = end;
            }
            followClock(s, c.firstSampleTimeMicros - timeOfIndex(s, start), out);
            consume(
                    s,
                    c.sampleArray(),
                    c.sampleOffset(),
                    c.sampleCount(),
                    c.gain,
                    c.baseline,
                    c.source == null ? 0L : c.source.appendTimeMillis,
                    start,
                    hash,
                    out);
            drain(s, out);
            return Offer.ACCEPTED;
        }
        // Bounded state: rather than hold more chunks behind a gap, give up on the oldest gap now.
        while (s.pendingCount() >= limits.maxPendingChunks()) {
            if (start < s.pending[0].index) {
                // The chunk lies in the oldest gap: only the part of it before the chunk is given
                // up, and the chunk, then at the head, is consumed below (it takes no room).
                // Giving up the whole gap would put the head past the chunk, which would then
                // wait behind it for ever.
                declareMissingUpTo(s, start, out);
                break;
            }
            declareOldestGapMissing(s, out);
        }
        addPending(s, c, hash);
        if (c.endOfRecording) {
            s.recordingEnd = end;
        }
        drain(s, out);
        resolveGaps(s, watermarkMicros, out);
        if (StreamingResampler.inputHead(s.resampler) >= end) {
            return Offer.ACCEPTED;
        }
        if (emitAheadOfGaps) {
            emitAheadOfGap(s, start, end, out);
        }
        return Offer.PENDING;
    }

    /**
     * A gap blocks only the windows it touches. The chunk {@code [start, end)} waits behind a gap;
     * every window whose outputs' whole interpolator support lies in the contiguous run of pending
     * chunks around it is computed now, straight from those samples, and emitted (complete, missing
     * fraction 0). The in-order path later skips it. The values are bit for bit those the in-order
     * path would compute ({@link StreamingResampler#outputAt}), so the output does not depend on
     * the order chunks arrive in. Cost: only windows that overlap the new chunk are examined.
     */
    private void emitAheadOfGap(DeviceStreamState s, long start, long end, WindowListener out) {
        int n = s.pendingCount();
        int at = 0;
        while (at < n && s.pending[at].index != start) {
            at++;
        }
        int first = at;
        while (first > 0 && s.pending[first - 1].end() == s.pending[first].index) {
            first--;
        }
        int last = at;
        while (last + 1 < n && s.pending[last].end() == s.pending[last + 1].index) {
            last++;
        }
        long runStart = s.pending[first].index;
        long runEnd = s.pending[last].end();
        StreamingResampler r = resampler(s.sampleRateHz);
        int hop = spec.hopSamples();
        int w = spec.windowSamples();
        long anchor = s.anchorMicros;
        int phase = phaseOf(s);
        // Windows overlapping the new chunk's outputs, whose support may now be complete.
        long jFrom = outputIndexAtOrAfter(s, start - r.halfWidth());
        long jTo = outputIndexAtOrAfter(s, end + r.halfWidth());
        long kFrom = Math.max(s.nextWindow, Math.floorDiv(jFrom - phase - w + 1, hop));
        long kTo = Math.floorDiv(jTo - phase, hop);
        float[] input = null;
        for (long k = kFrom; k <= kTo; k++) {
            long j0 = k * hop + phase;
            long j1 = j0 + w - 1;
            if (r.supportFirst(anchor, j0) < runStart
                    || r.supportLast(anchor, j1) >= runEnd
                    || Arrays.binarySearch(s.emittedAhead, k) >= 0) {
                continue;
            }
            if (input == null) {
                input = physical(s, first, last);
            }
            float[] values = new float[w];
            for (int i = 0; i < w; i++) {
                values[i] = r.outputAt(anchor, j0 + i, input, runStart);
            }
            long startMicros = spec.windowStartMicros(k, phase);
            emit(
                    s,
                    out,
                    new WindowRecord(
                            s.deviceId,
                            startMicros,
                            startMicros + spec.windowMicros(),
                            values,
                            0f,
                            newestAppendMillis(s, first, last),
                            s.segmentStartMicros));
            s.emittedAhead = insertSorted(s.emittedAhead, k);
        }
    }

    /** The samples of pending chunks {@code first..last} (contiguous) in physical units. */
    private static float[] physical(DeviceStreamState s, int first, int last) {
        long total = s.pending[last].end() - s.pending[first].index;
        float[] values = new float[(int) total];
        int off = 0;
        float[] tmp = new float[0];
        for (int i = first; i <= last; i++) {
            PendingChunk p = s.pending[i];
            int n = p.count();
            if (tmp.length < n) {
                tmp = new float[n];
            }
            Int16Samples.toPhysical(p.samples, p.gain, p.baseline, tmp);
            System.arraycopy(tmp, 0, values, off, n);
            off += n;
        }
        return values;
    }

    private static long newestAppendMillis(DeviceStreamState s, int first, int last) {
        long newest = 0;
        for (int i = first; i <= last; i++) {
            newest = Math.max(newest, s.pending[i].appendMillis);
        }
        return newest;
    }

    /** The first model-rate output index at or after input index {@code n} of the segment. */
    private long outputIndexAtOrAfter(DeviceStreamState s, long n) {
        double t = s.anchorMicros + n * 1e6 / s.sampleRateHz;
        return (long) Math.ceil(t * spec.modelRateHz() / 1e6);
    }

    private static long[] insertSorted(long[] a, long v) {
        int at = -Arrays.binarySearch(a, v) - 1;
        long[] b = new long[a.length + 1];
        System.arraycopy(a, 0, b, 0, at);
        b[at] = v;
        System.arraycopy(a, at, b, at + 1, a.length - at);
        return b;
    }

    /**
     * Whether chunk {@code [start, end)}, behind the stream head and overlapping nothing accepted,
     * precedes the current segment's first chunk while the segment has decided no window yet, and
     * not by more than the maximum gap.
     */
    private boolean canReanchorOn(DeviceStreamState s, long start, long end) {
        if (s.opening == null || s.opening.length == 0) {
            return false;
        }
        long first = s.opening[0].index;
        if (s.previousEndIndex != null
                && first >= s.previousEndIndex
                && start < s.previousEndIndex) {
            // The index ran on into this segment (a next recording, a long silence, a clock
            // jump): samples before the previous segment's end were sent in that segment (a
            // resend of its last chunk, say), not overtaken in this one. Re-anchored on, one took
            // the new recording over: its start moved back and the silence became a gap.
            return false;
        }
        return end <= first && first - start <= limits.maxGapMicros() * s.sampleRateHz / 1e6;
    }

    /**
     * Re-anchors the current segment on {@code c}, which precedes its first chunk: the state is
     * rebuilt as if {@code c} had arrived first and the segment's chunks after it, so the output
     * does not depend on which of a segment's first chunks arrived first. Runs at most once per
     * chunk that overtook the start, and only before the segment's first window is decided.
     */
    private Offer reanchor(
            DeviceStreamState s,
            ChunkRecord c,
            long hash,
            long watermarkMicros,
            WindowListener out) {
        PendingChunk[] held = new PendingChunk[s.opening.length + s.pendingCount()];
        System.arraycopy(s.opening, 0, held, 0, s.opening.length);
        System.arraycopy(s.pending, 0, held, s.opening.length, s.pendingCount());
        long recordingEnd = s.recordingEnd;
        long newestAppend = s.newestAppendTimeMillis;
        long skippedBefore = skippedWindows(s);
        long skipped = anchor(s, c, s.segmentClosedBefore);
        if (skipped > skippedBefore) {
            // The earlier start reaches back over more windows an earlier segment closed: they
            // are skipped too, and counted as the segment's start counted its own.
            out.windowsSkipped(s.deviceId, skipped - skippedBefore);
        }
        s.recordingEnd = recordingEnd;
        s.newestAppendTimeMillis = newestAppend;
        s.pending = held;
        addPending(s, c, hash);
        drain(s, out);
        resolveGaps(s, watermarkMicros, out);
        if (emitAheadOfGaps) {
            for (int i = 0; i < s.pendingCount(); i++) {
                emitAheadOfGap(s, s.pending[i].index, s.pending[i].end(), out);
            }
        }
        return Offer.of(
                ChunkOutcome.ACCEPTED,
                "preceded the segment's first chunk; the segment was re-anchored on it");
    }

    /**
     * Follows a sample clock that drifts against the device's timestamps. Real devices stamp chunks
     * from a synchronised clock while their samples come from a crystal off by tens of ppm (100 ppm
     * is 0.36 s an hour), so the timestamp a chunk carries runs away from the time its index
     * implies, by the clock tolerance within hours, and each device then started a segment ({@code
     * CLOCK_JUMP}) every few hours, dropping the windows it left open (measured: four segments and
     * 6-7 windows in 12 hours at 100 ppm). Instead, the disagreement of the in-order chunks ({@code
     * disagreementMicros}) is smoothed, and once it passes {@link #CLOCK_SLIP_MICROS} the anchor
     * moves by one input sample towards it, as a sample-rate converter following a drifting clock
     * repeats or skips one sample: no segment, no window lost, and windows stay within about that
     * much of the device's clock. Only a chunk that continues the stream with nothing pending gets
     * here (a slip must not move samples already waiting behind a gap), and a stream whose
     * timestamps agree with its index (replays, the recordings the encoder was trained on) never
     * slips. A jump beyond the clock tolerance is still a segment: the smoothing lets a sudden
     * change through only slowly.
     */
    private void followClock(DeviceStreamState s, long disagreementMicros, WindowListener out) {
        double innovation =
                Math.max(
                        -CLOCK_STEP_LIMIT_MICROS,
                        Math.min(
                                CLOCK_STEP_LIMIT_MICROS, disagreementMicros - s.clockOffsetMicros));
        s.clockOffsetMicros += innovation / CLOCK_SMOOTHING_CHUNKS;
        double period = 1e6 / s.sampleRateHz;
        double threshold = Math.max(CLOCK_SLIP_MICROS, period);
        double excess = Math.abs(s.clockOffsetMicros) - threshold;
        if (excess < 0) {
            return;
        }
        // One sample, or as many as bring the offset back under the threshold (at most what
        // the resampler's history always holds): a device on an RC oscillator 1 % off drifts 2.5
        // samples a second at 250 Hz, more than one slip per chunk follows.
        long slip = Math.max(1, Math.round(period));
        long samples =
                Math.min(
                        StreamingResampler.MAX_SLIP_SAMPLES,
                        1 + (long) Math.floor(excess / period));
        long step = s.clockOffsetMicros > 0 ? slip : -slip;
        long delta = step * samples;
        StreamingResampler r = resampler(s.sampleRateHz);
        boolean moved = r.shiftAnchor(s.resampler, delta);
        if (!moved && samples > 1) {
            // Back by several samples may reach before the history held: one now, more later.
            delta = step;
            moved = r.shiftAnchor(s.resampler, delta);
        }
        if (moved) {
            s.anchorMicros += delta;
            s.clockSlipMicros += delta;
            s.clockOffsetMicros -= delta;
            out.clockSlipped(s.deviceId, delta);
        }
    }

    /** Closes the current segment and anchors a new one on {@code c}. */
    private void startSegment(
            DeviceStreamState s, ChunkRecord c, SegmentCause cause, WindowListener out) {
        flush(s, out);
        s.previousAnchorMicros = s.anchorMicros;
        s.previousSampleRateHz = s.sampleRateHz;
        s.previousEndIndex = StreamingResampler.inputHead(s.resampler);
        long skipped = anchor(s, c, s.nextWindow);
        // The flush consumed every pending chunk and the anchor emptied the recent-chunk ring:
        // no stored hash is left, so a state restored from an older release moves to the
        // current hash here.
        s.hashVersion = ContentHash.XXH64;
        out.segmentStarted(s.deviceId, cause, skipped);
    }

    /**
     * Whether {@code c}, which disagrees with the current segment, was sent in the previous one: it
     * fits the previous segment's rate and clock, and, where the device's index ran on into the
     * current segment (a long silence, a clock jump, a recording that continues the count), it
     * precedes the current segment's first sample. A chunk past that on the old clock is new: the
     * silence ended again, or the clock was corrected back, and it starts a segment (by the
     * timestamp alone, a device whose index runs on was refused as late for ever after its second
     * long silence). Where the index went back (a reboot), the two segments' indices overlap and a
     * chunk sent before the reboot may lie past the old head (overtaken on its way), so the clock
     * alone decides.
     */
    private boolean belongsToPreviousSegment(DeviceStreamState s, ChunkRecord c) {
        double rate = s.previousSampleRateHz;
        if (!(rate > 0) || Math.abs(c.sampleRateHz - rate) > 1e-9 * rate) {
            return false;
        }
        long expected = s.previousAnchorMicros + Math.round(c.firstSampleIndex * 1e6 / rate);
        if (Math.abs(c.firstSampleTimeMicros - expected) > limits.clockToleranceMicros()) {
            return false;
        }
        if (s.previousEndIndex == null) {
            return true;
        }
        long firstIndex = segmentFirstIndex(s);
        return firstIndex < s.previousEndIndex || c.firstSampleIndex < firstIndex;
    }

    private static long pendingEnd(DeviceStreamState s) {
        int last = s.pendingCount() - 1;
        return last < 0 ? Long.MIN_VALUE : s.pending[last].end();
    }

    /**
     * Declares gaps missing whose lateness has expired, and emits what that completes. A gap
     * expires when the device's own later data is the allowed lateness past the gap's end (device
     * time), or when the watermark is the allowed lateness past the moment the gap was seen: the
     * Kafka append time of the first chunk after it. The watermark runs on append time, so it is
     * compared with an append time: a device uploading a backlog hours behind its clock gets the
     * same lateness for a chunk overtaken across partitions as a live device does.
     */
    public void resolveGaps(DeviceStreamState s, long watermarkMicros, WindowListener out) {
        s.migrateLegacyPending();
        if (!builtUnderThisGeometry(s)) {
            return; // its next chunk restarts it (offer); a flush drops it
        }
        while (s.pendingCount() > 0) {
            long gapEndMicros = timeOfIndex(s, s.pending[0].index);
            int last = s.pendingCount() - 1;
            long deviceProgressMicros = timeOfIndex(s, s.pending[last].end());
            long lateness = spec.allowedLatenessMicros();
            boolean byDevice = deviceProgressMicros - lateness >= gapEndMicros;
            if (byDevice && s.pending[0].appendMillis > 0) {
                // Appended chunks: the device's progress counts as it reached the broker too. A
                // backlog delivers minutes of device time within a second, and the device's clock
                // alone gave up an overtaken chunk's gap at once, where a live device gets the
                // lateness to fill it (a live device's chunks reach the broker as they end, so
                // for it the two agree).
                long newestAppendMillis = 0;
                for (int i = 0; i <= last; i++) {
                    newestAppendMillis = Math.max(newestAppendMillis, s.pending[i].appendMillis);
                }
                byDevice = newestAppendMillis * 1000 - lateness >= gapSeenMicros(s);
            }
            boolean byWatermark =
                    watermarkMicros != Long.MIN_VALUE
                            && watermarkMicros - lateness >= gapSeenMicros(s);
            if (!byDevice && !byWatermark) {
                return;
            }
            declareOldestGapMissing(s, out);
        }
    }

    /**
     * When the oldest gap was seen, in the watermark's time: the append time of the first chunk
     * after it, or (a chunk without one: offline input) the gap's end in device time.
     */
    private long gapSeenMicros(DeviceStreamState s) {
        long appendMillis = s.pending[0].appendMillis;
        return appendMillis > 0 ? appendMillis * 1000 : timeOfIndex(s, s.pending[0].index);
    }

    /**
     * Fills the oldest gap with missing samples and consumes what follows it. The gap is at most
     * the maximum gap long (a longer one starts a segment), so the work is bounded.
     */
    private void declareOldestGapMissing(DeviceStreamState s, WindowListener out) {
        declareMissingUpTo(s, s.pending[0].index, out);
        drain(s, out);
    }

    /** Fills the stream from its head up to input index {@code index} with missing samples. */
    private void declareMissingUpTo(DeviceStreamState s, long index, WindowListener out) {
        long head = StreamingResampler.inputHead(s.resampler);
        if (index < head) {
            // A pending chunk behind the head could never be consumed, and every loop that gives
            // up gaps would spin on it: fail the record loudly instead of hanging the task.
            throw new IllegalStateException(
                    "device "
                            + s.deviceId
                            + ": input index "
                            + index
                            + " is behind the stream head "
                            + head);
        }
        accept(s, resampler(s.sampleRateHz).pushMissing(s.resampler, index - head), out);
    }

    /**
     * Event time at which the oldest pending gap expires by the watermark, or Long.MAX_VALUE if no
     * chunk is pending. The adapter registers an event-time timer there.
     */
    public long gapExpiryMicros(DeviceStreamState s) {
        s.migrateLegacyPending();
        if (s.pendingCount() == 0 || !builtUnderThisGeometry(s)) {
            // Under another geometry resolveGaps does nothing (the next chunk restarts the
            // device): an expiry here was re-armed at a time the watermark had passed, and the
            // timer fired again for ever.
            return Long.MAX_VALUE;
        }
        return gapSeenMicros(s) + spec.allowedLatenessMicros();
    }

    /**
     * Closes the device's stream: every gap is declared missing and every window that holds data is
     * emitted gap-filled or dropped as incomplete. Used when the device has been idle too long and
     * at the end of a bounded input.
     */
    public void flush(DeviceStreamState s, WindowListener out) {
        s.migrateLegacyPending();
        if (!builtUnderThisGeometry(s)) {
            // Its open windows cannot complete under this geometry (see GEOMETRY_CHANGE).
            return;
        }
        resolveGaps(s, Long.MAX_VALUE, out);
        while (hasData(s.windowBuffer)) {
            closeWindow(s, out);
        }
    }

    private void drain(DeviceStreamState s, WindowListener out) {
        while (s.pendingCount() > 0
                && s.pending[0].index == StreamingResampler.inputHead(s.resampler)) {
            PendingChunk p = s.pending[0];
            if (s.opening != null) {
                s.opening =
                        s.opening.length < limits.maxPendingChunks() ? append(s.opening, p) : null;
            }
            removeFirstPending(s);
            consume(
                    s,
                    p.samples,
                    0,
                    p.samples.length / 2,
                    p.gain,
                    p.baseline,
                    p.appendMillis,
                    p.index,
                    p.hash,
                    out);
        }
        if (s.recordingEnd > 0
                && !s.recordingClosed
                && StreamingResampler.inputHead(s.resampler) >= s.recordingEnd) {
            // The recording's last chunk is consumed: close its windows now, not at the idle
            // timeout. The state stays until then, so a resend is still recognised.
            s.recordingClosed = true;
            flush(s, out);
            out.recordingClosed(
                    new RecordingEnd(
                            s.deviceId,
                            s.segmentStartMicros,
                            s.segmentFirstWindowMicros,
                            s.segmentLastWindowEndMicros,
                            s.segmentWindows));
        }
    }

    /**
     * Consumes {@code n} samples at the stream head (input index {@code index}), int16 at byte
     * {@code offset} of {@code raw}: remembered for resend detection, resampled, and the outputs
     * placed in the device's windows.
     */
    private void consume(
            DeviceStreamState s,
            byte[] raw,
            int offset,
            int n,
            double gain,
            int baseline,
            long appendMillis,
            long index,
            long hash,
            WindowListener out) {
        if (scratch.length < n) {
            scratch = new float[n];
        }
        Int16Samples.toPhysical(raw, offset, n, gain, baseline, scratch);
        s.newestAppendTimeMillis = Math.max(s.newestAppendTimeMillis, appendMillis);
        remember(s, index, n, hash);
        accept(s, resampler(s.sampleRateHz).push(s.resampler, scratch, 0, n), out);
    }

    private void accept(
            DeviceStreamState s, StreamingResampler.Outputs outputs, WindowListener out) {
        float[] v = outputs.values();
        int phase = phaseOf(s);
        for (int i = 0; i < outputs.count(); i++) {
            acceptOutput(s, outputs.first() + i - phase, v[i], out);
        }
    }

    /** {@code j}: the output's index counted from the device's phase (its grid's origin). */
    private void acceptOutput(DeviceStreamState s, long j, float v, WindowListener out) {
        long rel = j - s.nextWindow * spec.hopSamples();
        if (rel < 0) {
            return;
        }
        while (rel >= spec.windowSamples()) {
            closeWindow(s, out);
            rel = j - s.nextWindow * spec.hopSamples();
        }
        s.windowBuffer[(int) rel] = v;
        if (rel == spec.windowSamples() - 1) {
            closeWindow(s, out);
        }
    }

    /** Emits or drops window {@code nextWindow} as it stands, then slides the buffer by one hop. */
    private void closeWindow(DeviceStreamState s, WindowListener out) {
        float[] buf = s.windowBuffer;
        int missing = 0;
        for (float v : buf) {
            if (Float.isNaN(v)) {
                missing++;
            }
        }
        long startMicros = spec.windowStartMicros(s.nextWindow, phaseOf(s));
        float missingFraction = (float) missing / buf.length;
        while (s.emittedAhead.length > 0 && s.emittedAhead[0] < s.nextWindow) {
            s.emittedAhead = Arrays.copyOfRange(s.emittedAhead, 1, s.emittedAhead.length);
        }
        boolean emittedAhead = s.emittedAhead.length > 0 && s.emittedAhead[0] == s.nextWindow;
        if (emittedAhead) {
            // Already emitted from the samples behind a gap: the same values, not again.
            s.emittedAhead = Arrays.copyOfRange(s.emittedAhead, 1, s.emittedAhead.length);
        } else if (missing < buf.length) {
            if (missingFraction > spec.maxMissingFraction()) {
                s.opening = null;
                out.droppedIncomplete(s.deviceId, startMicros, missingFraction);
            } else {
                emit(
                        s,
                        out,
                        new WindowRecord(
                                s.deviceId,
                                startMicros,
                                startMicros + spec.windowMicros(),
                                buf.clone(),
                                missingFraction,
                                s.newestAppendTimeMillis,
                                s.segmentStartMicros));
            }
        }
        int hop = spec.hopSamples();
        System.arraycopy(buf, hop, buf, 0, buf.length - hop);
        Arrays.fill(buf, buf.length - hop, buf.length, Float.NaN);
        s.nextWindow++;
    }

    private static void emit(DeviceStreamState s, WindowListener out, WindowRecord w) {
        // A window is decided: the segment's start is final from here on.
        s.opening = null;
        s.segmentWindows++;
        s.segmentFirstWindowMicros = Math.min(s.segmentFirstWindowMicros, w.windowStartMicros);
        s.segmentLastWindowEndMicros = Math.max(s.segmentLastWindowEndMicros, w.windowEndMicros);
        out.emitted(w);
    }

    private static boolean hasData(float[] buf) {
        for (float v : buf) {
            if (!Float.isNaN(v)) {
                return true;
            }
        }
        return false;
    }

    private long timeOfIndex(DeviceStreamState s, long index) {
        return s.anchorMicros + Math.round(index * 1e6 / s.sampleRateHz);
    }

    /**
     * The phase of the device's current grid in model-rate samples ({@link
     * DeviceStreamState#gridPhase}).
     */
    /**
     * Whether {@code s} was built under this assembler's window geometry (or did not record it).
     */
    public boolean builtUnderThisGeometry(DeviceStreamState s) {
        return s.gridModelRateHz == null
                || (s.gridModelRateHz == spec.modelRateHz()
                        && s.gridWindowSamples == spec.windowSamples()
                        && s.gridHopSamples == spec.hopSamples());
    }

    /**
     * Starts {@code s} afresh on {@code c} under this geometry ({@link
     * SegmentCause#GEOMETRY_CHANGE}): the windows the old geometry left open, and chunks waiting
     * behind a gap, are dropped; windows never start before the first one the old geometry had not
     * closed, so no (device, start) key is emitted twice.
     */
    private void restartUnderThisGeometry(DeviceStreamState s, ChunkRecord c, WindowListener out) {
        double oldRate = s.gridModelRateHz;
        long oldHopMicros = Math.round(s.gridHopSamples * 1e6 / oldRate);
        long oldPhaseMicros = Math.round((s.gridPhase == null ? 0 : s.gridPhase) * 1e6 / oldRate);
        // Start of the first window the old geometry had not closed (nor emitted ahead of a
        // gap), on the new grid rounded up.
        long openFromMicros = firstOpenWindow(s) * oldHopMicros + oldPhaseMicros;
        long newPhaseMicros = spec.phaseMicros(spec.phaseSamples(s.deviceId));
        long closedBefore =
                Math.floorDiv(
                        openFromMicros - newPhaseMicros + spec.hopMicros() - 1, spec.hopMicros());
        s.previousAnchorMicros = s.anchorMicros;
        s.previousSampleRateHz = s.sampleRateHz;
        s.previousEndIndex = StreamingResampler.inputHead(s.resampler);
        s.pending = new PendingChunk[0];
        s.emittedAhead = new long[0];
        long skipped = anchor(s, c, closedBefore);
        s.hashVersion = ContentHash.XXH64;
        out.segmentStarted(s.deviceId, SegmentCause.GEOMETRY_CHANGE, skipped);
    }

    private int phaseOf(DeviceStreamState s) {
        Integer phase = s.gridPhase;
        if (phase == null) {
            // Restored from before grids were recorded: its windows sit on that job's grid.
            phase = spec.phaseSamples(s.deviceId, unrecordedPhase);
            s.gridPhase = phase;
        }
        return phase;
    }

    private StreamingResampler resampler(double inRate) {
        // Looked up once or twice per chunk: scanning the first eight rates seen spares boxing the
        // rate and a map lookup (a fleet mixes a handful of rates, device after device).
        long bits = Double.doubleToRawLongBits(inRate);
        for (int i = 0; i < recentRates; i++) {
            if (recentRateBits[i] == bits) {
                return recentEngines[i];
            }
        }
        StreamingResampler r =
                resamplers.computeIfAbsent(
                        inRate, rate -> new StreamingResampler(rate, spec.modelRateHz()));
        if (recentRates < recentRateBits.length) {
            recentRateBits[recentRates] = bits;
            recentEngines[recentRates++] = r;
        }
        return r;
    }

    private boolean scanned(StreamingResampler engine) {
        for (int i = 0; i < recentRates; i++) {
            if (recentEngines[i] == engine) {
                return true;
            }
        }
        return false;
    }

    /** Resampling engines held now (for tests: bounded by {@link #MAX_ENGINES}). */
    int enginesHeld() {
        return resamplers.size();
    }

    private static void remember(DeviceStreamState s, long index, int length, long hash) {
        s.recentIndex[s.recentNext] = index;
        s.recentLength[s.recentNext] = length;
        s.recentHash[s.recentNext] = hash;
        s.recentNext = (s.recentNext + 1) % RECENT_CHUNKS;
    }

    private static void addPending(DeviceStreamState s, ChunkRecord c, long hash) {
        int n = s.pendingCount();
        int at = 0;
        while (at < n && s.pending[at].index < c.firstSampleIndex) {
            at++;
        }
        PendingChunk[] grown = new PendingChunk[n + 1];
        System.arraycopy(s.pending, 0, grown, 0, at);
        grown[at] =
                new PendingChunk(
                        c.firstSampleIndex,
                        // A copy when read in place: a pending chunk may be held in state for
                        // a while, and the rest of the payload is not needed there.
                        c.samples != null
                                ? c.samples
                                : Arrays.copyOfRange(
                                        c.sampleArray(),
                                        c.sampleOffset(),
                                        c.sampleOffset() + c.sampleByteCount()),
                        c.gain,
                        c.baseline,
                        c.source == null ? 0L : c.source.appendTimeMillis,
                        hash);
        System.arraycopy(s.pending, at, grown, at + 1, n - at);
        s.pending = grown;
    }

    private static PendingChunk[] append(PendingChunk[] a, PendingChunk p) {
        PendingChunk[] b = Arrays.copyOf(a, a.length + 1);
        b[a.length] = p;
        return b;
    }

    private static void removeFirstPending(DeviceStreamState s) {
        s.pending = Arrays.copyOfRange(s.pending, 1, s.pending.length);
    }
}
