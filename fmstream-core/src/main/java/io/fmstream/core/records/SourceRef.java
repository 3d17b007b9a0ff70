package io.fmstream.core.records;

/**
 * Where an input record came from, kept so a rejected record can be dead-lettered with its bytes.
 */
public class SourceRef {
    public String topic;
    public int partition;
    public long offset;

    /** Kafka timestamp of the input record (append time on a LogAppendTime topic), ms. */
    public long appendTimeMillis;

    public byte[] key;

    /** The original record value, byte for byte. */
    public byte[] payload;

    public SourceRef() {}

    public SourceRef(
            String topic,
            int partition,
            long offset,
            long appendTimeMillis,
            byte[] key,
            byte[] payload) {
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
        this.appendTimeMillis = appendTimeMillis;
        this.key = key;
        this.payload = payload;
    }
}
