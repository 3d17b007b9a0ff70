package io.fmstream.core.signal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class Int16SamplesTest {

    @Test
    void convertsWithoutWrappingAtTheBaselinesExtremes() {
        byte[] raw = Int16Samples.encode(new short[] {1, -1, Short.MAX_VALUE});
        float[] out = new float[3];
        // 1 - Integer.MIN_VALUE wrapped to -2147483647 in int arithmetic: the sign flipped
        Int16Samples.toPhysical(raw, 1.0, Integer.MIN_VALUE, out);
        assertThat(out[0]).isEqualTo((float) (1.0 - Integer.MIN_VALUE)).isPositive();
        Int16Samples.toPhysical(raw, 2.0, Integer.MAX_VALUE, out);
        assertThat(out[1]).isEqualTo((float) ((-1.0 - Integer.MAX_VALUE) / 2)).isNegative();
        Int16Samples.toPhysical(raw, 200.0, 0, out);
        assertThat(out).containsExactly(0.005f, -0.005f, 32767 / 200f);
    }
}
