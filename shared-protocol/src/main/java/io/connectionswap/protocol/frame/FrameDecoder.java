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
 * holds the bytes of it received so far of a {@link FrameBudget} (not its declared length: a header alone holds
 * nothing of what is yet to come) until it completes or the stream's input ends; refused there, the stream fails as
 * above and what it sent is freed at once. Frames of at most {@link #UNCHARGED_FRAME_BYTES} are never charged (a
 * heartbeat split across two reads must not end a control stream while the budget is full). Stateful: one instance
 * per stream.
 */
public final class FrameDecoder extends ByteToMessageDecoder {

    /**
     * Frames of at most this many bytes (header included) are never charged to the budget: heartbeats, CANCEL, PAUSE
     * and small requests. What they can hold is bounded by the streams a peer may open, each of which costs more than
     * this in the stream's own state.
     */
    public static final int UNCHARGED_FRAME_BYTES = 256;

    private final FrameLimits limits;
    private final FrameBudget budget;
    private boolean failed;
    /** Bytes of {@link #budget} the frame begun holds (what of it was received), 0 when none is held. */
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
            if (frameBytes > UNCHARGED_FRAME_BYTES) {
                holdReceived(in);
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

    /** Charges the budget for what of the incomplete frame in {@code in} arrived since the last charge. */
    private void holdReceived(ByteBuf in) {
        int received = in.readableBytes();
        if (received <= reserved) {
            return;
        }
        try {
            budget.reserve(received - reserved);
        } catch (ProtocolException refused) {
            failed = true;
            in.skipBytes(in.readableBytes());
            releaseReserved();
            throw refused;
        }
        reserved = received;
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
