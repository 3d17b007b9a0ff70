package io.fmstream.schemas.codec;

import io.fmstream.schemas.DeadLetter;
import io.fmstream.schemas.DeadLetterReason;
import io.fmstream.schemas.EncoderId;
import io.fmstream.schemas.HeadKind;
import io.fmstream.schemas.Prediction;
import io.fmstream.schemas.SensorChunk;
import io.fmstream.schemas.SignalType;
import io.fmstream.schemas.WindowEmbedding;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/** Realistic fmstream records for the codec and schema tests, built the way the jobs build them. */
final class Records {

    static final Instant T0 = Instant.parse("2024-03-01T08:15:30Z");
    static final EncoderId ENCODER =
            new EncoderId(
                    "ecg-fm-small",
                    "1.2.0",
                    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    private static final double MIT_BIH_RATE_HZ = 360.0;
    private static final long WINDOW_MICROS = 10_000_000L;

    private Records() {}

    /** One ECG lead (MLII, 200 ADC units per mV) from {@code device}, starting at {@code t}. */
    static SensorChunk chunk(String device, Instant t, short... samples) {
        return SensorChunk.newBuilder()
                .setDeviceId(device)
                .setSignalType(SignalType.ECG)
                .setChannel("MLII")
                .setSampleRateHz(MIT_BIH_RATE_HZ)
                .setFirstSampleTimeMicros(micros(t))
                .setFirstSampleIndex(360L * 3600)
                .setSamples(int16le(samples))
                .setGain(200.0)
                .setBaseline(1024)
                .setUnit("mV")
                .build();
    }

    /** A beat-like run of {@code n} ADC values around the baseline, with a sharp R peak. */
    static short[] ecgSamples(int n) {
        short[] samples = new short[n];
        for (int i = 0; i < n; i++) {
            double phase = (i % 288) / 288.0;
            double r = Math.exp(-Math.pow((phase - 0.3) / 0.01, 2)) * 220;
            double tWave = Math.exp(-Math.pow((phase - 0.6) / 0.05, 2)) * 60;
            samples[i] = (short) (1024 + r + tWave - 15);
        }
        samples[0] = Short.MIN_VALUE; // extremes survive the int16 encoding
        samples[n - 1] = Short.MAX_VALUE;
        return samples;
    }

    /** The 10-second window starting at {@code start} embedded as {@code vector}. */
    static WindowEmbedding embedding(String device, Instant start, float... vector) {
        return WindowEmbedding.newBuilder()
                .setDeviceId(device)
                .setWindowStartMicros(micros(start))
                .setWindowEndMicros(micros(start) + WINDOW_MICROS)
                .setEncoderId(ENCODER)
                .setPreprocessingId("resample-100hz-sinc/per-window-zscore")
                .setEmbeddingDim(vector.length)
                .setEmbedding(float32le(vector))
                .setMissingFraction(0.0125f)
                .setNewestChunkAppendTimeMillis(start.plusSeconds(10).toEpochMilli())
                .setEmitTimeMillis(start.plusSeconds(10).plusMillis(42).toEpochMilli())
                .build();
    }

    /**
     * A deterministic pseudo-embedding of {@code dim} values in [-1, 1], with the float edge cases.
     */
    static float[] vector(int dim) {
        float[] v = new float[dim];
        for (int i = 0; i < dim; i++) {
            v[i] = (float) Math.sin(i * 0.7) * 0.9f;
        }
        v[0] = -0.0f;
        v[1] = Float.MIN_VALUE;
        v[2] = 1.0f;
        return v;
    }

    /** The rhythm head's verdict on the window starting at {@code start}. */
    static Prediction classification(String device, Instant start, String label, float... scores) {
        List<Float> boxed = new ArrayList<>();
        for (float s : scores) {
            boxed.add(s);
        }
        return prediction(device, start, "rhythm", HeadKind.CLASSIFICATION)
                .setLabel(label)
                .setScores(boxed)
                .build();
    }

    /**
     * The heart-rate head's estimate (beats per minute) for the window starting at {@code start}.
     */
    static Prediction regression(String device, Instant start, double bpm) {
        return prediction(device, start, "heart_rate", HeadKind.REGRESSION).setValue(bpm).build();
    }

    private static Prediction.Builder prediction(
            String device, Instant start, String task, HeadKind kind) {
        return Prediction.newBuilder()
                .setDeviceId(device)
                .setWindowStartMicros(micros(start))
                .setWindowEndMicros(micros(start) + WINDOW_MICROS)
                .setTask(task)
                .setHeadName(task + "-linear")
                .setHeadVersion("3")
                .setEncoderId(ENCODER)
                .setKind(kind)
                .setMissingFraction(0.0f)
                .setNewestChunkAppendTimeMillis(start.plusSeconds(10).toEpochMilli())
                .setEmitTimeMillis(start.plusSeconds(10).plusMillis(57).toEpochMilli());
    }

    /** A rejected record that arrived without a key, kept byte for byte. */
    static DeadLetter deadLetterWithoutKey(byte[] payload, DeadLetterReason reason, String detail) {
        return DeadLetter.newBuilder()
                .setSourceTopic("fm.sensor-chunks")
                .setSourcePartition(7)
                .setSourceOffset(1_234_567_890_123L)
                .setSourceAppendTimeMillis(T0.toEpochMilli())
                .setKey(null)
                .setPayload(ByteBuffer.wrap(payload))
                .setReason(reason)
                .setDetail(detail)
                .setDeviceId(null)
                .setDeadLetterTimeMillis(T0.plusMillis(250).toEpochMilli())
                .build();
    }

    static ByteBuffer int16le(short... samples) {
        ByteBuffer buffer = ByteBuffer.allocate(samples.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (short s : samples) {
            buffer.putShort(s);
        }
        return buffer.flip();
    }

    static short[] shortsOf(ByteBuffer int16le) {
        ByteBuffer b = int16le.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        short[] result = new short[b.remaining() / 2];
        for (int i = 0; i < result.length; i++) {
            result[i] = b.getShort();
        }
        return result;
    }

    static ByteBuffer float32le(float... values) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            buffer.putFloat(v);
        }
        return buffer.flip();
    }

    static float[] floatsOf(ByteBuffer float32le) {
        ByteBuffer b = float32le.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        float[] result = new float[b.remaining() / 4];
        for (int i = 0; i < result.length; i++) {
            result[i] = b.getFloat();
        }
        return result;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static long micros(Instant t) {
        return ChronoUnit.MICROS.between(Instant.EPOCH, t);
    }

    /** The 8-byte little-endian fingerprint as it appears in a single-object header. */
    static byte[] fingerprintBytes(long fingerprint) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(fingerprint).array();
    }

    /** A single-object header ({@code C3 01} + fingerprint) for {@code fingerprint}. */
    static byte[] header(long fingerprint) {
        byte[] header = new byte[WireFormat.HEADER_LENGTH];
        header[0] = WireFormat.MAGIC[0];
        header[1] = WireFormat.MAGIC[1];
        System.arraycopy(fingerprintBytes(fingerprint), 0, header, 2, 8);
        return header;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] result = new byte[a.length + b.length];
        System.arraycopy(a, 0, result, 0, a.length);
        System.arraycopy(b, 0, result, a.length, b.length);
        return result;
    }
}
