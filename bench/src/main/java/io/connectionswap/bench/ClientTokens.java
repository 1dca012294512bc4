package io.connectionswap.bench;

import io.connectionswap.protocol.frame.RawFrame;
import io.connectionswap.protocol.frame.TaggedFrames;
import io.connectionswap.protocol.quic.TaggedFrameRouter;
import io.netty.channel.ChannelHandler;
import io.netty.util.collection.LongObjectHashMap;
import io.netty.util.collection.LongObjectMap;
import java.util.function.Consumer;

/**
 * The bench client's side of a connection's client token stream, as the client library's: on the client token stream
 * it opens and on the control stream (where a director that read a GENERATE before the token stream's first frame
 * sends), between the frame decoder and the message decoder ({@link #reader()}), each TAGGED frame's inner frame goes
 * to the generation whose stream id it carries; other frames (heartbeat echoes, GOAWAY) pass on. Frames of a
 * generation no longer registered (it ended) are dropped. A malformed TAGGED frame closes the connection (the stream
 * cannot be resynchronised). Confined to the connection's event loop.
 */
final class ClientTokens {

    private final LongObjectMap<Consumer<RawFrame>> generations = new LongObjectHashMap<>();

    /** Frames tagged {@code streamId} go to {@code receiver} (which releases them) until {@link #remove}. */
    void add(long streamId, Consumer<RawFrame> receiver) {
        generations.put(streamId, receiver);
    }

    void remove(long streamId) {
        generations.remove(streamId);
    }

    /** For one stream that carries this connection's tagged frames. */
    ChannelHandler reader() {
        return TaggedFrameRouter.of(TaggedFrames.FROM_DIRECTOR, this::route, (ctx, problem) -> {
            System.err.println("[bench] malformed TAGGED frame from the director, closing the connection: " + problem);
            ctx.channel().parent().close();
        });
    }

    private void route(long streamId, RawFrame inner) {
        Consumer<RawFrame> receiver = generations.get(streamId);
        if (receiver == null) {
            inner.release();
            return;
        }
        receiver.accept(inner);
    }
}
