package io.fmstream.job.io;

import io.fmstream.core.records.EmbeddingRecord;
import io.fmstream.schemas.WindowEmbedding;
import io.fmstream.schemas.codec.RecordCodec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** EmbeddingRecord to a WindowEmbedding on the embeddings topic. */
public final class EmbeddingSerializer extends LatencyTrackingSerializer<EmbeddingRecord> {
    private static final long serialVersionUID = 1L;

    private final EncoderIdentity encoder;
    private transient RecordCodec<WindowEmbedding> codec;

    public EmbeddingSerializer(String topic, EncoderIdentity encoder) {
        super(topic);
        this.encoder = encoder;
    }

    @Override
    void openCodec() {
        codec = RecordCodec.forType(WindowEmbedding.class);
    }

    @Override
    byte[] key(EmbeddingRecord e) {
        return utf8(e.deviceId);
    }

    @Override
    long originAppendTimeMillis(EmbeddingRecord e) {
        return e.newestAppendTimeMillis;
    }

    @Override
    byte[] encode(EmbeddingRecord e, long nowMillis) {
        ByteBuffer vector =
                ByteBuffer.allocate(e.embedding.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        vector.asFloatBuffer().put(e.embedding);
        return codec.encode(
                WindowEmbedding.newBuilder()
                        .setDeviceId(e.deviceId)
                        .setWindowStartMicros(e.windowStartMicros)
                        .setWindowEndMicros(e.windowEndMicros)
                        .setEncoderId(encoder.toAvro())
                        .setPreprocessingId(encoder.preprocessingId)
                        .setEmbeddingDim(e.embedding.length)
                        .setEmbedding(vector)
                        .setMissingFraction(e.missingFraction)
                        .setNewestChunkAppendTimeMillis(e.newestAppendTimeMillis)
                        .setEmitTimeMillis(nowMillis)
                        .build());
    }
}
