package io.fmstream.job.io;

import io.fmstream.core.records.DeadLetterRecord;
import io.fmstream.job.FmstreamOptions;
import io.fmstream.schemas.DeadLetter;
import io.fmstream.schemas.codec.RecordCodec;
import java.nio.ByteBuffer;

/**
 * DeadLetterRecord to a DeadLetter, keyed by the original record's key.
 *
 * <p>The dead letter carries the rejected key twice (record key and field) and its value once;
 * together they keep at most {@code maxKeptBytes}. A key whose two copies are over it is kept as
 * its SHA-256, and so is a value that does not fit beside the key kept, whatever the payload
 * policy, and the detail says so: a dead letter over the sink producer's {@code max.request.size}
 * failed the sink, so the job restarted into the same record for ever. Such records reach the job
 * where the sensor topic takes them (a compressed batch, a raised {@code max.message.bytes}); the
 * bound is on the total, since a key and a value each under it can together be over the producer's
 * limit.
 */
public final class DeadLetterSerializer extends LatencyTrackingSerializer<DeadLetterRecord> {
    private static final long serialVersionUID = 1L;

    private final FmstreamOptions.DeadLetterPayload payload;
    private final int maxKeptBytes;
    private transient RecordCodec<DeadLetter> codec;

    public DeadLetterSerializer(String topic) {
        this(topic, FmstreamOptions.DeadLetterPayload.KEEP);
    }

    public DeadLetterSerializer(String topic, FmstreamOptions.DeadLetterPayload payload) {
        this(topic, payload, FmstreamOptions.DEAD_LETTER_MAX_KEPT_BYTES.defaultValue());
    }

    public DeadLetterSerializer(
            String topic, FmstreamOptions.DeadLetterPayload payload, int maxKeptBytes) {
        super(topic);
        this.payload = payload;
        this.maxKeptBytes = maxKeptBytes;
    }

    @Override
    void openCodec() {
        codec = RecordCodec.forType(DeadLetter.class);
    }

    @Override
    byte[] key(DeadLetterRecord d) {
        return boundedKey(d.source.key);
    }

    /** The original key, or its SHA-256 where its two copies are over the bound. */
    private byte[] boundedKey(byte[] key) {
        return key == null || keepsKey(key) ? key : sha256(key);
    }

    private boolean keepsKey(byte[] key) {
        return 2L * key.length <= maxKeptBytes;
    }

    /** Whether the value fits the bound beside the two copies of the key as kept. */
    private boolean keepsValue(DeadLetterRecord d) {
        byte[] key = boundedKey(d.source.key);
        return d.source.payload.length + 2L * (key == null ? 0 : key.length) <= maxKeptBytes;
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
                        .setKey(
                                d.source.key == null
                                        ? null
                                        : ByteBuffer.wrap(boundedKey(d.source.key)))
                        .setPayload(payload(d))
                        .setReason(d.reason)
                        .setDetail(detail(d))
                        .setDeviceId(d.deviceId)
                        .setDeadLetterTimeMillis(nowMillis)
                        .build());
    }

    private ByteBuffer payload(DeadLetterRecord d) {
        byte[] value = d.source.payload;
        if (value == null) {
            return null;
        }
        switch (payload) {
            case KEEP:
                return ByteBuffer.wrap(keepsValue(d) ? value : sha256(value));
            case HASH:
                return ByteBuffer.wrap(sha256(value));
            case DROP:
            default:
                return null;
        }
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private String detail(DeadLetterRecord d) {
        String detail = d.detail;
        byte[] value = d.source.payload;
        byte[] key = d.source.key;
        if (key != null && !keepsKey(key)) {
            detail += " [key: SHA-256 of the original key, " + key.length + " bytes]";
        }
        switch (payload) {
            case HASH:
                return detail + " [payload: SHA-256 of the original value]";
            case DROP:
                return detail + " [payload dropped]";
            case KEEP:
            default:
                if (value != null && !keepsValue(d)) {
                    return detail
                            + " [payload: SHA-256 of the original value, "
                            + value.length
                            + " bytes: with the key, over fmstream.dead-letters.max-kept-bytes "
                            + maxKeptBytes
                            + "]";
                }
                return detail;
        }
    }
}
