package io.fmstream.core.records;

import io.fmstream.schemas.DeadLetterReason;

/** An input the job could not use, with its original bytes and the reason. */
public class DeadLetterRecord {
    public SourceRef source;
    public DeadLetterReason reason;
    public String detail;

    /** Null when the payload could not be decoded. */
    public String deviceId;

    public DeadLetterRecord() {}

    public DeadLetterRecord(
            SourceRef source, DeadLetterReason reason, String detail, String deviceId) {
        this.source = source;
        this.reason = reason;
        this.detail = detail;
        this.deviceId = deviceId;
    }
}
