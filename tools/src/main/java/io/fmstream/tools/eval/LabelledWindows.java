package io.fmstream.tools.eval;

import io.fmstream.data.dataset.NpyReader;
import io.fmstream.data.dataset.WindowDatasetBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A labelled dataset file of the dataset builder ({@code bin/fmstream dataset}): the job's own
 * windows (10 s at 100 Hz, z-scored) of labelled recordings, grouped by recording. The recording is
 * the unit of every split: its windows never cross folds.
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

    private LabelledWindows(
            float[] windows,
            int windowLength,
            int[] windowRecord,
            String[] recordNames,
            int[] recordLabel,
            int[][] recordWindows) {
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
                throw new IllegalArgumentException(
                        npz + ": no array '" + key + "' (a dataset from bin/fmstream dataset?)");
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
                throw new IllegalArgumentException(
                        npz
                                + ": window "
                                + i
                                + " of "
                                + deviceNames.get(d)
                                + " has no recording label (rhythm "
                                + rhythm[i]
                                + ")");
            }
            if (label[d] == -2) {
                label[d] = rhythm[i];
            } else if (label[d] != rhythm[i]) {
                throw new IllegalArgumentException(
                        npz
                                + ": recording "
                                + deviceNames.get(d)
                                + " has windows labelled "
                                + label[d]
                                + " and "
                                + rhythm[i]
                                + "; recording-level labels expected");
            }
            counts[d]++;
        }
        // One record per recording, in the order of its first device with windows: the leads of
        // one recording (mitdb/100/MLII, mitdb/100/V5 with --all-ecg-leads) and one recording
        // read from two folders are one record, so they never sit in two folds.
        Map<String, Integer> recordOf = new LinkedHashMap<>();
        List<Integer> labelOf = new ArrayList<>();
        List<String> names = new ArrayList<>();
        int[] deviceRecord = new int[records];
        Arrays.fill(deviceRecord, -1);
        for (int d = 0; d < records; d++) {
            if (counts[d] == 0) {
                continue;
            }
            String name = recordName(deviceNames.get(d));
            String recording = recordingOf(deviceNames.get(d));
            Integer r = recordOf.get(recording);
            if (r == null) {
                r = recordOf.size();
                recordOf.put(recording, r);
                labelOf.add(label[d]);
                names.add(name);
            } else if (labelOf.get(r) != label[d]) {
                throw new IllegalArgumentException(
                        npz
                                + ": recording "
                                + name
                                + " has devices labelled "
                                + labelOf.get(r)
                                + " and "
                                + label[d]
                                + " ("
                                + deviceNames.get(d)
                                + "); recording-level labels expected");
            }
            deviceRecord[d] = r;
        }
        int[] labels = labelOf.stream().mapToInt(Integer::intValue).toArray();
        int[] windowRecord = new int[device.length];
        for (int i = 0; i < device.length; i++) {
            windowRecord[i] = deviceRecord[device[i]];
        }
        int[][] byRecord = windowsByRecord(windowRecord, names.size());
        return new LabelledWindows(
                windows, length, windowRecord, names.toArray(String[]::new), labels, byRecord);
    }

    /**
     * Windows of the recordings that have a label in {@code labelByRecord} (by record name, e.g.
     * "A00001"); windows of other recordings are dropped. Labels are class indices, or any int code
     * for regression callers that keep their targets elsewhere.
     */
    static LabelledWindows ofRecords(
            float[] windows,
            int windowLength,
            int[] windowDevice,
            List<String> deviceNames,
            Map<String, Integer> labelByRecord) {
        // Devices of one recording (its leads, or two folders holding it) are one record.
        int devices = deviceNames.size();
        int[] deviceRecord = new int[devices];
        Arrays.fill(deviceRecord, -1);
        Map<String, Integer> recordOf = new LinkedHashMap<>();
        int[] windowsOf = new int[devices];
        for (int d : windowDevice) {
            windowsOf[d]++;
        }
        List<Integer> labels = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int d = 0; d < devices; d++) {
            String name = recordName(deviceNames.get(d));
            Integer label = labelByRecord.get(name);
            // recordings without any window cannot be fitted on or predicted: leave them out
            if (label != null && windowsOf[d] > 0) {
                deviceRecord[d] =
                        recordOf.computeIfAbsent(
                                recordingOf(deviceNames.get(d)),
                                n -> {
                                    labels.add(label);
                                    names.add(name);
                                    return labels.size() - 1;
                                });
            }
        }
        int kept = 0;
        for (int d : windowDevice) {
            kept += deviceRecord[d] >= 0 ? 1 : 0;
        }
        float[] keptWindows = new float[kept * windowLength];
        int[] windowRecord = new int[kept];
        int k = 0;
        for (int i = 0; i < windowDevice.length; i++) {
            int r = deviceRecord[windowDevice[i]];
            if (r >= 0) {
                System.arraycopy(
                        windows, i * windowLength, keptWindows, k * windowLength, windowLength);
                windowRecord[k++] = r;
            }
        }
        String[] outNames = names.toArray(String[]::new);
        int[] outLabels = labels.stream().mapToInt(Integer::intValue).toArray();
        int[][] outWindows = windowsByRecord(windowRecord, outNames.length);
        return new LabelledWindows(
                keptWindows, windowLength, windowRecord, outNames, outLabels, outWindows);
    }

    /**
     * The training rows of a per-window head: one embedding row per window of {@code records}, the
     * recording each row belongs to, and a weight of 1 / (windows of that recording), so that each
     * recording counts once however long it is.
     */
    record WindowRows(float[][] x, int[] record, double[] weight) {}

    WindowRows windowRows(int[] records, EncoderEmbeddings.Matrix embeddings) {
        int rows = 0;
        for (int r : records) {
            rows += recordWindows[r].length;
        }
        float[][] x = new float[rows][];
        int[] rec = new int[rows];
        double[] w = new double[rows];
        int i = 0;
        for (int r : records) {
            for (int win : recordWindows[r]) {
                x[i] = embeddings.row(win);
                rec[i] = r;
                w[i] = 1.0 / recordWindows[r].length;
                i++;
            }
        }
        return new WindowRows(x, rec, w);
    }

    /** "cinc2017/A00001/ECG" -> "A00001". */
    /** The windows of each record, in window order. */
    private static int[][] windowsByRecord(int[] windowRecord, int records) {
        int[] counts = new int[records];
        for (int r : windowRecord) {
            counts[r]++;
        }
        int[][] byRecord = new int[records][];
        for (int r = 0; r < records; r++) {
            byRecord[r] = new int[counts[r]];
        }
        int[] fill = new int[records];
        for (int i = 0; i < windowRecord.length; i++) {
            int r = windowRecord[i];
            byRecord[r][fill[r]++] = i;
        }
        return byRecord;
    }

    /**
     * The recording a device's windows come from: its name less the lead ({@code mitdb/100/MLII} is
     * {@code mitdb/100}), the folder as its source ({@code cinc2017-train/A00001/ECG} is {@code
     * cinc2017/A00001}, the same recording as {@code cinc2017/A00001/ECG}).
     */
    static String recordingOf(String device) {
        int lead = device.lastIndexOf('/');
        if (lead < 0) {
            return device;
        }
        String record = device.substring(0, lead);
        int folder = record.indexOf('/');
        return folder < 0
                ? record
                : WindowDatasetBuilder.sourceOfFolder(record.substring(0, folder))
                        + record.substring(folder);
    }

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
