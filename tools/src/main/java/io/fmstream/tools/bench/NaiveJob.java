package io.fmstream.tools.bench;

import io.fmstream.core.model.EncoderRunner;
import io.fmstream.core.model.HeadRunner;
import io.fmstream.core.model.ModelBundle;
import io.fmstream.core.records.SourceRef;
import io.fmstream.core.signal.Int16Samples;
import io.fmstream.core.signal.StreamingResampler;
import io.fmstream.core.signal.WindowNormaliser;
import io.fmstream.schemas.SensorChunk;
import io.fmstream.schemas.codec.RecordCodec;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.SlidingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/**
 * The job as it is usually first written, the non-encoder baseline of the benchmark: chunks decoded
 * in a map, Flink's generic sliding event-time windows (10 s every 5 s) holding the chunks in list
 * state, one encoder call per window inside the window function (resampling, z-score), and each
 * head a separate map calling the model per record. Competent, not a strawman: same bundle, same
 * ONNX Runtime session sharing, one thread per slot; what it lacks is fmstream's streaming window
 * assembly and micro-batching.
 *
 * <p>Two resamplings ({@link Resampling}): linear interpolation, what such a job is first written
 * with, though it is not the preprocessing the bundle's encoder was trained on; and the bundle's
 * own band-limited (sinc) resampling, per window, through the same resampler class the job uses.
 * The first is the cheaper baseline; the second does the same signal work per output sample as
 * fmstream, which computes each output once where this job computes it once per window holding it
 * (twice at a 5 s hop).
 */
public final class NaiveJob {

    private NaiveJob() {}

    /** How the window function puts a window's chunks onto the model's sample grid. */
    public enum Resampling {
        /** Linear interpolation between neighbouring input samples: no anti-aliasing filter. */
        LINEAR,
        /** The bundle's resampling (windowed sinc), with {@link StreamingResampler}, per window. */
        SINC
    }

    /** A decoded chunk: device, first sample time, rate and samples in physical units. */
    public static final class Chunk {
        public String deviceId;
        public long firstSampleMicros;
        public double rateHz;
        public float[] samples;

        public Chunk() {}
    }

    /** A window's embedding. */
    public static final class Embedded {
        public String deviceId;
        public long windowStartMicros;
        public float[] embedding;

        public Embedded() {}
    }

    /** A head's output for a window. */
    public static final class Output {
        public String deviceId;
        public long windowStartMicros;
        public String task;
        public float[] scores;

        public Output() {}
    }

    /** The windows (one per embedding) and every head's outputs. */
    public record Streams(DataStream<Embedded> windows, DataStream<Output> outputs) {}

    public static Streams build(
            StreamExecutionEnvironment env,
            List<SourceRef> input,
            Path bundleDir,
            int threads,
            Resampling resampling) {
        List<String> tasks;
        int windowSamples;
        double modelRate;
        try (ModelBundle b = ModelBundle.load(bundleDir, threads)) {
            tasks = b.heads().stream().map(HeadRunner::task).toList();
            windowSamples = b.encoder().inputLength();
            modelRate = b.manifest().inputSampleRateHz();
        }
        String bundle = bundleDir.toString();
        DataStream<Chunk> chunks =
                RecordedSensorSource.inThisJvm(env, input)
                        .map(new Decode(), TypeInformation.of(Chunk.class))
                        .name("Decode")
                        .assignTimestampsAndWatermarks(
                                WatermarkStrategy.<Chunk>forBoundedOutOfOrderness(
                                                Duration.ofSeconds(5))
                                        .withTimestampAssigner(
                                                (c, ts) -> c.firstSampleMicros / 1000));
        DataStream<Embedded> windows =
                chunks.keyBy(c -> c.deviceId, TypeInformation.of(String.class))
                        .window(
                                SlidingEventTimeWindows.of(
                                        Duration.ofSeconds(10), Duration.ofSeconds(5)))
                        .process(
                                new EmbedWindow(
                                        bundle, threads, windowSamples, modelRate, resampling),
                                TypeInformation.of(Embedded.class))
                        .name("Window and embed");
        DataStream<Output> outputs = null;
        for (String task : tasks) {
            DataStream<Output> head =
                    windows.map(new Head(bundle, threads, task), TypeInformation.of(Output.class))
                            .name("Head " + task);
            outputs = outputs == null ? head : outputs.union(head);
        }
        return new Streams(windows, outputs);
    }

    /** Avro to samples; a codec per instance (codecs reuse their buffers). */
    private static final class Decode extends RichMapFunction<SourceRef, Chunk> {
        private transient RecordCodec<SensorChunk> codec;

        @Override
        public void open(OpenContext context) {
            codec = RecordCodec.forType(SensorChunk.class);
        }

        @Override
        public Chunk map(SourceRef ref) throws Exception {
            SensorChunk s = codec.decode(ref.payload);
            Chunk c = new Chunk();
            c.deviceId = s.getDeviceId().toString();
            c.firstSampleMicros = s.getFirstSampleTimeMicros();
            c.rateHz = s.getSampleRateHz();
            ByteBuffer raw = s.getSamples();
            byte[] bytes = new byte[raw.remaining()];
            raw.get(bytes);
            c.samples = new float[bytes.length / 2];
            Int16Samples.toPhysical(bytes, s.getGain(), s.getBaseline(), c.samples);
            return c;
        }
    }

    /** Sorts the window's chunks, resamples them onto the model's grid, z-scores, embeds one. */
    static final class EmbedWindow
            extends ProcessWindowFunction<Chunk, Embedded, String, TimeWindow> {
        private final String bundleDir;
        private final int threads;
        private final int windowSamples;
        private final double modelRate;
        private final Resampling resampling;
        private transient ModelBundle bundle;
        private transient EncoderRunner encoder;

        /** One resampler engine per input rate, built once (its kernel and phase tables). */
        private transient Map<Double, StreamingResampler> resamplers;

        EmbedWindow(
                String bundleDir,
                int threads,
                int windowSamples,
                double modelRate,
                Resampling resampling) {
            this.bundleDir = bundleDir;
            this.threads = threads;
            this.windowSamples = windowSamples;
            this.modelRate = modelRate;
            this.resampling = resampling;
        }

        @Override
        public void open(OpenContext context) {
            bundle = ModelBundle.load(Path.of(bundleDir), threads);
            encoder = bundle.encoder();
            resamplers = new HashMap<>();
        }

        @Override
        public void close() {
            if (bundle != null) {
                bundle.close();
            }
        }

        @Override
        public void process(
                String device, Context ctx, Iterable<Chunk> elements, Collector<Embedded> out) {
            List<Chunk> chunks = new ArrayList<>();
            elements.forEach(chunks::add);
            chunks.sort(Comparator.comparingLong(c -> c.firstSampleMicros));
            long startMicros = ctx.window().getStart() * 1000;
            float[] window = new float[windowSamples];
            java.util.Arrays.fill(window, Float.NaN);
            int covered =
                    resampling == Resampling.SINC
                            ? resampleSinc(chunks, startMicros, window, modelRate, resamplers)
                            : resampleLinear(chunks, startMicros, window);
            if (covered < 0.8 * windowSamples) {
                return; // too little of the window: not embedded, as fmstream drops it too
            }
            float[] input = new float[windowSamples];
            WindowNormaliser.zscore(window, input, 0);
            Embedded e = new Embedded();
            e.deviceId = device;
            e.windowStartMicros = startMicros;
            e.embedding = encoder.embed(new float[][] {input})[0];
            out.collect(e);
        }

        /**
         * The window's samples by linear interpolation, each output looking for the chunk that
         * holds its time; returns how many it found.
         */
        private int resampleLinear(List<Chunk> chunks, long startMicros, float[] window) {
            int covered = 0;
            for (int i = 0; i < windowSamples; i++) {
                double t = startMicros + i * 1e6 / modelRate;
                for (Chunk c : chunks) {
                    double pos = (t - c.firstSampleMicros) * c.rateHz / 1e6;
                    if (pos >= 0 && pos <= c.samples.length - 1) {
                        int k = (int) pos;
                        double f = pos - k;
                        window[i] =
                                (float)
                                        (k + 1 < c.samples.length
                                                ? c.samples[k] * (1 - f) + c.samples[k + 1] * f
                                                : c.samples[k]);
                        covered++;
                        break;
                    }
                }
            }
            return covered;
        }

        /**
         * The window's samples by the bundle's resampling: the chunks (sorted by time) laid end to
         * end on the first chunk's sample grid (a gap left NaN, missing), pushed through a fresh
         * resampler state, and the outputs that fall in the window kept. Outputs whose filter
         * support reaches past the window's chunks (the first ~0.1 s) are missing, as no earlier
         * chunk is in this window; the job keeps the previous window's samples for that.
         */
        static int resampleSinc(
                List<Chunk> chunks,
                long startMicros,
                float[] window,
                double modelRate,
                Map<Double, StreamingResampler> resamplers) {
            Chunk first = chunks.get(0);
            double rate = first.rateHz;
            StreamingResampler r =
                    resamplers.computeIfAbsent(rate, in -> new StreamingResampler(in, modelRate));
            long end = 0;
            for (Chunk c : chunks) {
                end = Math.max(end, offset(c, first, rate) + c.samples.length);
            }
            float[] input = new float[(int) end];
            java.util.Arrays.fill(input, Float.NaN);
            for (Chunk c : chunks) {
                System.arraycopy(
                        c.samples, 0, input, (int) offset(c, first, rate), c.samples.length);
            }
            StreamingResampler.Outputs o =
                    r.push(r.newState(first.firstSampleMicros, 0), input, 0, input.length);
            // The window's first output on the model's epoch grid (see StreamingResampler).
            long j0 = Math.round(startMicros * modelRate / 1e6);
            int covered = 0;
            for (int i = 0; i < window.length; i++) {
                long k = j0 + i - o.first();
                if (k >= 0 && k < o.count() && !Float.isNaN(o.values()[(int) k])) {
                    window[i] = o.values()[(int) k];
                    covered++;
                }
            }
            return covered;
        }

        private static long offset(Chunk c, Chunk first, double rate) {
            return Math.round((c.firstSampleMicros - first.firstSampleMicros) * rate / 1e6);
        }
    }

    /** One head, one model call per record. */
    private static final class Head extends RichMapFunction<Embedded, Output> {
        private final String bundleDir;
        private final int threads;
        private final String task;
        private transient ModelBundle bundle;
        private transient HeadRunner head;

        Head(String bundleDir, int threads, String task) {
            this.bundleDir = bundleDir;
            this.threads = threads;
            this.task = task;
        }

        @Override
        public void open(OpenContext context) {
            bundle = ModelBundle.load(Path.of(bundleDir), threads);
            head = bundle.head(task).orElseThrow();
        }

        @Override
        public void close() {
            if (bundle != null) {
                bundle.close();
            }
        }

        @Override
        public Output map(Embedded e) {
            Output o = new Output();
            o.deviceId = e.deviceId;
            o.windowStartMicros = e.windowStartMicros;
            o.task = task;
            o.scores = head.apply(new float[][] {e.embedding})[0];
            return o;
        }
    }
}
