package io.fmstream.schemas.codec;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.Decoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.util.Utf8;

/**
 * An Avro binary decoder over one in-memory message that never allocates more than the message can
 * hold.
 *
 * <p>Avro 1.12's binary decoders trust a length prefix up to its JVM-wide limits (by default about
 * 2 GiB, see {@code org.apache.avro.SystemLimitException}) and allocate before noticing that the
 * input is shorter, so a corrupt 14-byte message can demand a 2 GiB string and end in an {@link
 * OutOfMemoryError}. Here every string or bytes length, and every array or map block count, is
 * first checked against the bytes still unread: a value longer than the rest of the message, or a
 * block with more items than there are bytes left, is corrupt and fails with an {@link
 * EOFException} before anything is allocated. (The block check relies on every array item occupying
 * at least one byte; {@link RecordCodec} refuses schemas where that does not hold.)
 *
 * <p>The primitive reads are delegated to Avro's {@link BinaryDecoder} reading straight from a
 * {@link ByteArrayInputStream}, which consumes exactly the bytes it decodes, so {@link
 * ByteArrayInputStream#available()} is the exact number of unread bytes.
 */
final class BoundedDecoder extends Decoder {

    private ByteArrayInputStream in;
    private BinaryDecoder delegate;
    private byte[] message;
    private int end;
    private boolean shareBytes;

    /**
     * Points this decoder at {@code length} bytes of {@code bytes} starting at {@code offset}; with
     * {@code shareBytes}, each {@code bytes} value read is a view of {@code bytes} instead of a
     * copy (see {@link RecordCodec#decodeSharing}).
     */
    BoundedDecoder reset(byte[] bytes, int offset, int length, boolean shareBytes) {
        this.in = new ByteArrayInputStream(bytes, offset, length);
        this.delegate = DecoderFactory.get().directBinaryDecoder(in, delegate);
        this.message = bytes;
        this.end = offset + length;
        this.shareBytes = shareBytes;
        return this;
    }

    /** Bytes of the message not read yet. */
    int remaining() {
        return in.available();
    }

    private int checkedLength(String what) throws IOException {
        long length = delegate.readLong();
        if (length < 0) {
            throw new EOFException("negative " + what + " length " + length);
        }
        if (length > remaining()) {
            throw new EOFException(
                    what + " length " + length + " exceeds the " + remaining() + " bytes left");
        }
        return (int) length;
    }

    private long checkedItems(long items, String what) throws EOFException {
        // Every array item and map entry of a supported schema takes at least one byte, and the
        // block list ends with a zero count byte, so a block cannot hold more items than bytes
        // left.
        if (items > remaining()) {
            throw new EOFException(
                    what
                            + " block of "
                            + items
                            + " items exceeds the "
                            + remaining()
                            + " bytes left");
        }
        return items;
    }

    @Override
    public void readNull() throws IOException {
        delegate.readNull();
    }

    @Override
    public boolean readBoolean() throws IOException {
        return delegate.readBoolean();
    }

    @Override
    public int readInt() throws IOException {
        return delegate.readInt();
    }

    @Override
    public long readLong() throws IOException {
        return delegate.readLong();
    }

    @Override
    public float readFloat() throws IOException {
        return delegate.readFloat();
    }

    @Override
    public double readDouble() throws IOException {
        return delegate.readDouble();
    }

    @Override
    public Utf8 readString(Utf8 old) throws IOException {
        int length = checkedLength("string");
        Utf8 result = old != null ? old : new Utf8();
        result.setByteLength(length);
        delegate.readFixed(result.getBytes(), 0, length);
        requireUtf8(result.getBytes(), length);
        return result;
    }

    @Override
    public String readString() throws IOException {
        int length = checkedLength("string");
        byte[] bytes = new byte[length];
        delegate.readFixed(bytes, 0, length);
        requireUtf8(bytes, length);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /**
     * Refuses a string that is not well-formed UTF-8, as Avro's strings must be. Decoded leniently,
     * every malformed byte became U+FFFD: two devices whose ids differ only in such bytes (Latin-1
     * ids, say) got the same id, one keyed state, and their streams mixed.
     */
    private static void requireUtf8(byte[] bytes, int length) throws IOException {
        int at = malformedUtf8At(bytes, length);
        if (at >= 0) {
            throw new IOException("string of " + length + " bytes is not UTF-8 at byte " + at);
        }
    }

    /**
     * Index of the first byte of {@code bytes[0, length)} that starts an ill-formed UTF-8 sequence
     * (overlong forms, surrogates and code points past U+10FFFF included), or -1.
     */
    static int malformedUtf8At(byte[] bytes, int length) {
        int i = 0;
        while (i < length) {
            int c = bytes[i] & 0xff;
            if (c < 0x80) {
                i++;
                continue;
            }
            int more;
            int lo = 0x80;
            int hi = 0xBF;
            if (c >= 0xC2 && c <= 0xDF) {
                more = 1;
            } else if (c >= 0xE0 && c <= 0xEF) {
                more = 2;
                lo = c == 0xE0 ? 0xA0 : lo;
                hi = c == 0xED ? 0x9F : hi;
            } else if (c >= 0xF0 && c <= 0xF4) {
                more = 3;
                lo = c == 0xF0 ? 0x90 : lo;
                hi = c == 0xF4 ? 0x8F : hi;
            } else {
                return i;
            }
            if (i + more >= length) {
                return i;
            }
            int second = bytes[i + 1] & 0xff;
            if (second < lo || second > hi) {
                return i;
            }
            for (int k = 2; k <= more; k++) {
                int next = bytes[i + k] & 0xff;
                if (next < 0x80 || next > 0xBF) {
                    return i;
                }
            }
            i += more + 1;
        }
        return -1;
    }

    @Override
    public void skipString() throws IOException {
        delegate.skipFixed(checkedLength("string"));
    }

    @Override
    public ByteBuffer readBytes(ByteBuffer old) throws IOException {
        int length = checkedLength("bytes");
        if (shareBytes) {
            // The message's own bytes, from where the value starts: no copy. slice() makes the
            // view start at 0, with arrayOffset() its place in the message.
            ByteBuffer view = ByteBuffer.wrap(message, end - remaining(), length).slice();
            delegate.skipFixed(length);
            return view;
        }
        ByteBuffer result;
        if (old != null && length <= old.capacity()) {
            result = old;
            result.clear();
        } else {
            result = ByteBuffer.allocate(length);
        }
        delegate.readFixed(result.array(), result.arrayOffset() + result.position(), length);
        result.limit(length);
        return result;
    }

    @Override
    public void skipBytes() throws IOException {
        delegate.skipFixed(checkedLength("bytes"));
    }

    @Override
    public void readFixed(byte[] bytes, int start, int length) throws IOException {
        delegate.readFixed(bytes, start, length);
    }

    @Override
    public void skipFixed(int length) throws IOException {
        delegate.skipFixed(length);
    }

    @Override
    public int readEnum() throws IOException {
        return delegate.readEnum();
    }

    @Override
    public long readArrayStart() throws IOException {
        return checkedItems(delegate.readArrayStart(), "array");
    }

    @Override
    public long arrayNext() throws IOException {
        return checkedItems(delegate.arrayNext(), "array");
    }

    @Override
    public long skipArray() throws IOException {
        return checkedItems(delegate.skipArray(), "array");
    }

    @Override
    public long readMapStart() throws IOException {
        return checkedItems(delegate.readMapStart(), "map");
    }

    @Override
    public long mapNext() throws IOException {
        return checkedItems(delegate.mapNext(), "map");
    }

    @Override
    public long skipMap() throws IOException {
        return checkedItems(delegate.skipMap(), "map");
    }

    @Override
    public int readIndex() throws IOException {
        return delegate.readIndex();
    }
}
