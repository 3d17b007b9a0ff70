package io.fmstream.data.sim;

import io.fmstream.schemas.SensorChunk;
import java.util.Objects;

/**
 * A chunk a simulated device sends, with when it was recorded and sent and its ground truth. The
 * {@link SensorChunk} is a (mutable) Avro object; treat it as read-only.
 *
 * @param chunk the chunk as published
 * @param truth ground truth of the chunk's samples
 * @param chunkIndex the chunk's number in the device's stream (first sample = chunkIndex × chunk
 *     size)
 * @param recordedAtMicros device time at which its last sample was recorded (the next sample's
 *     time)
 * @param releasedAtMicros device time at which the uplink sends it: {@code recordedAtMicros}, or
 *     the end of the offline period it was recorded in
 */
public record SimulatedChunk(
        SensorChunk chunk,
        GroundTruthSpan truth,
        long chunkIndex,
        long recordedAtMicros,
        long releasedAtMicros) {

    public SimulatedChunk {
        Objects.requireNonNull(chunk, "chunk");
        Objects.requireNonNull(truth, "truth");
        if (releasedAtMicros < recordedAtMicros) {
            throw new IllegalArgumentException(
                    "released at " + releasedAtMicros + " before recorded at " + recordedAtMicros);
        }
    }

    public String deviceId() {
        return chunk.getDeviceId();
    }

    /** Whether the chunk was held back by an offline period. */
    public boolean backlogged() {
        return releasedAtMicros > recordedAtMicros;
    }
}
