package io.connectionswap.bench;

import io.connectionswap.protocol.frame.FrameType;
import io.connectionswap.protocol.frame.ProtocolException;
import io.connectionswap.protocol.frame.RawFrame;
import io.connectionswap.protocol.frame.TaggedFrames;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.collection.LongObjectHashMap;
import io.netty.util.collection.LongObjectMap;
import java.util.function.Consumer;

/**
 * The bench client's side of a connection's client token stream: on the control stream (between the frame decoder
 * and the message decoder) each TAGGED frame's inner frame goes to the generation whose stream id it carries; other
 * frames (heartbeat echoes, GOAWAY) pass on. Frames of a generation no longer registered (it ended) are dropped. A
 * malformed TAGGED frame is counted and closes the connection (the stream cannot be resynchronised). Confined to the
 * connection's event loop.
 */
final class ClientTokens extends ChannelInboundHandlerAdapter {

    private final LongObjectMap<Consumer<RawFrame>> generations = new LongObjectHashMap<>();

    /** Frames tagged {@code streamId} go to {@code receiver} (which releases them) until {@link #remove}. */
    void add(long streamId, Consumer<RawFrame> receiver) {
        generations.put(streamId, receiver);
    }

    void remove(long streamId) {
        generations.remove(streamId);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof RawFrame tagged) || tagged.type() != FrameType.TAGGED) {
            ctx.fireChannelRead(msg);
            return;
        }
        long streamId;
        RawFrame inner;
        try {
            streamId = TaggedFrames.streamId(tagged);
            inner = TaggedFrames.inner(tagged, TaggedFrames.FROM_DIRECTOR);
        } catch (ProtocolException e) {
            System.err.println("[bench] malformed TAGGED frame from the director, closing the connection: "
                    + e.getMessage());
            ctx.channel().parent().close();
            return;
        } finally {
            tagged.release();
        }
        Consumer<RawFrame> receiver = generations.get(streamId);
        if (receiver == null) {
            inner.release();
            return;
        }
        receiver.accept(inner);
    }
}
