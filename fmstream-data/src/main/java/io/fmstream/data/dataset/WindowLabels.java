package io.fmstream.data.dataset;

/**
 * The labels of one training window, as written to the dataset's per-window columns. Unknown values
 * are NaN (floats) and -1 (classes); codes are those of {@link WindowDatasetBuilder}.
 *
 * @param hrBpm mean heart rate over the window, bpm
 * @param rhythm 0 normal, 1 AF, 2 other rhythm, 3 too noisy to classify, -1 unknown
 * @param quality 0 good, 1 poor, -1 unknown
 * @param noiseRmsMv RMS of the added noise, mV (simulated devices only)
 * @param rhythmFraction share of the window spent in {@code rhythm}, in (0, 1]
 */
public record WindowLabels(
        float hrBpm, byte rhythm, byte quality, float noiseRmsMv, float rhythmFraction) {

    /** Nothing known about the window. */
    public static final WindowLabels UNKNOWN =
            new WindowLabels(
                    Float.NaN,
                    WindowDatasetBuilder.UNKNOWN,
                    WindowDatasetBuilder.UNKNOWN,
                    Float.NaN,
                    Float.NaN);
}
