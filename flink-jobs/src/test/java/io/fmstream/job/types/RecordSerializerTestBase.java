package io.fmstream.job.types;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Objects;
import org.apache.flink.api.common.typeutils.SerializerTestBase;
import org.apache.flink.testutils.DeeplyEqualsChecker;

/**
 * Flink's own serializer contract (round trips alone and in sequence, copies, snapshot and restore,
 * duplicate) for one of the job's record serializers, comparing every public field of the record
 * (the records have no equals), nested records field by field and byte arrays by content; floats
 * and float arrays by their raw bits, so NaN payloads and -0 must survive.
 */
abstract class RecordSerializerTestBase<T> extends SerializerTestBase<T> {

    RecordSerializerTestBase(Class<T> type) {
        // The base class's other checks (duplicates across threads) compare with this, not with
        // deepEquals.
        super(
                new DeeplyEqualsChecker()
                        .withCustomCheck(
                                (a, b) -> type.isInstance(a) && type.isInstance(b),
                                (a, b, checker) -> differingField(a, b) == null));
    }

    @Override
    protected int getLength() {
        return -1;
    }

    @Override
    protected void deepEquals(String message, T should, T is) {
        assertThat(differingField(should, is)).as(message).isNull();
    }

    /** The first public field whose values differ, or null when all are the same. */
    static String differingField(Object a, Object b) {
        for (Field f : a.getClass().getFields()) {
            if (Modifier.isStatic(f.getModifiers())) {
                continue;
            }
            try {
                Object x = f.get(a);
                Object y = f.get(b);
                if (x != null && y != null && x.getClass() == y.getClass() && isRecord(x)) {
                    String nested = differingField(x, y);
                    if (nested != null) {
                        return f.getName() + "." + nested;
                    }
                    continue;
                }
                boolean same =
                        x instanceof float[] && y instanceof float[]
                                ? sameBits((float[]) x, (float[]) y)
                                : x instanceof byte[] && y instanceof byte[]
                                        ? java.util.Arrays.equals((byte[]) x, (byte[]) y)
                                        : x instanceof Float && y instanceof Float
                                                ? Float.floatToRawIntBits((Float) x)
                                                        == Float.floatToRawIntBits((Float) y)
                                                : x instanceof Double && y instanceof Double
                                                        ? Double.doubleToRawLongBits((Double) x)
                                                                == Double.doubleToRawLongBits(
                                                                        (Double) y)
                                                        : Objects.equals(x, y);
                if (!same) {
                    return f.getName() + ": " + x + " against " + y;
                }
            } catch (IllegalAccessException e) {
                throw new AssertionError(e);
            }
        }
        return null;
    }

    /**
     * One of the project's own record classes (compared field by field, as they have no equals).
     */
    private static boolean isRecord(Object o) {
        return o.getClass().getName().startsWith("io.fmstream.");
    }

    private static boolean sameBits(float[] x, float[] y) {
        if (x.length != y.length) {
            return false;
        }
        for (int i = 0; i < x.length; i++) {
            if (Float.floatToRawIntBits(x[i]) != Float.floatToRawIntBits(y[i])) {
                return false;
            }
        }
        return true;
    }

    /** Floats with a NaN payload, an infinity and -0 among ordinary values. */
    static float[] awkwardFloats(int n, long seed) {
        java.util.Random random = new java.util.Random(seed);
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextGaussian();
        }
        if (n >= 3) {
            values[0] = Float.intBitsToFloat(0x7fc00001);
            values[1] = Float.NEGATIVE_INFINITY;
            values[2] = -0f;
        }
        return values;
    }
}
