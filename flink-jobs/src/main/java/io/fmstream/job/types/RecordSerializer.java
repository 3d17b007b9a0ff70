package io.fmstream.job.types;

import java.io.IOException;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;

/**
 * What the job's record serializers share: stateless singletons of mutable records, written field
 * by field in a fixed order instead of through Flink's reflective POJO serializer. None of these
 * records lives in keyed or operator state (they only cross the network between operators, and
 * every buffering operator emits what it holds before a checkpoint barrier), so a format only has
 * to agree within one job version; each still names itself in a snapshot.
 */
abstract class RecordSerializer<T> extends TypeSerializerSingleton<T> {

    private static final long serialVersionUID = 1L;

    @Override
    public final boolean isImmutableType() {
        return false;
    }

    @Override
    public final T copy(T from, T reuse) {
        return copy(from);
    }

    @Override
    public final int getLength() {
        return -1;
    }

    @Override
    public final T deserialize(T reuse, DataInputView source) throws IOException {
        return deserialize(source);
    }
}
