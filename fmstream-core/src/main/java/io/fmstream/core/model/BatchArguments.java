package io.fmstream.core.model;

/**
 * Argument checks shared by every batch runner (ONNX and plain Java), so a caller gets the same
 * {@link IllegalArgumentException} whichever kind of model sits behind a runner.
 */
final class BatchArguments {

    private BatchArguments() {}

    /**
     * Checks n rows of exactly {@code inputWidth} values.
     *
     * @param what what the rows are, for messages, e.g. {@code embeddings}
     * @param model the model that takes them, for messages, e.g. its bundle file
     */
    static void checkRows(float[][] rows, int inputWidth, String what, String model) {
        if (rows == null) {
            throw new IllegalArgumentException(what + " must not be null");
        }
        for (int i = 0; i < rows.length; i++) {
            if (rows[i] == null) {
                throw new IllegalArgumentException(what + "[" + i + "] is null");
            }
            if (rows[i].length != inputWidth) {
                throw new IllegalArgumentException(
                        what
                                + "["
                                + i
                                + "] has "
                                + rows[i].length
                                + " values, "
                                + model
                                + " expects "
                                + inputWidth);
            }
        }
    }

    /**
     * Checks {@code n} rows stored row-major from index 0 of {@code flat}, and room for their
     * outputs from index 0 of {@code out}; either array may be longer.
     */
    static void checkFlat(
            float[] flat, int n, float[] out, int inputWidth, int outputWidth, String what) {
        if (flat == null || out == null) {
            throw new IllegalArgumentException(what + " and the output array must not be null");
        }
        if (n < 0) {
            throw new IllegalArgumentException("count must not be negative, got " + n);
        }
        long need = (long) n * inputWidth;
        if (flat.length < need) {
            throw new IllegalArgumentException(
                    what
                            + " holds "
                            + flat.length
                            + " values, "
                            + n
                            + " rows of "
                            + inputWidth
                            + " need "
                            + need);
        }
        long outNeed = (long) n * outputWidth;
        if (out.length < outNeed) {
            throw new IllegalArgumentException(
                    "output array holds "
                            + out.length
                            + " values, "
                            + n
                            + " rows of "
                            + outputWidth
                            + " need "
                            + outNeed);
        }
    }
}
