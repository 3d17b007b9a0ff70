package io.fmstream.tools.eval;

import io.fmstream.core.dataset.NpyReader;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A labelled dataset file of the dataset builder ({@code bin/fmstream dataset}): the job's own
 * windows (10 s at 100 Hz, z-scored) of labelled recordings, grouped by recording. The recording
 * is the unit of every split: its windows never cross folds.
 */
public final class LabelledWindows {

    /** CinC 2017 classes in the dataset's rhythm code order: normal, AF, other, noisy. */
    public static final List<String> CLASSES = List.of("N", "A", "O", "~");

    final float[] windows;
    final int windowLength;
    final int[] windowRecord;
    final String[] recordNames;
    final int[] recordLabel;
    final int[][] recordWindows;

    private LabelledWindows(float[] windows, int windowLength, int[] windowRecord, String[] recordNames,
            int[] recordLabel, int[][] recordWindows) {
        this.windows = windows;
        this.windowLength = windowLength;
        this.windowRecord = windowRecord;
        this.recordNames = recordNames;
        this.recordLabel = recordLabel;
        this.recordWindows = recordWindows;
    }

    /**
     * Reads a dataset {@code .npz}; every window must carry its recording's label (rhythm code 0-3)
     * and every window of a recording the same one.
     */
    public static LabelledWindows read(Path npz) throws IOException {
        Map<String, NpyReader.Array> z = NpyReader.readNpz(npz);
        for (String key : List.of("windows", "device", "device_names", "rhythm")) {
            if (!z.containsKey(key)) {
                throw new IllegalArgumentException(npz + ": no array '" + key + "' (a dataset from bin/fmstream dataset?)");
            }
        }
        NpyReader.Array w = z.get("windows");
        int length = (int) w.shape()[1];
        float[] windows = w.asFloats();
        int[] device = z.get("device").asInts();
        int[] rhythm = z.get("rhythm").asInts();
        List<String> deviceNames = z.get("device_names").asStrings();
        int records = deviceNames.size();
        int[] label = new int[records];
        Arrays.fill(label, -2);
        int[] counts = new int[records];
        for (int i = 0; i < device.length; i++) {
            int d = device[i];
            if (rhythm[i] < 0 || rhythm[i] >= CLASSES.size()) {
                throw new IllegalArgumentException(npz + ": window " + i + " of " + deviceNames.get(d)
                        + " has no recording label (rhythm " + rhythm[i] + ")");
            }
            if (label[d] == -2) {
                label[d] = rhythm[i];
            } else if (label[d] != rhythm[i]) {
                throw new IllegalArgumentException(npz + ": recording " + deviceNames.get(d) + " has windows labelled "
                        + label[d] + " and " + rhythm[i] + "; recording-level labels expected");
            }
            counts[d]++;
        }
        // keep recordings that have windows, in name order
        List<Integer> kept = new ArrayList<>();
        for (int d = 0; d < records; d++) {
            if (counts[d] > 0) {
                kept.add(d);
            }
        }
        int[] newIndex = new int[records];
        Arrays.fill(newIndex, -1);
        String[] names = new String[kept.size()];
        int[] labels = new int[kept.size()];
        int[][] byRecord = new int[kept.size()][];
        for (int r = 0; r < kept.size(); r++) {
            int d = kept.get(r);
            newIndex[d] = r;
            names[r] = recordName(deviceNames.get(d));
            labels[r] = label[d];
            byRecord[r] = new int[counts[d]];
        }
        int[] fill = new int[kept.size()];
        int[] windowRecord = new int[device.length];
        for (int i = 0; i < device.length; i++) {
            int r = newIndex[device[i]];
            windowRecord[i] = r;
            byRecord[r][fill[r]++] = i;
        }
        return new LabelledWindows(windows, length, windowRecord, names, labels, byRecord);
    }

    /** "cinc2017/A00001/ECG" -> "A00001". */
    static String recordName(String device) {
        String[] parts = device.split("/");
        return parts.length >= 2 ? parts[parts.length - 2] : device;
    }

    public int records() {
        return recordNames.length;
    }

    public int windowCount() {
        return windowRecord.length;
    }

    int[] classCounts() {
        int[] c = new int[CLASSES.size()];
        for (int l : recordLabel) {
            c[l]++;
        }
        return c;
    }
}
