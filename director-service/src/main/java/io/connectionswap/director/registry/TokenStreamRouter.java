package io.connectionswap.director.registry;

import io.connectionswap.protocol.frame.RawFrame;
import io.connectionswap.protocol.frame.TaggedFrames;
import io.connectionswap.protocol.quic.TaggedFrameRouter;
import io.netty.channel.ChannelHandlerContext;
import java.util.function.Consumer;

/**
 * On a link connection's token stream (a stream of its own beside the heartbeat stream, opened with a
 * {@code TokenStream} message), hands each TAGGED frame's inner frame to its relay session ({@link WorkerFrames});
 * other frames pass on. A
 * malformed TAGGED frame is the worker's fault and the stream cannot be resynchronised: {@code onMalformed} closes the
 * link, and its sessions move. Sits between the frame decoder and the message decoder; one instance per stream.
 */
final class TokenStreamRouter extends TaggedFrameRouter {

    private final WorkerEndpoint worker;
    private final WorkerFrames frames;
    private final Consumer<String> onMalformed;

    TokenStreamRouter(WorkerEndpoint worker, WorkerFrames frames, Consumer<String> onMalformed) {
        super(TaggedFrames.FROM_WORKER);
        this.worker = worker;
        this.frames = frames;
        this.onMalformed = onMalformed;
    }

    @Override
    protected void route(long streamId, RawFrame inner) {
        frames.fromWorker(worker, streamId, inner);
    }

    @Override
    protected void malformed(ChannelHandlerContext ctx, String problem) {
        onMalformed.accept(problem);
    }
}
