package io.fmstream.kafka;

/**
 * The default topic names, defined once: the job's options ({@code fmstream.topics.*}), the
 * producers and readers in the tools, and the docs use these. The {@code .v1} suffix is the topic's
 * contract version; a breaking schema change gets a new topic, not a new meaning.
 */
public final class Topics {

    public static final String SENSOR_CHUNKS = "fmstream.sensor-chunks.v1";
    public static final String EMBEDDINGS = "fmstream.embeddings.v1";
    public static final String PREDICTIONS = "fmstream.predictions.v1";
    public static final String DEAD_LETTERS = "fmstream.dead-letters.v1";

    /** Simulator and replay ground truth (evaluation only; the job never reads it). */
    public static final String GROUND_TRUTH = "fmstream.ground-truth.v1";

    private Topics() {}
}
