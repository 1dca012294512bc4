package io.connectionswap.protocol.frame;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * The layout of a token stream's frames: {@code TAGGED | u32 length | u64 stream id | one whole frame}. A worker wraps
 * each CONNECTED, TOKEN and END frame of a generation in one, so that the generations of one connection share a
 * stream, and their tokens datagrams; the director unwraps it ({@link #inner}) and relays the inner frame to the
 * generation's client as it is. The director does the same towards a client that asked for its connection's token
 * stream (the client token stream), and then also carries RETRY and ERROR, so that they cannot overtake the tokens
 * before them.
 */
public final class TaggedFrames {

    /** The stream id before the inner frame. */
    public static final int TAG_BYTES = Long.BYTES;

    /** What a worker's token stream carries. */
    public static final Set<FrameType> FROM_WORKER =
            Collections.unmodifiableSet(EnumSet.of(FrameType.CONNECTED, FrameType.TOKEN, FrameType.END));
    /** What a client token stream carries: a worker's frames and the director's own final frames. */
    public static final Set<FrameType> FROM_DIRECTOR = Collections.unmodifiableSet(EnumSet.of(FrameType.CONNECTED,
            FrameType.TOKEN, FrameType.END, FrameType.RETRY, FrameType.ERROR));

    private TaggedFrames() {
    }

    /** Wraps {@code frame} (one whole frame; released here) for the generation relayed as {@code streamId}. */
    public static ByteBuf wrap(ByteBufAllocator alloc, long streamId, ByteBuf frame) {
        try {
            int frameBytes = frame.readableBytes();
            ByteBuf tagged = alloc.ioBuffer(Frames.HEADER_BYTES + TAG_BYTES + frameBytes);
            tagged.writeByte(FrameType.TAGGED.code()).writeInt(TAG_BYTES + frameBytes).writeLong(streamId)
                    .writeBytes(frame, frame.readerIndex(), frameBytes);
            return tagged;
        } finally {
            frame.release();
        }
    }

    /** The stream id a TAGGED frame is for. */
    public static long streamId(RawFrame tagged) {
        ByteBuf content = withStreamId(tagged);
        return content.getLong(content.readerIndex() + Frames.HEADER_BYTES);
    }

    /**
     * The frame a TAGGED frame carries, as a new {@link RawFrame} sharing its bytes (a retained slice: the caller
     * releases both). Only frames of the {@code allowed} types ({@link #FROM_WORKER}, {@link #FROM_DIRECTOR}) may be
     * carried, whole and alone.
     *
     * @throws ProtocolException MALFORMED_MESSAGE when the inner frame is cut, overlong or of another type
     */
    public static RawFrame inner(RawFrame tagged, Set<FrameType> allowed) {
        ByteBuf content = withStreamId(tagged);
        int start = content.readerIndex() + Frames.HEADER_BYTES + TAG_BYTES;
        int length = content.writerIndex() - start;
        if (length < Frames.HEADER_BYTES) {
            throw malformed("inner frame of " + length + " bytes, shorter than a frame header");
        }
        FrameType type = FrameType.fromCode(content.getUnsignedByte(start));
        if (type == null || !allowed.contains(type)) {
            throw malformed("inner frame of type " + (type == null
                    ? String.format("0x%02x", content.getUnsignedByte(start)) : type)
                    + " (expected: one of " + allowed + ")");
        }
        long payload = content.getUnsignedInt(start + 1);
        if (payload != length - Frames.HEADER_BYTES) {
            throw malformed("inner " + type + " frame says " + payload + " payload bytes, carries "
                    + (length - Frames.HEADER_BYTES));
        }
        return new RawFrame(type, content.retainedSlice(start, length));
    }

    /** The content of a TAGGED frame long enough to hold a stream id. */
    private static ByteBuf withStreamId(RawFrame tagged) {
        if (tagged.type() != FrameType.TAGGED) {
            throw new IllegalArgumentException("not a TAGGED frame: " + tagged.type());
        }
        ByteBuf content = tagged.content();
        if (content.readableBytes() < Frames.HEADER_BYTES + TAG_BYTES) {
            throw malformed((content.readableBytes() - Frames.HEADER_BYTES) + " payload bytes, shorter than a stream id");
        }
        return content;
    }

    private static ProtocolException malformed(String reason) {
        return new ProtocolException(ErrorCode.MALFORMED_MESSAGE, "malformed TAGGED frame: " + reason);
    }
}
