package io.fmstream.job.io;

import io.fmstream.core.records.DeadLetterRecord;
import io.fmstream.job.FmstreamOptions;
import io.fmstream.schemas.DeadLetter;
import io.fmstream.schemas.codec.RecordCodec;
import java.nio.ByteBuffer;

/** DeadLetterRecord to a DeadLetter, keyed by the original record's key. */
public final class DeadLetterSerializer extends LatencyTrackingSerializer<DeadLetterRecord> {
    private static final long serialVersionUID = 1L;

    private final FmstreamOptions.DeadLetterPayload payload;
    private transient RecordCodec<DeadLetter> codec;

    public DeadLetterSerializer(String topic) {
        this(topic, FmstreamOptions.DeadLetterPayload.KEEP);
    }

    public DeadLetterSerializer(String topic, FmstreamOptions.DeadLetterPayload payload) {
        super(topic);
        this.payload = payload;
    }

    @Override
    void openCodec() {
        codec = RecordCodec.forType(DeadLetter.class);
    }

    @Override
    byte[] key(DeadLetterRecord d) {
        return d.source.key;
    }

    @Override
    long originAppendTimeMillis(DeadLetterRecord d) {
        return d.source.appendTimeMillis;
    }

    @Override
    byte[] encode(DeadLetterRecord d, long nowMillis) {
        return codec.encode(
                DeadLetter.newBuilder()
                        .setSourceTopic(d.source.topic)
                        .setSourcePartition(d.source.partition)
                        .setSourceOffset(d.source.offset)
                        .setSourceAppendTimeMillis(d.source.appendTimeMillis)
                        .setKey(d.source.key == null ? null : ByteBuffer.wrap(d.source.key))
                        .setPayload(payload(d.source.payload))
                        .setReason(d.reason)
                        .setDetail(detail(d.detail))
                        .setDeviceId(d.deviceId)
                        .setDeadLetterTimeMillis(nowMillis)
                        .build());
    }

    private ByteBuffer payload(byte[] value) {
        if (value == null) {
            return null;
        }
        switch (payload) {
            case KEEP:
                return ByteBuffer.wrap(value);
            case HASH:
                try {
                    return ByteBuffer.wrap(
                            java.security.MessageDigest.getInstance("SHA-256").digest(value));
                } catch (java.security.NoSuchAlgorithmException e) {
                    throw new IllegalStateException("SHA-256 is part of every JDK", e);
                }
            case DROP:
            default:
                return null;
        }
    }

    private String detail(String detail) {
        switch (payload) {
            case HASH:
                return detail + " [payload: SHA-256 of the original value]";
            case DROP:
                return detail + " [payload dropped]";
            case KEEP:
            default:
                return detail;
        }
    }
}
