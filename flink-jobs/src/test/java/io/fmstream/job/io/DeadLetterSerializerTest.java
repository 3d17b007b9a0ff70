package io.fmstream.job.io;

import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.core.records.DeadLetterRecord;
import io.fmstream.core.records.SourceRef;
import io.fmstream.job.FmstreamOptions.DeadLetterPayload;
import io.fmstream.schemas.DeadLetter;
import io.fmstream.schemas.DeadLetterReason;
import io.fmstream.schemas.codec.RecordCodec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.junit.jupiter.api.Test;

class DeadLetterSerializerTest {

    private static final byte[] VALUE = "raw ECG samples".getBytes(StandardCharsets.UTF_8);

    @Test
    void keepsHashesOrDropsTheRejectedValueAsConfiguredAndSaysWhichInTheDetail() throws Exception {
        DeadLetter kept = serialize(DeadLetterPayload.KEEP);
        assertThat(bytes(kept.getPayload())).isEqualTo(VALUE);
        assertThat(kept.getDetail()).isEqualTo("bad gain");

        DeadLetter hashed = serialize(DeadLetterPayload.HASH);
        assertThat(bytes(hashed.getPayload()))
                .isEqualTo(MessageDigest.getInstance("SHA-256").digest(VALUE))
                .hasSize(32);
        assertThat(hashed.getDetail())
                .isEqualTo("bad gain [payload: SHA-256 of the original value]");

        DeadLetter dropped = serialize(DeadLetterPayload.DROP);
        assertThat(dropped.getPayload()).isNull();
        assertThat(dropped.getDetail()).isEqualTo("bad gain [payload dropped]");
        // Everything else still identifies the record.
        assertThat(dropped.getSourceOffset()).isEqualTo(42);
        assertThat(dropped.getReason()).isEqualTo(DeadLetterReason.MALFORMED_SAMPLES);
    }

    /**
     * A rejected value (or key) too large to keep: kept as its SHA-256, so the dead letter fits the
     * sink producer's default max.request.size (1 MiB); kept whole, it failed the sink and the job
     * restarted into it again and again.
     */
    @Test
    void aValueOrKeyOverTheBoundIsKeptAsItsHashSoTheDeadLetterFitsTheProducersLimit()
            throws Exception {
        byte[] value = new byte[4 << 20]; // 2 M samples: a compressed batch lets it through
        byte[] key = new byte[600 << 10];
        java.util.Arrays.fill(key, (byte) 'k');
        DeadLetterSerializer s = new DeadLetterSerializer("dead-letters", DeadLetterPayload.KEEP);
        s.openCodec();
        DeadLetterRecord d = new DeadLetterRecord();
        d.source = new SourceRef("sensor", 1, 42, 1_700_000_000_000L, key, value);
        d.reason = DeadLetterReason.OVERSIZED_CHUNK;
        d.detail = "2000000 samples";
        d.deviceId = "dev";
        byte[] recordKey = s.key(d);
        byte[] encoded = s.encode(d, 1_700_000_001_000L);
        assertThat(recordKey.length + encoded.length).isLessThan((1 << 20) - 1024);
        DeadLetter letter = RecordCodec.forType(DeadLetter.class).decode(encoded);
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        assertThat(bytes(letter.getPayload())).isEqualTo(sha.digest(value));
        assertThat(bytes(letter.getKey())).isEqualTo(sha.digest(key)).isEqualTo(recordKey);
        assertThat(letter.getDetail())
                .startsWith("2000000 samples")
                .contains("[key: SHA-256 of the original key, 614400 bytes]")
                .contains("[payload: SHA-256 of the original value, 4194304 bytes");
        // At the bound (the key's two copies and the value), both are kept as they are.
        d.source =
                new SourceRef(
                        "sensor",
                        1,
                        42,
                        1_700_000_000_000L,
                        "dev".getBytes(),
                        new byte[(512 << 10) - 6]);
        DeadLetter atBound =
                RecordCodec.forType(DeadLetter.class).decode(s.encode(d, 1_700_000_001_000L));
        assertThat(atBound.getPayload().remaining()).isEqualTo((512 << 10) - 6);
        assertThat(atBound.getDetail()).isEqualTo("2000000 samples");

        // A key and a value each under the bound, over it together: a 300 KiB key (600 KiB in
        // its two copies) is hashed; a 200 KiB key is kept and a 500 KiB value beside it hashed.
        for (int[] kv : new int[][] {{300 << 10, 500 << 10}, {200 << 10, 500 << 10}}) {
            d.source =
                    new SourceRef(
                            "sensor", 1, 42, 1_700_000_000_000L, new byte[kv[0]], new byte[kv[1]]);
            byte[] k = s.key(d);
            byte[] v = s.encode(d, 1_700_000_001_000L);
            assertThat(k.length + v.length)
                    .as("key %d + value %d", kv[0], kv[1])
                    .isLessThanOrEqualTo((512 << 10) + 1024);
        }
        DeadLetterSerializer dropping =
                new DeadLetterSerializer("dead-letters", DeadLetterPayload.DROP);
        dropping.openCodec();
        d.source = new SourceRef("sensor", 1, 42, 1_700_000_000_000L, new byte[512 << 10], VALUE);
        assertThat(dropping.key(d).length + dropping.encode(d, 1_700_000_001_000L).length)
                .isLessThan(1 << 20);
    }

    private static DeadLetter serialize(DeadLetterPayload mode) throws Exception {
        DeadLetterSerializer s = new DeadLetterSerializer("dead-letters", mode);
        s.openCodec();
        DeadLetterRecord d = new DeadLetterRecord();
        d.source = new SourceRef("sensor", 1, 42, 1_700_000_000_000L, "dev".getBytes(), VALUE);
        d.reason = DeadLetterReason.MALFORMED_SAMPLES;
        d.detail = "bad gain";
        d.deviceId = "dev";
        return RecordCodec.forType(DeadLetter.class).decode(s.encode(d, 1_700_000_001_000L));
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
