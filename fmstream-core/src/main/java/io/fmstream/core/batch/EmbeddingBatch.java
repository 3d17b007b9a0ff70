package io.fmstream.core.batch;

import io.fmstream.core.model.EncoderRunner;
import io.fmstream.core.records.EmbeddingRecord;
import io.fmstream.core.records.WindowRecord;
import io.fmstream.core.signal.WindowNormaliser;
import java.util.ArrayList;
import java.util.List;

/**
 * Collects windows from many devices and embeds them with one encoder call.
 *
 * <p>Windows are normalised into one flat, reused {@code float[]} as they arrive, so a flush is a
 * single tensor copy and a single ONNX Runtime call. The caller (the Flink operator) decides when
 * to flush; this class only knows when it is full. Not thread-safe.
 */
public final class EmbeddingBatch {

    private final int capacity;
    private final int windowLength;
    private final int embeddingDim;
    private final float[] inputs;
    private final float[] outputs;
    private final List<WindowRecord> windows;

    public EmbeddingBatch(int capacity, int windowLength, int embeddingDim) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("batch capacity must be > 0, got " + capacity);
        }
        this.capacity = capacity;
        this.windowLength = windowLength;
        this.embeddingDim = embeddingDim;
        this.inputs = new float[capacity * windowLength];
        this.outputs = new float[capacity * embeddingDim];
        this.windows = new ArrayList<>(capacity);
    }

    /** Adds a window; returns true when the batch is now full and must be flushed. */
    public boolean add(WindowRecord window) {
        if (windows.size() == capacity) {
            throw new IllegalStateException("batch is full; flush it first");
        }
        if (window.samples.length != windowLength) {
            throw new IllegalArgumentException(
                    "window of "
                            + window.deviceId
                            + " at "
                            + window.windowStartMicros
                            + " has "
                            + window.samples.length
                            + " samples, the encoder takes "
                            + windowLength);
        }
        WindowNormaliser.zscore(window.samples, inputs, windows.size() * windowLength);
        windows.add(window);
        return windows.size() == capacity;
    }

    public int size() {
        return windows.size();
    }

    public boolean isEmpty() {
        return windows.isEmpty();
    }

    /**
     * Runs the encoder once over every buffered window, returns the embeddings in order, empties
     * the batch.
     */
    public List<EmbeddingRecord> embed(EncoderRunner encoder) {
        int n = windows.size();
        List<EmbeddingRecord> result = new ArrayList<>(n);
        if (n == 0) {
            return result;
        }
        encoder.embed(inputs, n, outputs);
        for (int i = 0; i < n; i++) {
            float[] e = new float[embeddingDim];
            System.arraycopy(outputs, i * embeddingDim, e, 0, embeddingDim);
            result.add(new EmbeddingRecord(windows.get(i), e));
        }
        windows.clear();
        return result;
    }
}
