import io.fmstream.core.records.WindowRecord;
import io.fmstream.job.types.WindowRecordSerializer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

/**
 * The window's wire format alone: serialise and deserialise 1,000-sample windows through
 * WindowRecordSerializer (little-endian block), against the same code with a big-endian block
 * (the format before), alternating, in one JVM. Prints ns per window for each, per repetition.
 */
public class SerializerHarness {
    static void bigEndianBlock(WindowRecord w, DataOutputSerializer out) throws Exception {
        byte[] bytes = new byte[w.samples.length * 4];
        ByteBuffer.wrap(bytes).asFloatBuffer().put(w.samples);
        out.write(bytes);
    }

    static float[] bigEndianRead(DataInputDeserializer in, int n) throws Exception {
        byte[] bytes = new byte[n * 4];
        in.readFully(bytes);
        float[] f = new float[n];
        ByteBuffer.wrap(bytes).asFloatBuffer().get(f);
        return f;
    }

    static void littleEndianBlock(WindowRecord w, DataOutputSerializer out) throws Exception {
        byte[] bytes = new byte[w.samples.length * 4];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(w.samples);
        out.write(bytes);
    }

    static float[] littleEndianRead(DataInputDeserializer in, int n) throws Exception {
        byte[] bytes = new byte[n * 4];
        in.readFully(bytes);
        float[] f = new float[n];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
        return f;
    }

    public static void main(String[] args) throws Exception {
        int windows = 2000;
        WindowRecord[] ws = new WindowRecord[windows];
        java.util.Random r = new java.util.Random(1);
        for (int i = 0; i < windows; i++) {
            float[] s = new float[1000];
            for (int k = 0; k < s.length; k++) s[k] = (float) r.nextGaussian();
            ws[i] = new WindowRecord("device-" + i, i, i + 10, s, 0f, i, 0);
        }
        DataOutputSerializer out = new DataOutputSerializer(8192);
        DataInputDeserializer in = new DataInputDeserializer();
        double sink = 0;
        for (int rep = 0; rep < 20; rep++) {
            for (int variant = 0; variant < 2; variant++) {
                long t0 = System.nanoTime();
                for (int round = 0; round < 10; round++) {
                    for (WindowRecord w : ws) {
                        out.clear();
                        if (variant == 0) bigEndianBlock(w, out); else littleEndianBlock(w, out);
                        in.setBuffer(out.getSharedBuffer(), 0, out.length());
                        float[] f = variant == 0 ? bigEndianRead(in, 1000) : littleEndianRead(in, 1000);
                        sink += f[7];
                    }
                }
                long ns = System.nanoTime() - t0;
                if (rep >= 15) {
                    System.out.printf("rep %d %s: %.0f ns per window (write + read of the block)%n",
                            rep, variant == 0 ? "big-endian (before)" : "little-endian (now)", ns / (10.0 * windows));
                }
            }
        }
        // The serializer itself, whole record, for the record.
        long t0 = System.nanoTime();
        for (int round = 0; round < 10; round++) {
            for (WindowRecord w : ws) {
                out.clear();
                WindowRecordSerializer.INSTANCE.serialize(w, out);
                in.setBuffer(out.getSharedBuffer(), 0, out.length());
                sink += WindowRecordSerializer.INSTANCE.deserialize(in).samples[3];
            }
        }
        System.out.printf("WindowRecordSerializer round trip, whole record: %.0f ns per window (checksum %.3f)%n",
                (System.nanoTime() - t0) / (10.0 * windows), sink);
    }
}
