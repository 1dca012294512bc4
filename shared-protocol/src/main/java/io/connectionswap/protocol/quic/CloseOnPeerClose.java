package io.connectionswap.protocol.quic;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.quic.QuicConnectionCloseEvent;

/**
 * Closes this side of a QUIC connection as the peer's CONNECTION_CLOSE is read. Netty keeps the connection's channel
 * open through QUIC's draining period (three probe timeouts) and closes it only when quiche's draining timer runs out,
 * so whatever acts on the channel's close (its close future, {@code channelInactive}) heard of the peer's close that
 * much later: 30-900 ms, more under CPU contention, as the probe timeout grows with the round trips a slowed loop
 * measures. Nothing more comes on a connection the peer closed.
 *
 * <p>The handlers after this one see the {@link QuicConnectionCloseEvent} before the connection closes (to keep its
 * code and reason). Stream data the peer wrote before its close has been read by then: quiche sends it in packets
 * before the close's, and Netty reads each datagram whole before the next. Only an active connection is closed: a
 * close during the handshake fails the connect as before. Put it first in a connection's pipeline; one instance
 * serves every connection.
 */
@ChannelHandler.Sharable
public final class CloseOnPeerClose extends ChannelInboundHandlerAdapter {

    public static final CloseOnPeerClose INSTANCE = new CloseOnPeerClose();

    private CloseOnPeerClose() {
    }

    /**
     * A QUIC connection's handler (shareable, as {@code connection} must be) that puts this one first, then
     * {@code connection}: for a codec's or a connect's connection handler.
     */
    public static ChannelHandler before(ChannelHandler connection) {
        return new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel channel) {
                channel.pipeline().addLast(INSTANCE, connection);
            }
        };
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        ctx.fireUserEventTriggered(event);
        if (event instanceof QuicConnectionCloseEvent && ctx.channel().isActive()) {
            ctx.close();
        }
    }
}
