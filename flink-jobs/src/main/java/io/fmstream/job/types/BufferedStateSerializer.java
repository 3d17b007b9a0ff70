package io.fmstream.job.types;

import java.io.IOException;
import java.util.Objects;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Writes a state value exactly as the serializer it wraps does, but into a buffer of its own first
 * and then into the checkpoint stream in one call.
 *
 * <p>Why: the heap state backend's asynchronous snapshot hands each value's serializer a {@code
 * DataOutputViewStreamWrapper} over the checkpoint file, where every number written is a call
 * through a chain of streams. A device's state is mostly numbers (the window buffer's and the
 * resampler's 1,100 floats, 256 longs and 128 ints of recent chunks: 7.2 KB), so one subtask's
 * 2,500 devices took 88-133 ms to write that way and 27 ms buffered (same bytes, same machine, one
 * JVM, to a file through a 4 KB buffer). On two cores the snapshot's thread competes with the job
 * for a core while it runs, and predictions in flight across a checkpoint were most of the written
 * latency's tail at 50 % of the int8 encoder's capacity.
 *
 * <p>The bytes, the snapshot ({@link #snapshotConfiguration()} is the wrapped serializer's) and the
 * reading path are the wrapped serializer's own, so checkpoints and savepoints written with or
 * without this wrapper restore with either, and {@code fmstream state-report} reads them unchanged.
 * Stateful (the buffer): {@link #duplicate()} gives each thread its own. Under the RocksDB backend,
 * which serialises a value into memory on every update anyway, it costs one more copy of the
 * value's bytes per update (7 KB here, against the reflective serialisation itself).
 */
public final class BufferedStateSerializer<T> extends TypeSerializer<T> {

    private static final long serialVersionUID = 1L;

    /** A buffer grown past this by one large value is dropped after it, not kept per serializer. */
    static final int MAX_RETAINED_BYTES = 256 * 1024;

    private static final int INITIAL_BYTES = 16 * 1024;

    private final TypeSerializer<T> inner;

    private transient DataOutputSerializer buffer;

    public BufferedStateSerializer(TypeSerializer<T> inner) {
        this.inner = Objects.requireNonNull(inner, "inner");
    }

    /** The serializer whose format this one writes. */
    public TypeSerializer<T> inner() {
        return inner;
    }

    @Override
    public void serialize(T record, DataOutputView target) throws IOException {
        DataOutputSerializer b = buffer;
        if (b == null) {
            b = new DataOutputSerializer(INITIAL_BYTES);
            buffer = b;
        }
        b.clear();
        inner.serialize(record, b);
        target.write(b.getSharedBuffer(), 0, b.length());
        if (b.getSharedBuffer().length > MAX_RETAINED_BYTES) {
            buffer = null;
        }
    }

    @Override
    public T deserialize(DataInputView source) throws IOException {
        return inner.deserialize(source);
    }

    @Override
    public T deserialize(T reuse, DataInputView source) throws IOException {
        return inner.deserialize(reuse, source);
    }

    @Override
    public void copy(DataInputView source, DataOutputView target) throws IOException {
        inner.copy(source, target);
    }

    @Override
    public boolean isImmutableType() {
        return inner.isImmutableType();
    }

    @Override
    public TypeSerializer<T> duplicate() {
        // Always a new instance, even over a stateless inner serializer: the buffer is state.
        return new BufferedStateSerializer<>(inner.duplicate());
    }

    @Override
    public T createInstance() {
        return inner.createInstance();
    }

    @Override
    public T copy(T from) {
        return inner.copy(from);
    }

    @Override
    public T copy(T from, T reuse) {
        return inner.copy(from, reuse);
    }

    @Override
    public int getLength() {
        return inner.getLength();
    }

    @Override
    public TypeSerializerSnapshot<T> snapshotConfiguration() {
        return inner.snapshotConfiguration();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BufferedStateSerializer
                && inner.equals(((BufferedStateSerializer<?>) o).inner);
    }

    @Override
    public int hashCode() {
        return inner.hashCode();
    }

    @Override
    public String toString() {
        return "BufferedStateSerializer(" + inner + ")";
    }
}
