package io.fmstream.job.types;

import io.fmstream.core.records.WindowRecord;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/**
 * The type of the assembler's output stream: {@link WindowRecordSerializer} instead of the POJO
 * serializer. The record stays a plain-Java class in the core (no Flink annotation on it); the job
 * names this type where it builds the stream.
 */
public final class WindowRecordTypeInfo extends TypeInformation<WindowRecord> {

    private static final long serialVersionUID = 1L;

    public static final WindowRecordTypeInfo INSTANCE = new WindowRecordTypeInfo();

    private WindowRecordTypeInfo() {}

    @Override
    public boolean isBasicType() {
        return false;
    }

    @Override
    public boolean isTupleType() {
        return false;
    }

    @Override
    public int getArity() {
        return 1;
    }

    @Override
    public int getTotalFields() {
        return 1;
    }

    @Override
    public Class<WindowRecord> getTypeClass() {
        return WindowRecord.class;
    }

    @Override
    public boolean isKeyType() {
        return false;
    }

    @Override
    public TypeSerializer<WindowRecord> createSerializer(SerializerConfig config) {
        return WindowRecordSerializer.INSTANCE;
    }

    @Override
    public String toString() {
        return "WindowRecordTypeInfo";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WindowRecordTypeInfo;
    }

    @Override
    public int hashCode() {
        return WindowRecordTypeInfo.class.hashCode();
    }

    @Override
    public boolean canEqual(Object o) {
        return o instanceof WindowRecordTypeInfo;
    }
}
