package io.fmstream.job.types;

import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.core.records.ChunkRecord;
import io.fmstream.core.records.SourceRef;
import io.fmstream.core.records.WindowRecord;
import io.fmstream.core.signal.Int16Samples;
import io.fmstream.core.window.DeviceStreamState;
import io.fmstream.core.window.DeviceWindowAssembler;
import io.fmstream.core.window.WindowListener;
import io.fmstream.core.window.WindowSpec;
import io.fmstream.job.functions.WindowAssemblerFunction;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataInputViewStreamWrapper;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.core.memory.DataOutputViewStreamWrapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class BufferedStateSerializerTest {

    private static final long T0_MICROS = 1_700_000_000L * 1_000_000L;

    private static final TypeSerializer<DeviceStreamState> POJO =
            TypeInformation.of(DeviceStreamState.class)
                    .createSerializer(new SerializerConfigImpl());

    private static List<DeviceStreamState> states;

    /** Devices 17 s into a 250 Hz stream, some with a gap (chunks pending behind it). */
    @BeforeAll
    static void states() {
        DeviceWindowAssembler assembler =
                new DeviceWindowAssembler(WindowSpec.withDefaults(100, 10));
        WindowListener ignore =
                new WindowListener() {
                    @Override
                    public void emitted(WindowRecord window) {}

                    @Override
                    public void droppedIncomplete(String deviceId, long start, float missing) {}
                };
        states = new ArrayList<>();
        for (int d = 0; d < 50; d++) {
            String device = "device-" + d;
            DeviceStreamState s = null;
            for (int second = 0; second < 17; second++) {
                if (d % 5 == 0 && second == 12) {
                    continue; // a lost chunk: the ones after it wait behind the gap
                }
                ChunkRecord c = chunk(device, second);
                if (s == null) {
                    s = assembler.newState(c);
                }
                assembler.offer(s, c, Long.MIN_VALUE, ignore);
            }
            states.add(s);
        }
        assertThat(states.get(0).pendingCount()).isPositive();
        assertThat(states.get(1).pendingCount()).isZero();
    }

    @Test
    void writesTheWrappedSerializersBytes() throws IOException {
        BufferedStateSerializer<DeviceStreamState> buffered = new BufferedStateSerializer<>(POJO);
        DataOutputSerializer plain = new DataOutputSerializer(64);
        DataOutputSerializer wrapped = new DataOutputSerializer(64);
        for (DeviceStreamState s : states) {
            POJO.serialize(s, plain);
            buffered.serialize(s, wrapped);
        }
        assertThat(wrapped.getCopyOfBuffer()).isEqualTo(plain.getCopyOfBuffer());

        // And the wrapper reads what it wrote, value by value.
        DataInputDeserializer in = new DataInputDeserializer(wrapped.getCopyOfBuffer());
        for (DeviceStreamState s : states) {
            assertThat(bytes(buffered.deserialize(in))).isEqualTo(bytes(s));
        }
        assertThat(in.available()).isZero();
    }

    @Test
    void writesEachValueToTheStreamInOneCall() throws IOException {
        CountingStream plainStream = new CountingStream();
        CountingStream bufferedStream = new CountingStream();
        DataOutputViewStreamWrapper plain = new DataOutputViewStreamWrapper(plainStream);
        DataOutputViewStreamWrapper buffered = new DataOutputViewStreamWrapper(bufferedStream);
        BufferedStateSerializer<DeviceStreamState> serializer = new BufferedStateSerializer<>(POJO);
        for (DeviceStreamState s : states) {
            POJO.serialize(s, plain);
            serializer.serialize(s, buffered);
        }
        assertThat(bufferedStream.bytes.toByteArray()).isEqualTo(plainStream.bytes.toByteArray());
        assertThat(bufferedStream.calls).isEqualTo(states.size());
        // What it saves: the POJO serializer makes a call per number (1,100 floats a device).
        assertThat(plainStream.calls).isGreaterThan(1_100L * states.size());
    }

    @Test
    void aCheckpointWrittenByEitherRestoresWithTheOther() throws IOException {
        BufferedStateSerializer<DeviceStreamState> buffered = new BufferedStateSerializer<>(POJO);
        TypeSerializerSnapshot<DeviceStreamState> before = roundTrip(POJO.snapshotConfiguration());
        TypeSerializerSnapshot<DeviceStreamState> after =
                roundTrip(buffered.snapshotConfiguration());
        assertThat(after.getClass()).isEqualTo(before.getClass());

        TypeSerializerSchemaCompatibility<DeviceStreamState> upgrade =
                buffered.snapshotConfiguration().resolveSchemaCompatibility(before);
        assertThat(upgrade.isCompatibleAsIs()).isTrue();
        TypeSerializerSchemaCompatibility<DeviceStreamState> downgrade =
                POJO.snapshotConfiguration().resolveSchemaCompatibility(after);
        assertThat(downgrade.isCompatibleAsIs()).isTrue();

        // The restored snapshot's own serializer reads the buffered bytes.
        DataOutputSerializer out = new DataOutputSerializer(64);
        buffered.serialize(states.get(0), out);
        DeviceStreamState back =
                after.restoreSerializer()
                        .deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
        assertThat(bytes(back)).isEqualTo(bytes(states.get(0)));
    }

    @Test
    void duplicatesHaveTheirOwnBuffer() throws Exception {
        BufferedStateSerializer<DeviceStreamState> buffered = new BufferedStateSerializer<>(POJO);
        assertThat(buffered.duplicate()).isNotSameAs(buffered).isEqualTo(buffered);
        DataOutputSerializer plain = new DataOutputSerializer(64);
        for (DeviceStreamState s : states) {
            POJO.serialize(s, plain);
        }
        byte[] expected = plain.getCopyOfBuffer();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<byte[]>> results = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                TypeSerializer<DeviceStreamState> own = buffered.duplicate();
                results.add(
                        pool.submit(
                                () -> {
                                    DataOutputSerializer out = new DataOutputSerializer(64);
                                    for (int rep = 0; rep < 40; rep++) {
                                        out.clear();
                                        for (DeviceStreamState s : states) {
                                            own.serialize(s, out);
                                        }
                                    }
                                    return out.getCopyOfBuffer();
                                }));
            }
            for (Future<byte[]> r : results) {
                assertThat(r.get()).isEqualTo(expected);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aValueLargerThanTheRetainedBufferIsWrittenWhole() throws IOException {
        DeviceStreamState big = POJO.copy(states.get(1));
        big.windowBuffer = new float[BufferedStateSerializer.MAX_RETAINED_BYTES / 2];
        for (int i = 0; i < big.windowBuffer.length; i++) {
            big.windowBuffer[i] = i * 0.5f;
        }
        BufferedStateSerializer<DeviceStreamState> buffered = new BufferedStateSerializer<>(POJO);
        DataOutputSerializer plain = new DataOutputSerializer(64);
        DataOutputSerializer wrapped = new DataOutputSerializer(64);
        for (DeviceStreamState s : List.of(states.get(2), big, states.get(3))) {
            POJO.serialize(s, plain);
            buffered.serialize(s, wrapped);
        }
        assertThat(wrapped.getCopyOfBuffer()).isEqualTo(plain.getCopyOfBuffer());
    }

    @Test
    void theAssemblersStateIsBuffered() {
        ValueStateDescriptor<DeviceStreamState> d = WindowAssemblerFunction.deviceStreamState();
        d.initializeSerializerUnlessSet(new org.apache.flink.api.common.ExecutionConfig());
        assertThat(d.getSerializer()).isInstanceOf(BufferedStateSerializer.class);
        assertThat(((BufferedStateSerializer<DeviceStreamState>) d.getSerializer()).inner())
                .isEqualTo(POJO);
    }

    /**
     * A state as the POJO serializer writes it: equal bytes are equal fields, NaN (a missing
     * sample) included, which a field-by-field comparison of floats would not call equal.
     */
    private static byte[] bytes(DeviceStreamState s) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(64);
        POJO.serialize(s, out);
        return out.getCopyOfBuffer();
    }

    private static <T> TypeSerializerSnapshot<T> roundTrip(TypeSerializerSnapshot<T> snapshot)
            throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        TypeSerializerSnapshot.writeVersionedSnapshot(
                new DataOutputViewStreamWrapper(bytes), snapshot);
        return TypeSerializerSnapshot.readVersionedSnapshot(
                new DataInputViewStreamWrapper(
                        new java.io.ByteArrayInputStream(bytes.toByteArray())),
                BufferedStateSerializerTest.class.getClassLoader());
    }

    private static ChunkRecord chunk(String device, int second) {
        int rate = 250;
        short[] samples = new short[rate];
        for (int i = 0; i < rate; i++) {
            double t = second + (double) i / rate;
            samples[i] = (short) Math.round(300 * Math.sin(2 * Math.PI * 1.1 * t) + i % 7);
        }
        ChunkRecord c = new ChunkRecord();
        c.deviceId = device;
        c.sampleRateHz = rate;
        c.firstSampleIndex = (long) second * rate;
        c.firstSampleTimeMicros = T0_MICROS + second * 1_000_000L;
        c.samples = Int16Samples.encode(samples);
        c.gain = 200;
        c.baseline = 0;
        c.source =
                new SourceRef(
                        "sensor",
                        0,
                        second,
                        c.endTimeMicros() / 1000,
                        device.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                        c.samples.clone());
        return c;
    }

    /** Counts write calls reaching the stream: what a checkpoint file's chain of streams pays. */
    private static final class CountingStream extends OutputStream {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        long calls;

        @Override
        public void write(int b) {
            calls++;
            bytes.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            calls++;
            bytes.write(b, off, len);
        }
    }
}
