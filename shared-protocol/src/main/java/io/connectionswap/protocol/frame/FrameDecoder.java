package io.connectionswap.protocol.frame;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Splits a stream into {@link RawFrame}s. Checks the type byte before anything else and the length against
 * the limit before buffering, so a bad peer cannot make us buffer a huge frame. After the first error the
 * rest of the stream is discarded: a stream cannot be resynchronised, but the connection lives on.
 * Stateful: one instance per stream.
 */
public final class FrameDecoder extends ByteToMessageDecoder {

    private final int maxPayloadBytes;
    private boolean failed;

    public FrameDecoder(int maxPayloadBytes) {
        if (maxPayloadBytes <= 0) {
            throw new IllegalArgumentException("maxPayloadBytes: " + maxPayloadBytes + " (expected: > 0)");
        }
        this.maxPayloadBytes = maxPayloadBytes;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (!in.isReadable()) {
            return;
        }
        int start = in.readerIndex();
        int typeCode = in.getUnsignedByte(start);
        FrameType type = FrameType.fromCode(typeCode);
        if (type == null) {
            throw fail(in, ErrorCode.UNKNOWN_FRAME_TYPE, String.format("unknown frame type 0x%02x", typeCode));
        }
        if (in.readableBytes() < Frames.HEADER_BYTES) {
            return;
        }
        long payloadBytes = in.getUnsignedInt(start + 1);
        if (payloadBytes > maxPayloadBytes) {
            throw fail(in, ErrorCode.FRAME_TOO_LARGE, String.format(
                    "%s frame of %d bytes exceeds the limit of %d bytes", type, payloadBytes, maxPayloadBytes));
        }
        int frameBytes = Frames.HEADER_BYTES + (int) payloadBytes;
        if (in.readableBytes() < frameBytes) {
            return;
        }
        out.add(new RawFrame(type, in.readRetainedSlice(frameBytes)));
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        decode(ctx, in, out);
        if (!failed && in.isReadable()) {
            int have = in.readableBytes();
            String expected = have >= Frames.HEADER_BYTES
                    ? Long.toString(Frames.HEADER_BYTES + in.getUnsignedInt(in.readerIndex() + 1))
                    : "at least " + Frames.HEADER_BYTES;
            throw fail(in, ErrorCode.TRUNCATED_FRAME,
                    "stream ended inside a frame: " + have + " of " + expected + " bytes received");
        }
    }

    private ProtocolException fail(ByteBuf in, ErrorCode code, String message) {
        failed = true;
        in.skipBytes(in.readableBytes());
        return new ProtocolException(code, message);
    }
}
