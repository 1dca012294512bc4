package io.connectionswap.director.registry;

import io.connectionswap.protocol.frame.FrameType;
import io.connectionswap.protocol.frame.ProtocolException;
import io.connectionswap.protocol.frame.RawFrame;
import io.connectionswap.protocol.frame.TaggedFrames;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.function.Consumer;

/**
 * On a link connection's token stream (its heartbeat stream, opened with a {@code TokenStream} message), hands each
 * TAGGED frame's inner frame to its relay session ({@link WorkerFrames}); other frames (heartbeat echoes) pass on. A
 * malformed TAGGED frame is the worker's fault and the stream cannot be resynchronised: {@code onMalformed} closes the
 * link, and its sessions move. Sits between the frame decoder and the message decoder; one instance per stream.
 */
final class TokenStreamRouter extends ChannelInboundHandlerAdapter {

    private final WorkerEndpoint worker;
    private final WorkerFrames frames;
    private final Consumer<String> onMalformed;

    TokenStreamRouter(WorkerEndpoint worker, WorkerFrames frames, Consumer<String> onMalformed) {
        this.worker = worker;
        this.frames = frames;
        this.onMalformed = onMalformed;
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
            inner = TaggedFrames.inner(tagged, TaggedFrames.FROM_WORKER);
        } catch (ProtocolException e) {
            onMalformed.accept(e.getMessage());
            return;
        } finally {
            tagged.release();
        }
        frames.fromWorker(worker, streamId, inner);
    }
}
