package io.connectionswap.protocol.frame;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Splits a stream into {@link RawFrame}s. Checks the type byte before anything else and the length against
 * the limit of that type before buffering, so a bad peer cannot make us buffer a huge frame: requests (GENERATE,
 * ASSIGNMENT) may be up to {@link FrameLimits#maxRequestBytes()} (REQUEST_TOO_LARGE beyond), every other frame up to
 * {@link FrameLimits#maxFrameBytes()} (FRAME_TOO_LARGE beyond). After the first error the rest of the stream is
 * discarded: a stream cannot be resynchronised, but the connection lives on. A frame that does not arrive whole at once
 * holds its whole length of a {@link FrameBudget} until it completes or the stream's input ends (refused there: the
 * stream fails as above, and what it sent is freed at once). Stateful: one instance per stream.
 */
public final class FrameDecoder extends ByteToMessageDecoder {

    private final FrameLimits limits;
    private final FrameBudget budget;
    private boolean failed;
    /** Bytes of {@link #budget} the frame begun holds (its whole length), 0 when none is held. */
    private int reserved;

    public FrameDecoder(FrameLimits limits) {
        this(limits, FrameBudget.UNLIMITED);
    }

    public FrameDecoder(FrameLimits limits, FrameBudget budget) {
        if (limits == null) {
            throw new IllegalArgumentException("limits is required");
        }
        if (budget == null) {
            throw new IllegalArgumentException("budget is required (FrameBudget.UNLIMITED for none)");
        }
        this.limits = limits;
        this.budget = budget;
    }

    /** Bytes of a frame begun and not complete yet (0 between frames); on the stream's loop. */
    public int bufferedBytes() {
        return actualReadableBytes();
    }

    /** Whether an error already ended this stream's input. */
    public boolean failed() {
        return failed;
    }

    /**
     * The stream was ended for another reason (an unexpected message, a refusal, our FIN): from now on every byte
     * that arrives, and what is buffered, is discarded unread, as after a decoding error.
     */
    public void discardRest() {
        failed = true;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            releaseReserved();
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
        int limit = limits.limitFor(type);
        if (payloadBytes > limit) {
            throw fail(in, type.carriesRequest() ? ErrorCode.REQUEST_TOO_LARGE : ErrorCode.FRAME_TOO_LARGE,
                    String.format("%s frame of %d bytes exceeds the limit of %d bytes", type, payloadBytes, limit));
        }
        int frameBytes = Frames.HEADER_BYTES + (int) payloadBytes;
        if (in.readableBytes() < frameBytes) {
            if (reserved == 0) {
                try {
                    budget.reserve(frameBytes);
                } catch (ProtocolException refused) {
                    failed = true;
                    in.skipBytes(in.readableBytes());
                    throw refused;
                }
                reserved = frameBytes;
            }
            return;
        }
        releaseReserved();
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

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        releaseReserved(); // the stream closed (or the decoder left it): its buffer goes with it
    }

    private void releaseReserved() {
        if (reserved > 0) {
            int bytes = reserved;
            reserved = 0;
            budget.release(bytes);
        }
    }

    private ProtocolException fail(ByteBuf in, ErrorCode code, String message) {
        failed = true;
        in.skipBytes(in.readableBytes());
        releaseReserved();
        return new ProtocolException(code, message);
    }
}
