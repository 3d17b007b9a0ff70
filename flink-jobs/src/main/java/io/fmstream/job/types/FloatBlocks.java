package io.fmstream.job.types;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * A float array on the wire as its count (-1 for null) and one block of little-endian IEEE 754
 * floats with their raw bits (NaN payloads kept). Flink's array serializer writes and reads one
 * element at a time through bounds-checked 4-byte calls, big-endian, which is a byte swap per
 * element on the machines Flink runs on (x86-64, AArch64); the block is a plain memory copy.
 */
final class FloatBlocks {

    private FloatBlocks() {}

    static void write(float[] values, DataOutputView target) throws IOException {
        if (values == null) {
            target.writeInt(-1);
            return;
        }
        target.writeInt(values.length);
        // A fresh buffer per array: the serializers stay stateless (one instance serves every
        // thread), and a few KB from the thread's allocation buffer costs less than the
        // element-wise writes it replaces.
        byte[] bytes = new byte[values.length * Float.BYTES];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(values);
        target.write(bytes);
    }

    static float[] read(DataInputView source, String what) throws IOException {
        int n = source.readInt();
        if (n == -1) {
            return null;
        }
        if (n < 0) {
            throw new IOException("corrupt " + what + ": float count " + n);
        }
        byte[] bytes = new byte[n * Float.BYTES];
        source.readFully(bytes);
        float[] values = new float[n];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        return values;
    }

    static void copy(DataInputView source, DataOutputView target) throws IOException {
        int n = source.readInt();
        target.writeInt(n);
        if (n > 0) {
            target.write(source, n * Float.BYTES);
        }
    }

    static float[] clone(float[] values) {
        return values == null ? null : values.clone();
    }
}
