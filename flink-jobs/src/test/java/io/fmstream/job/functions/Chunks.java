package io.fmstream.job.functions;

import io.fmstream.core.records.ChunkRecord;
import io.fmstream.core.records.SourceRef;
import io.fmstream.core.signal.Int16Samples;

/** Test fixtures: chunks of a synthetic ECG-like signal placed by stream index. */
final class Chunks {
    static final long SECOND_MICROS = 1_000_000L;

    /** Device stream index 0 lies here: an epoch time on the 5 s grid. */
    static final long T0_MICROS = 1_700_000_000L * SECOND_MICROS;

    static final long T0_MILLIS = T0_MICROS / 1000;

    private Chunks() {}

    /**
     * {@code seconds} of data of {@code device} at {@code rate}, starting {@code fromSecond} after
     * T0.
     */
    static ChunkRecord chunk(String device, double rate, double fromSecond, double seconds) {
        long index = Math.round(fromSecond * rate);
        int count = (int) Math.round(seconds * rate);
        short[] samples = new short[count];
        for (int i = 0; i < count; i++) {
            double t = (index + i) / rate;
            samples[i] =
                    (short)
                            Math.round(
                                    200
                                            * (Math.sin(2 * Math.PI * 1.2 * t)
                                                    + 0.2 * Math.sin(2 * Math.PI * 11 * t)));
        }
        ChunkRecord c = new ChunkRecord();
        c.deviceId = device;
        c.sampleRateHz = rate;
        c.firstSampleIndex = index;
        c.firstSampleTimeMicros = T0_MICROS + Math.round(index * 1e6 / rate);
        c.samples = Int16Samples.encode(samples);
        c.gain = 200;
        c.baseline = 0;
        long append = c.endTimeMicros() / 1000;
        c.source = new SourceRef("sensor", 0, index, append, device.getBytes(), c.samples.clone());
        return c;
    }

    /** Event time (Kafka append time, ms) of a chunk: the end of its data. */
    static long appendMillis(ChunkRecord c) {
        return c.source.appendTimeMillis;
    }
}
