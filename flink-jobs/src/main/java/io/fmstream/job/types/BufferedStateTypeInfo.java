package io.fmstream.job.types;

import java.util.Objects;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/**
 * The type of a state value whose serializer, created by Flink's type system from the job's
 * configuration as before, is wrapped in a {@link BufferedStateSerializer}: same format, written to
 * a checkpoint in one call per value.
 */
public final class BufferedStateTypeInfo<T> extends TypeInformation<T> {

    private static final long serialVersionUID = 1L;

    private final TypeInformation<T> inner;

    public BufferedStateTypeInfo(TypeInformation<T> inner) {
        this.inner = Objects.requireNonNull(inner, "inner");
    }

    /** The state value's type as Flink's type system describes it. */
    public static <T> BufferedStateTypeInfo<T> of(Class<T> type) {
        return new BufferedStateTypeInfo<>(TypeInformation.of(type));
    }

    @Override
    public boolean isBasicType() {
        return inner.isBasicType();
    }

    @Override
    public boolean isTupleType() {
        return inner.isTupleType();
    }

    @Override
    public int getArity() {
        return inner.getArity();
    }

    @Override
    public int getTotalFields() {
        return inner.getTotalFields();
    }

    @Override
    public Class<T> getTypeClass() {
        return inner.getTypeClass();
    }

    @Override
    public boolean isKeyType() {
        return false;
    }

    @Override
    public TypeSerializer<T> createSerializer(SerializerConfig config) {
        return new BufferedStateSerializer<>(inner.createSerializer(config));
    }

    @Override
    public String toString() {
        return "Buffered<" + inner + ">";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BufferedStateTypeInfo
                && inner.equals(((BufferedStateTypeInfo<?>) o).inner);
    }

    @Override
    public int hashCode() {
        return inner.hashCode();
    }

    @Override
    public boolean canEqual(Object o) {
        return o instanceof BufferedStateTypeInfo;
    }
}
