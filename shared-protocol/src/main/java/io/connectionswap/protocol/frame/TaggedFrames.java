package io.connectionswap.protocol.frame;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * The layout of a token stream's frames: {@code TAGGED | u32 length | u64 stream id | one whole frame}. A worker wraps
 * each CONNECTED, TOKEN and END frame of a generation in one, so that the generations of one connection share a
 * stream, and their tokens datagrams; the director unwraps it ({@link #inner}) and relays the inner frame to the
 * generation's client as it is.
 */
public final class TaggedFrames {

    /** The stream id before the inner frame. */
    public static final int TAG_BYTES = Long.BYTES;

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
     * releases both). Only CONNECTED, TOKEN and END may be carried, whole and alone.
     *
     * @throws ProtocolException MALFORMED_MESSAGE when the inner frame is cut, overlong or of another type
     */
    public static RawFrame inner(RawFrame tagged) {
        ByteBuf content = withStreamId(tagged);
        int start = content.readerIndex() + Frames.HEADER_BYTES + TAG_BYTES;
        int length = content.writerIndex() - start;
        if (length < Frames.HEADER_BYTES) {
            throw malformed("inner frame of " + length + " bytes, shorter than a frame header");
        }
        FrameType type = FrameType.fromCode(content.getUnsignedByte(start));
        if (type != FrameType.CONNECTED && type != FrameType.TOKEN && type != FrameType.END) {
            throw malformed("inner frame of type " + (type == null
                    ? String.format("0x%02x", content.getUnsignedByte(start)) : type)
                    + " (expected: CONNECTED, TOKEN or END)");
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
