package io.fmstream.data.sim;

import io.fmstream.schemas.SensorChunk;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The link between one simulated device and the backend: cuts the device's stream into fixed-size
 * chunks and decides, from the device's {@link Scenario}, which chunks are sent and when.
 *
 * <ul>
 *   <li>A chunk is complete ("recorded") once its last sample is, i.e. at the time of the next
 *       sample.
 *   <li>A chunk with any sample inside a drop-out is lost: never sent. Its samples are skipped, not
 *       generated, and the next chunk keeps its own stream index, so the backend sees a gap.
 *   <li>A chunk completed during an offline period is held back and sent when the period ends,
 *       together with the rest of the backlog, in order.
 *   <li>Otherwise a chunk is sent as soon as it is complete.
 *   <li>With {@link LinkFaults}, single chunks are also lost at random, and after a reboot the sent
 *       index restarts at 0 (after a clock jump every timestamp is off by the jump).
 * </ul>
 *
 * Send times never decrease along the stream, so {@link #poll} returns each sent chunk exactly
 * once, in stream order. Chunks are generated only when sent (a backlog costs no memory while
 * held). The device is told to forget beats older than {@code historyMicros} before the chunk being
 * sent, which bounds memory on long runs and bounds how far back {@link #groundTruth} can look. Not
 * thread-safe.
 */
public final class DeviceUplink {

    /** Default span of beat history kept for ground-truth queries. */
    public static final long DEFAULT_HISTORY_MICROS = 600_000_000L;

    private final SimulatedDevice device;
    private final int samplesPerChunk;
    private final long historyMicros;

    /** Null for a profile-driven device, which has no link events. */
    private final Scenario scenario;

    private LinkFaults faults = LinkFaults.NONE;
    private SpotChecks spotChecks;
    private long nextChunk;
    private long sentCount;
    private long droppedCount;

    public DeviceUplink(SimulatedDevice device, int samplesPerChunk) {
        this(device, samplesPerChunk, DEFAULT_HISTORY_MICROS);
    }

    /**
     * @param device a device that has not produced any samples yet
     * @param samplesPerChunk samples per chunk, {@code >= 1}
     * @param historyMicros how much beat history to keep behind the chunk being sent, {@code >= 0}
     */
    public DeviceUplink(SimulatedDevice device, int samplesPerChunk, long historyMicros) {
        this.device = Objects.requireNonNull(device, "device");
        if (samplesPerChunk < 1 || historyMicros < 0) {
            throw new IllegalArgumentException(
                    "need samplesPerChunk >= 1 and historyMicros >= 0, got "
                            + samplesPerChunk
                            + ", "
                            + historyMicros);
        }
        if (device.sampleIndex() != 0) {
            throw new IllegalArgumentException(
                    "device "
                            + device.deviceId()
                            + " already produced "
                            + device.sampleIndex()
                            + " samples; the uplink must own its stream from the start");
        }
        this.samplesPerChunk = samplesPerChunk;
        this.historyMicros = historyMicros;
        this.scenario = device.isScenarioDriven() ? device.scenario() : null;
    }

    /**
     * Adds link and firmware faults (lost chunks, a reboot, a clock jump); before the first poll.
     */
    public DeviceUplink withFaults(LinkFaults faults) {
        if (nextChunk != 0) {
            throw new IllegalStateException("faults must be set before the first poll");
        }
        this.faults = java.util.Objects.requireNonNull(faults, "faults");
        return this;
    }

    public LinkFaults faults() {
        return faults;
    }

    /** Makes this a spot-check device (see {@link SpotChecks}); before the first poll. */
    public DeviceUplink withSpotChecks(SpotChecks spotChecks) {
        if (nextChunk != 0) {
            throw new IllegalStateException("spot checks must be set before the first poll");
        }
        this.spotChecks = java.util.Objects.requireNonNull(spotChecks, "spotChecks");
        return this;
    }

    /** The spot-check schedule, or null for a device that records all the time. */
    public SpotChecks spotChecks() {
        return spotChecks;
    }

    public SimulatedDevice device() {
        return device;
    }

    public String deviceId() {
        return device.deviceId();
    }

    public int samplesPerChunk() {
        return samplesPerChunk;
    }

    /** Number of the next chunk {@link #poll} will consider. */
    public long nextChunkIndex() {
        return nextChunk;
    }

    /** Chunks sent so far. */
    public long sentCount() {
        return sentCount;
    }

    /** Chunks lost in drop-outs so far. */
    public long droppedCount() {
        return droppedCount;
    }

    /**
     * Time at which chunk {@code k} is complete: the time of the sample after its last, on the
     * clock that stamps the chunks (with a drifting sample clock, sample time runs ahead of or
     * behind it, and a chunk stamped at t is complete at t, not at its sample time).
     */
    public long recordedAtMicros(long k) {
        long sampleTime = device.sampleTimeMicros((k + 1) * samplesPerChunk);
        return sampleTime + faults.driftMicros(sampleTime - device.startTimeMicros());
    }

    /** Whether chunk {@code k} has a sample in a drop-out, and so is never sent. */
    public boolean isDropped(long k) {
        if (faults.lost(k) || (spotChecks != null && !spotChecks.recorded(k))) {
            return true;
        }
        if (scenario == null) {
            return false;
        }
        long first = device.sampleTimeMicros(k * samplesPerChunk) - device.startTimeMicros();
        long last =
                device.sampleTimeMicros((k + 1) * samplesPerChunk - 1) - device.startTimeMicros();
        return scenario.overlapsDropout(first, last);
    }

    /** Device time at which chunk {@code k} is sent; {@link Long#MAX_VALUE} if it is dropped. */
    public long releaseAtMicros(long k) {
        if (isDropped(k)) {
            return Long.MAX_VALUE;
        }
        long recorded = recordedAtMicros(k);
        if (scenario == null) {
            return recorded;
        }
        long until = scenario.offlineUntil(recorded - device.startTimeMicros());
        return until < 0 ? recorded : device.startTimeMicros() + until;
    }

    /**
     * The chunks sent at or before device time {@code nowMicros} that earlier polls have not
     * returned, in stream order. Dropped chunks that are complete by then are passed over.
     */
    public List<SimulatedChunk> poll(long nowMicros) {
        List<SimulatedChunk> out = new ArrayList<>();
        while (recordedAtMicros(nextChunk) <= nowMicros) {
            long k = nextChunk;
            if (isDropped(k)) {
                device.skip(samplesPerChunk);
                droppedCount++;
                nextChunk++;
                continue;
            }
            long release = releaseAtMicros(k);
            if (release > nowMicros) {
                // Send times never decrease along the stream, so nothing after k is due either.
                break;
            }
            long from = k * samplesPerChunk;
            device.trimHistoryBefore(device.sampleTimeMicros(from) - historyMicros);
            SensorChunk chunk = device.nextChunk(samplesPerChunk);
            GroundTruthSpan truth = groundTruth(from, from + samplesPerChunk);
            long offset =
                    faults.clockOffsetMicros(
                            k, device.sampleTimeMicros(from) - device.startTimeMicros());
            if (offset != 0) {
                // The device's clock is off: its chunks and, so that truth speaks the device's
                // time as the windows do, their ground truth.
                chunk.setFirstSampleTimeMicros(chunk.getFirstSampleTimeMicros() + offset);
                truth =
                        truth.relocated(
                                truth.deviceId(),
                                truth.startMicros() + offset,
                                truth.endMicros() + offset);
            }
            chunk.setFirstSampleIndex(faults.sentIndex(k, from, samplesPerChunk));
            if (spotChecks != null) {
                // Each recording is its own stream: index from 0, the last chunk flagged. A
                // reboot inside a recording restarts the index again: the later restart counts.
                chunk.setFirstSampleIndex(
                        Math.min(
                                chunk.getFirstSampleIndex(),
                                from - spotChecks.recordingStart(k) * samplesPerChunk));
                chunk.setEndOfRecording(spotChecks.last(k));
            }
            out.add(new SimulatedChunk(chunk, truth, k, recordedAtMicros(k), release));
            sentCount++;
            nextChunk++;
        }
        return out;
    }

    /**
     * Device time of the next send (of chunk {@link #nextChunkIndex()} or, if that one is dropped,
     * the first chunk after it that is not).
     */
    public long nextReleaseMicros() {
        long k = nextChunk;
        // Every drop-out is a finite span, so this loop ends after the chunks it covers.
        while (isDropped(k)) {
            k++;
        }
        return releaseAtMicros(k);
    }

    /**
     * Ground truth of samples [fromIndex, toIndex) as the backend receives them: as {@link
     * SimulatedDevice#groundTruth}, but the dropped fraction counts the samples of lost chunks.
     */
    public GroundTruthSpan groundTruth(long fromIndex, long toIndex) {
        GroundTruthSpan truth = device.groundTruth(fromIndex, toIndex);
        long dropped = 0;
        for (long k = fromIndex / samplesPerChunk; k * samplesPerChunk < toIndex; k++) {
            if (isDropped(k)) {
                long a = Math.max(fromIndex, k * samplesPerChunk);
                long b = Math.min(toIndex, (k + 1) * samplesPerChunk);
                dropped += b - a;
            }
        }
        return truth.withDroppedFraction((double) dropped / (toIndex - fromIndex));
    }
}
