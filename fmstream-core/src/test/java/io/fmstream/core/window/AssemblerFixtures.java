package io.fmstream.core.window;

import io.fmstream.core.records.ChunkRecord;
import io.fmstream.core.records.SourceRef;
import io.fmstream.core.records.WindowRecord;
import java.util.ArrayList;
import java.util.List;

/** Prose-like fixtures for window assembly tests. */
final class AssemblerFixtures {

    static final long SECOND = 1_000_000L;

    /** An epoch time on the 5 s grid. */
    static final long T0 = 1_700_000_000L * SECOND;

    static final long LATENESS = 60 * SECOND;
    static final long NO_WATERMARK = Long.MIN_VALUE;

    static WindowSpec defaultSpec() {
        return new WindowSpec(100.0, 10 * SECOND, 5 * SECOND, LATENESS, 0.2f);
    }

    /**
     * A chunk of {@code count} samples starting at stream index {@code index} of a device whose
     * index 0 is at T0.
     */
    static ChunkRecord chunk(String device, double rate, long index, int count) {
        short[] samples = new short[count];
        for (int i = 0; i < count; i++) {
            long n = index + i;
            double t = n / rate;
            samples[i] =
                    (short)
                            Math.round(
                                    200
                                            * (Math.sin(2 * Math.PI * 1.1 * t)
                                                    + 0.3 * Math.sin(2 * Math.PI * 9 * t)));
        }
        ChunkRecord c = new ChunkRecord();
        c.deviceId = device;
        c.sampleRateHz = rate;
        c.firstSampleIndex = index;
        c.firstSampleTimeMicros = T0 + Math.round(index * 1e6 / rate);
        c.samples = io.fmstream.core.signal.Int16Samples.encode(samples);
        c.gain = 200;
        c.baseline = 0;
        c.source =
                new SourceRef("sensor", 0, index, c.firstSampleTimeMicros / 1000, null, c.samples);
        return c;
    }

    /**
     * The same chunk with its timestamp moved by {@code micros}: the device's clock, not its data.
     */
    static ChunkRecord shiftedClock(ChunkRecord c, long micros) {
        c.firstSampleTimeMicros += micros;
        return c;
    }

    static ChunkRecord withSample(ChunkRecord c, int i, short value) {
        ChunkRecord copy = chunk(c.deviceId, c.sampleRateHz, c.firstSampleIndex, c.sampleCount());
        copy.samples[2 * i] = (byte) value;
        copy.samples[2 * i + 1] = (byte) (value >> 8);
        return copy;
    }

    /** Collects what the assembler decides. */
    /** Offers samples [from, to) in 1-s chunks; starts the state if {@code s} is null. */
    static DeviceStreamState offerAll(
            DeviceWindowAssembler assembler,
            DeviceStreamState s,
            String device,
            long from,
            long to,
            AssemblerFixtures.Collected out) {
        for (long i = from; i < to; i += 100) {
            ChunkRecord c = chunk(device, 100, i, 100);
            if (s == null) {
                s = assembler.newState(c);
            }
            assembler.offer(s, c, NO_WATERMARK, out);
        }
        return s;
    }

    static final class Collected implements WindowListener {
        final List<WindowRecord> windows = new ArrayList<>();
        final List<Long> dropped = new ArrayList<>();
        final List<SegmentCause> segments = new ArrayList<>();
        final List<io.fmstream.core.records.RecordingEnd> recordings = new ArrayList<>();
        long skippedWindows;

        @Override
        public void recordingClosed(io.fmstream.core.records.RecordingEnd end) {
            recordings.add(end);
        }

        @Override
        public void emitted(WindowRecord window) {
            windows.add(window);
        }

        @Override
        public void droppedIncomplete(
                String deviceId, long windowStartMicros, float missingFraction) {
            dropped.add(windowStartMicros);
        }

        @Override
        public void segmentStarted(String deviceId, SegmentCause cause, long skipped) {
            segments.add(cause);
            skippedWindows += skipped;
        }

        @Override
        public void windowsSkipped(String deviceId, long skipped) {
            skippedWindows += skipped;
        }

        long slippedMicros;

        @Override
        public void clockSlipped(String deviceId, long micros) {
            slippedMicros += micros;
        }

        List<Long> startsInSeconds() {
            List<Long> s = new ArrayList<>();
            for (WindowRecord w : windows) {
                s.add((w.windowStartMicros - T0) / SECOND);
            }
            return s;
        }
    }

    private AssemblerFixtures() {}
}
