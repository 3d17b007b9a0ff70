package io.fmstream.data.sim;

import io.fmstream.schemas.SensorChunk;
import io.fmstream.schemas.SignalType;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Pre-generated chunks for load tests: a bounded set of template streams (a few minutes each, one
 * device per template) whose chunks a load generator re-emits, under any number of device ids and
 * stream positions, by rewriting only the identity fields: no waveform math per emitted chunk, and
 * the sample bytes are shared (through read-only views) rather than copied.
 *
 * <p>Emitted chunk {@code seq} of a virtual device carries template chunk {@code seq mod
 * chunkCount} (the template loops, with a small discontinuity at the seam), {@code firstSampleIndex
 * = seq × samplesPerChunk} and the device-time rule of {@link SimulatedDevice#sampleTimeMicros}, so
 * each virtual stream is gap-free and internally consistent. Its ground truth is the template
 * chunk's, relocated. Immutable and thread-safe once built.
 */
public final class ChunkTemplates {

    private static final long STREAM_TEMPLATE = 0x7E3B1A7EL;

    /** One template stream: its chunks' samples and ground truth. Immutable. */
    public static final class Template {
        private final double sampleRateHz;
        private final int samplesPerChunk;

        /**
         * Each chunk's int16 little-endian samples; never handed out, only read-only views of them.
         */
        private final List<byte[]> samples;

        private final List<GroundTruthSpan> truths;

        /**
         * @param sampleRateHz native rate
         * @param samplesPerChunk samples in every chunk
         * @param samples each chunk's int16 little-endian samples (copied)
         * @param truths each chunk's ground truth
         */
        public Template(
                double sampleRateHz,
                int samplesPerChunk,
                List<byte[]> samples,
                List<GroundTruthSpan> truths) {
            if (samples.isEmpty() || samples.size() != truths.size()) {
                throw new IllegalArgumentException(
                        "a template needs one ground truth per chunk and >= 1 chunk");
            }
            for (byte[] b : samples) {
                if (b.length != 2 * samplesPerChunk) {
                    throw new IllegalArgumentException(
                            "every chunk needs "
                                    + samplesPerChunk
                                    + " samples, got "
                                    + b.length / 2);
                }
            }
            this.sampleRateHz = sampleRateHz;
            this.samplesPerChunk = samplesPerChunk;
            this.samples = samples.stream().map(byte[]::clone).toList();
            this.truths = List.copyOf(truths);
        }

        public double sampleRateHz() {
            return sampleRateHz;
        }

        public int samplesPerChunk() {
            return samplesPerChunk;
        }

        public int chunkCount() {
            return samples.size();
        }

        /**
         * A fresh read-only view of chunk {@code k}'s samples (reading it cannot disturb anyone
         * else's).
         */
        public ByteBuffer samples(int k) {
            return ByteBuffer.wrap(samples.get(k)).asReadOnlyBuffer();
        }

        /**
         * Ground truth of chunk {@code k}, for a device named "template-i" (or as recorded)
         * starting at time 0.
         */
        public GroundTruthSpan truth(int k) {
            return truths.get(k);
        }
    }

    private final List<Template> templates;

    public ChunkTemplates(List<Template> templates) {
        if (templates.isEmpty()) {
            throw new IllegalArgumentException("need at least one template");
        }
        this.templates = List.copyOf(templates);
    }

    /**
     * {@code templateCount} templates of {@code secondsPerTemplate} each (rounded up to whole
     * chunks): template i runs at {@code NATIVE_RATES_HZ[i mod 5]} with a scenario generated from
     * {@code derive(seed, i)} (without its link events: the load generator decides what is lost).
     */
    public static ChunkTemplates generate(
            long seed, int templateCount, double chunkSeconds, double secondsPerTemplate) {
        if (templateCount < 1
                || !(chunkSeconds > 0)
                || !(secondsPerTemplate > 0)
                || Double.isInfinite(chunkSeconds)
                || Double.isInfinite(secondsPerTemplate)) {
            throw new IllegalArgumentException(
                    "need >= 1 template and positive finite durations, got "
                            + templateCount
                            + ", "
                            + chunkSeconds
                            + ", "
                            + secondsPerTemplate);
        }
        List<Template> out = new ArrayList<>(templateCount);
        for (int i = 0; i < templateCount; i++) {
            long deviceSeed = CounterRng.derive(CounterRng.derive(seed, STREAM_TEMPLATE), i);
            double rate =
                    SimulatedFleet.NATIVE_RATES_HZ.get(i % SimulatedFleet.NATIVE_RATES_HZ.size());
            Scenario scenario =
                    Scenario.generate(deviceSeed, Math.round(secondsPerTemplate * 1e6))
                            .withoutLinkEvents();
            SimulatedDevice device =
                    new SimulatedDevice("template-" + i, deviceSeed, rate, 0L, scenario);
            out.add(
                    record(
                            device,
                            SimulatedFleet.samplesPerChunk(chunkSeconds, rate),
                            (int) Math.ceil(secondsPerTemplate / chunkSeconds - 1e-9)));
        }
        return new ChunkTemplates(out);
    }

    /**
     * Records {@code chunkCount} chunks of {@code device} (from its current position) as a
     * template.
     */
    public static Template record(SimulatedDevice device, int samplesPerChunk, int chunkCount) {
        if (chunkCount < 1) {
            throw new IllegalArgumentException("chunkCount must be >= 1, got " + chunkCount);
        }
        List<byte[]> samples = new ArrayList<>(chunkCount);
        List<GroundTruthSpan> truths = new ArrayList<>(chunkCount);
        for (int k = 0; k < chunkCount; k++) {
            long from = device.sampleIndex();
            SensorChunk c = device.nextChunk(samplesPerChunk);
            byte[] bytes = new byte[c.getSamples().remaining()];
            c.getSamples().duplicate().get(bytes);
            samples.add(bytes);
            truths.add(device.groundTruth(from, from + samplesPerChunk).withDroppedFraction(0.0));
        }
        return new Template(device.sampleRateHz(), samplesPerChunk, samples, truths);
    }

    public int size() {
        return templates.size();
    }

    public Template template(int i) {
        return templates.get(i);
    }

    /**
     * Chunk {@code seq} of a virtual device {@code deviceId} whose stream starts at {@code
     * streamStartMicros}, cut from template {@code templateIndex}. Costs one object and a buffer
     * view, no signal generation.
     */
    public SensorChunk emit(int templateIndex, String deviceId, long seq, long streamStartMicros) {
        Objects.requireNonNull(deviceId, "deviceId");
        Template t = templates.get(templateIndex);
        long first = firstSampleIndex(t, seq);
        // The all-args constructor skips the builder's per-field validation and default handling.
        return new SensorChunk(
                deviceId,
                SignalType.ECG,
                "",
                t.sampleRateHz(),
                sampleTime(t, streamStartMicros, first),
                first,
                t.samples(chunkOf(t, seq)),
                SimulatedDevice.GAIN,
                SimulatedDevice.BASELINE,
                SimulatedDevice.UNIT,
                false);
    }

    /**
     * Ground truth of {@link #emit emitted} chunk {@code seq}: the template chunk's labels under
     * the new identity.
     */
    public GroundTruthSpan truth(
            int templateIndex, String deviceId, long seq, long streamStartMicros) {
        Template t = templates.get(templateIndex);
        long first = firstSampleIndex(t, seq);
        return t.truth(chunkOf(t, seq))
                .relocated(
                        deviceId,
                        sampleTime(t, streamStartMicros, first),
                        sampleTime(t, streamStartMicros, first + t.samplesPerChunk()));
    }

    private static long firstSampleIndex(Template t, long seq) {
        if (seq < 0) {
            throw new IllegalArgumentException("seq must be >= 0, got " + seq);
        }
        return Math.multiplyExact(seq, (long) t.samplesPerChunk());
    }

    private static int chunkOf(Template t, long seq) {
        return (int) (seq % t.chunkCount());
    }

    private static long sampleTime(Template t, long start, long n) {
        return start + Math.round(n * 1e6 / t.sampleRateHz());
    }
}
