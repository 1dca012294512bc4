package io.connectionswap.protocol.frame;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;

/**
 * One complete frame as it came off the wire: header and payload in {@link #content()}. The director relays
 * these to the client without decoding or re-encoding them; whoever consumes a RawFrame releases it.
 */
public final class RawFrame extends DefaultByteBufHolder {

    private final FrameType type;

    public RawFrame(FrameType type, ByteBuf wholeFrame) {
        super(wholeFrame);
        this.type = type;
    }

    public FrameType type() {
        return type;
    }

    /** A view of the payload (no copy, no extra reference). */
    public ByteBuf payload() {
        ByteBuf frame = content();
        return frame.slice(frame.readerIndex() + Frames.HEADER_BYTES, frame.readableBytes() - Frames.HEADER_BYTES);
    }

    /** Sequence number of a TOKEN frame, read in place. */
    public int tokenSequence() {
        if (type != FrameType.TOKEN) {
            throw new IllegalStateException("not a token frame: " + type);
        }
        return content().getInt(content().readerIndex() + Frames.HEADER_BYTES);
    }

    @Override
    public String toString() {
        return "RawFrame(" + type + ", " + (content().readableBytes() - Frames.HEADER_BYTES) + " payload bytes)";
    }
}
