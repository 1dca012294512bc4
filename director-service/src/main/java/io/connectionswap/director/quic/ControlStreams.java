package io.connectionswap.director.quic;

import io.connectionswap.protocol.message.Heartbeat;
import io.connectionswap.protocol.message.TokenStream;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.AttributeKey;
import java.util.function.Consumer;

/**
 * The streams a client connection keeps open besides its generations, stored on the connection:
 * <ul>
 *   <li>its <em>control stream</em>: the first stream whose first message is a heartbeat (the client sends one as
 *       soon as it opens the stream); heartbeats and their echoes, and where the director says GOAWAY;</li>
 *   <li>its <em>client token stream</em>, when the client opened one: the first stream whose first message is
 *       {@link TokenStream}; the director sends there the frames of the generations that asked for the client token
 *       stream. A client of an older version opens none: its generations' frames go on its control stream.</li>
 * </ul>
 * Keeping the two apart means a heartbeat's echo never waits behind the tokens queued for the client. The control
 * stream carries nothing but heartbeats from the client: any other frame there is refused and the stream stays
 * ({@link FirstMessageRouter}).
 */
final class ControlStreams {

    private static final AttributeKey<QuicStreamChannel> CONTROL = AttributeKey.valueOf("connection-swap.control-stream");
    private static final AttributeKey<QuicStreamChannel> TOKENS =
            AttributeKey.valueOf("connection-swap.client-token-stream");

    private ControlStreams() {
    }

    /** The control stream of {@code connection} if it is known and open, else null. */
    static QuicStreamChannel of(QuicChannel connection) {
        return open(connection.attr(CONTROL).get());
    }

    /**
     * Where the client token stream of {@code connection} goes: the stream the client opened for it if open, else
     * (an older client, or one whose token stream is not read yet) its control stream; null with neither.
     */
    static QuicStreamChannel forTokens(QuicChannel connection) {
        QuicStreamChannel tokens = open(connection.attr(TOKENS).get());
        return tokens != null ? tokens : of(connection);
    }

    /** Whether {@code stream} is its connection's control stream. */
    static boolean isControlStream(QuicStreamChannel stream) {
        return stream.parent().attr(CONTROL).get() == stream;
    }

    /** Whether {@code stream} is the client token stream its connection's client opened. */
    static boolean isClientTokenStream(QuicStreamChannel stream) {
        return stream.parent().attr(TOKENS).get() == stream;
    }

    /** How many of the streams {@code connection} keeps besides its generations are open now (0 to 2). */
    static int kept(QuicChannel connection) {
        return (of(connection) == null ? 0 : 1) + (open(connection.attr(TOKENS).get()) == null ? 0 : 1);
    }

    private static QuicStreamChannel open(QuicStreamChannel stream) {
        return stream != null && stream.isActive() ? stream : null;
    }

    /**
     * A handler for the front of a new stream of a client connection (before the heartbeat responder): looks at the
     * first message, records the stream as its connection's control stream when that is a heartbeat (and tells
     * {@code found}), or as its client token stream when that is a {@link TokenStream} of this director's version (the
     * {@link FirstMessageRouter} then takes it), and steps aside. One per stream.
     */
    static ChannelInboundHandlerAdapter marker(Consumer<QuicStreamChannel> found) {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ctx.pipeline().remove(this);
                if (ctx.channel() instanceof QuicStreamChannel stream) {
                    if (msg instanceof Heartbeat && stream.parent().attr(CONTROL).setIfAbsent(stream) == null) {
                        found.accept(stream);
                    } else if (msg instanceof TokenStream tokens && tokens.version() == TokenStream.VERSION) {
                        // one of another version is refused: it must not keep the slot from a right one
                        stream.parent().attr(TOKENS).setIfAbsent(stream);
                    }
                }
                ctx.fireChannelRead(msg);
            }
        };
    }
}
