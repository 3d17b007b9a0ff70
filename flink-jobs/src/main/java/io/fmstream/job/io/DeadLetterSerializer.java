package io.fmstream.job.io;

import io.fmstream.core.records.DeadLetterRecord;
import io.fmstream.schemas.DeadLetter;
import io.fmstream.schemas.codec.RecordCodec;
import java.nio.ByteBuffer;

/** DeadLetterRecord to a DeadLetter, keyed by the original record's key. */
public final class DeadLetterSerializer extends LatencyTrackingSerializer<DeadLetterRecord> {
    private static final long serialVersionUID = 1L;

    private transient RecordCodec<DeadLetter> codec;

    public DeadLetterSerializer(String topic) {
        super(topic);
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
                        .setPayload(
                                d.source.payload == null ? null : ByteBuffer.wrap(d.source.payload))
                        .setReason(d.reason)
                        .setDetail(d.detail)
                        .setDeviceId(d.deviceId)
                        .setDeadLetterTimeMillis(nowMillis)
                        .build());
    }
}
