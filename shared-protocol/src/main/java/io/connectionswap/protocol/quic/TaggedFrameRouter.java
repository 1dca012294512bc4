package io.connectionswap.protocol.quic;

import io.connectionswap.protocol.frame.FrameType;
import io.connectionswap.protocol.frame.ProtocolException;
import io.connectionswap.protocol.frame.RawFrame;
import io.connectionswap.protocol.frame.TaggedFrames;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The reading end of a token stream (a worker's to the director, or the director's to a client): sits between a
 * stream's frame decoder and its message decoder, unwraps each TAGGED frame and hands its inner frame to
 * {@link #route} with the stream id it carries; every other frame (heartbeat echoes, GOAWAY) passes on. A TAGGED frame
 * that cannot be read (cut, or carrying a frame of a type not {@code allowed}) goes to {@link #malformed}: the stream
 * cannot be resynchronised, so the subclass ends the connection, and later TAGGED frames are dropped. Confined to
 * the stream's event loop; one instance per stream.
 */
public abstract class TaggedFrameRouter extends ChannelInboundHandlerAdapter {

    private final Set<FrameType> allowed;
    private boolean failed;

    /** {@code allowed}: {@link TaggedFrames#FROM_WORKER} or {@link TaggedFrames#FROM_DIRECTOR}. */
    protected TaggedFrameRouter(Set<FrameType> allowed) {
        this.allowed = allowed;
    }

    /** Where a router made by {@link #of} hands each inner frame; the callee releases it. */
    @FunctionalInterface
    public interface Destination {
        void route(long streamId, RawFrame inner);
    }

    /**
     * A router for one stream that hands its inner frames to {@code destination}, which may be shared by the several
     * streams of a connection that carry tagged frames, and its problems to {@code onMalformed}.
     */
    public static TaggedFrameRouter of(Set<FrameType> allowed, Destination destination,
                                       BiConsumer<ChannelHandlerContext, String> onMalformed) {
        return new TaggedFrameRouter(allowed) {
            @Override
            protected void route(long streamId, RawFrame inner) {
                destination.route(streamId, inner);
            }

            @Override
            protected void malformed(ChannelHandlerContext ctx, String problem) {
                onMalformed.accept(ctx, problem);
            }
        };
    }

    /** The frame {@code inner} of the generation stream {@code streamId}; the callee releases it. */
    protected abstract void route(long streamId, RawFrame inner);

    /** A TAGGED frame could not be read ({@code problem} says why); called once. */
    protected abstract void malformed(ChannelHandlerContext ctx, String problem);

    @Override
    public final void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof RawFrame tagged) || tagged.type() != FrameType.TAGGED) {
            ctx.fireChannelRead(msg);
            return;
        }
        long streamId;
        RawFrame inner;
        try {
            if (failed) {
                return; // the connection is closing
            }
            streamId = TaggedFrames.streamId(tagged);
            inner = TaggedFrames.inner(tagged, allowed);
        } catch (ProtocolException e) {
            failed = true;
            malformed(ctx, e.getMessage());
            return;
        } finally {
            tagged.release();
        }
        route(streamId, inner);
    }
}
