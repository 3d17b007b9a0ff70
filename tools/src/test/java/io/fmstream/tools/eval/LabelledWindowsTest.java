package io.fmstream.tools.eval;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LabelledWindowsTest {

    /**
     * The record is the unit of every split: the leads of one recording ({@code --all-ecg-leads})
     * and one recording read from two folders are one record, with all their windows, so no split
     * puts one recording on both sides.
     */
    @Test
    void devicesOfOneRecordingAreOneRecord() {
        int length = 2;
        float[] windows = new float[9 * length];
        for (int i = 0; i < windows.length; i++) {
            windows[i] = i;
        }
        List<String> devices =
                List.of(
                        "mitdb/r1/MLII",
                        "mitdb/r1/V5",
                        "mitdb/r2/MLII",
                        "cinc2017/r3/ECG",
                        "cinc2017-train/r3/ECG",
                        "mitdb/r4/MLII");
        int[] windowDevice = {0, 0, 1, 2, 2, 3, 4, 1, 5};
        LabelledWindows w =
                LabelledWindows.ofRecords(
                        windows, length, windowDevice, devices, Map.of("r1", 0, "r2", 1, "r3", 2));
        assertThat(w.records()).isEqualTo(3);
        assertThat(w.recordNames).containsExactly("r1", "r2", "r3");
        assertThat(w.recordLabel).containsExactly(0, 1, 2);
        // Windows kept in input order (r4 has no label: dropped), each pointing at its record.
        assertThat(w.windowCount()).isEqualTo(8);
        assertThat(w.windowRecord).containsExactly(0, 0, 0, 1, 1, 2, 2, 0);
        assertThat(w.recordWindows[0]).containsExactly(0, 1, 2, 7);
        assertThat(w.recordWindows[1]).containsExactly(3, 4);
        assertThat(w.recordWindows[2]).containsExactly(5, 6);
        assertThat(w.windows[7 * length]).isEqualTo(7 * length); // window 7 is input window 7
        assertThat(w.windows[5 * length]).isEqualTo(5 * length);

        // Two databases' records of one name stay two recordings.
        LabelledWindows two =
                LabelledWindows.ofRecords(
                        new float[2 * length],
                        length,
                        new int[] {0, 1},
                        List.of("mitdb/100/MLII", "mimicdb/100/II"),
                        Map.of("100", 0));
        assertThat(two.records()).isEqualTo(2);
        assertThat(LabelledWindows.recordingOf("cinc2017-train/A00001/ECG"))
                .isEqualTo(LabelledWindows.recordingOf("cinc2017/A00001/ECG"))
                .isEqualTo("cinc2017/A00001");
    }
}
