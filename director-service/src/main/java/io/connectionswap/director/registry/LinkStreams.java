package io.connectionswap.director.registry;

import io.connectionswap.protocol.frame.FrameDecoder;
import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.message.TokenStream;
import io.connectionswap.protocol.quic.Heartbeats;
import io.connectionswap.protocol.quic.StreamPipelines;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import java.time.Duration;
import java.util.function.LongConsumer;

/**
 * The streams a {@link WorkerLink} opens on each of its connections for itself, beside the relayed ones: the heartbeat
 * stream, and the token stream when the link has one. Each watches its stream and closes the link, with the reason,
 * when the worker breaks or ends it while the connection lives. A stream that cannot open on a connection already
 * closed says nothing more: the connection's close loses the link with its own reason (a worker's SHUTTING_DOWN close
 * read before the link's streams open, as when it closes a link made in its close window, is its drain).
 */
final class LinkStreams {

    private LinkStreams() {
    }

    /**
     * Opens {@code connection}'s heartbeat stream, its turn {@code offset} into the {@code turns} period. A frame other
     * than a heartbeat echo on it is refused with a WARN and the stream stays ({@link HeartbeatStreamFrames}); bytes
     * that are no frame break it, and the link is lost ({@link BrokenStreamLosesLink}).
     */
    static void openHeartbeatStream(QuicChannel connection, WorkerLink link, FrameLimits frameLimits,
                                    HeartbeatTurns turns, Duration offset, LongConsumer onEcho) {
        connection.createStream(QuicStreamType.BIDIRECTIONAL, new ChannelInitializer<QuicStreamChannel>() {
            @Override
            protected void initChannel(QuicStreamChannel stream) {
                StreamPipelines.messages(stream, frameLimits, Heartbeats.sender(turns.period(), offset,
                        turns.timeout(), () -> link.close("no heartbeat echo for " + turns.timeout()), onEcho));
                // the echoes are consumed above: any other frame is refused there, the stream and the link stay
                stream.pipeline().addLast(HeartbeatStreamFrames.INSTANCE, new BrokenStreamLosesLink(connection, link));
            }
        }).addListener(opened -> {
            if (!opened.isSuccess() && connection.isActive()) {
                // no heartbeat, no hang detection on this connection: a link without it is no link
                link.close("cannot open a heartbeat stream: " + opened.cause());
            }
        });
    }

    /**
     * Opens {@code connection}'s token stream: a stream of its own, not the heartbeat stream, so that the heartbeat
     * and its echo never wait behind the tokens queued on it (at 4 750 lockstep streams an echo queued behind them
     * came more than the 1 s heartbeat timeout late, and a live link was declared lost). A worker makes whichever
     * stream the director opens with {@link TokenStream} its connection's token stream, so workers that took it on
     * the heartbeat stream take it here too. The worker closing it while the connection lives loses the link.
     */
    static void openTokenStream(QuicChannel connection, WorkerLink link, FrameLimits frameLimits,
                                WorkerLink.TokenStreamFrames tokens) {
        connection.createStream(QuicStreamType.BIDIRECTIONAL, new ChannelInitializer<QuicStreamChannel>() {
            @Override
            protected void initChannel(QuicStreamChannel stream) {
                StreamPipelines.messages(stream, frameLimits, new TokenStreamEnd(connection, link));
                String decoder = stream.pipeline().context(FrameDecoder.class).name();
                stream.pipeline().addAfter(decoder, null, new TokenStreamRouter(tokens.worker(),
                        tokens.frames().on(stream.eventLoop()),
                        problem -> link.close("worker broke its token stream: " + problem)));
            }
        }).addListener(opened -> {
            if (!opened.isSuccess()) {
                if (connection.isActive()) {
                    link.close("cannot open a token stream: " + opened.cause());
                }
                return;
            }
            QuicStreamChannel stream = (QuicStreamChannel) opened.getNow();
            stream.writeAndFlush(new TokenStream(TokenStream.VERSION), stream.voidPromise());
        });
    }

    /**
     * Bad input on a link stream (a malformed frame, or a frame cut off by the stream's end) while its connection
     * lives: the worker broke the stream, and the link is lost with that reason. While the connection is closing, a
     * frame it cut off is expected and the link's loss is already reported, so nothing more is said.
     */
    private static class BrokenStreamLosesLink extends ChannelInboundHandlerAdapter {
        final QuicChannel connection;
        final WorkerLink link;

        BrokenStreamLosesLink(QuicChannel connection, WorkerLink link) {
            this.connection = connection;
            this.link = link;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (connection.isActive()) {
                link.close("worker broke a link stream: " + cause.getMessage());
            }
            ctx.close();
        }
    }

    /** The end of a token stream while its connection lives (the worker's FIN or reset): the link is lost. */
    private static final class TokenStreamEnd extends BrokenStreamLosesLink {
        TokenStreamEnd(QuicChannel connection, WorkerLink link) {
            super(connection, link);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof ChannelInputShutdownEvent || event instanceof ChannelInputShutdownReadComplete) {
                lose();
            }
            ctx.fireUserEventTriggered(event);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            lose();
            ctx.fireChannelInactive();
        }

        private void lose() {
            if (connection.isActive()) {
                link.close("worker closed its token stream");
            }
        }
    }
}
