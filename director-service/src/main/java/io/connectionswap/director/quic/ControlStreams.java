package io.connectionswap.director.quic;

import io.connectionswap.protocol.message.Heartbeat;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.AttributeKey;
import java.util.function.Consumer;

/**
 * Each client connection's control stream: the stream the client keeps open for heartbeats, where the director says
 * GOAWAY. It is the first stream of a connection whose first message is a heartbeat (the client sends one as soon
 * as it opens the stream). Stored on the connection.
 */
final class ControlStreams {

    private static final AttributeKey<QuicStreamChannel> CONTROL = AttributeKey.valueOf("connection-swap.control-stream");

    private ControlStreams() {
    }

    /** The control stream of {@code connection} if it is known and open, else null. */
    static QuicStreamChannel of(QuicChannel connection) {
        QuicStreamChannel stream = connection.attr(CONTROL).get();
        return stream != null && stream.isActive() ? stream : null;
    }

    /**
     * A handler for the front of a new stream (before the heartbeat responder): looks at the first message, records
     * the stream as its connection's control stream when that is a heartbeat (and tells {@code found}), and steps
     * aside. One per stream.
     */
    static ChannelInboundHandlerAdapter marker(Consumer<QuicStreamChannel> found) {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ctx.pipeline().remove(this);
                if (msg instanceof Heartbeat && ctx.channel() instanceof QuicStreamChannel stream
                        && stream.parent().attr(CONTROL).setIfAbsent(stream) == null) {
                    found.accept(stream);
                }
                ctx.fireChannelRead(msg);
            }
        };
    }
}
