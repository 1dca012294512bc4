package io.connectionswap.director.registry;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.quic.CloseOnPeerClose;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.quic.QuicConnectionCloseEvent;
import io.netty.util.AttributeKey;

/**
 * The CONNECTION_CLOSE a worker sent on one of the director's QUIC connections to it, if any: Netty fires it as a
 * {@link QuicConnectionCloseEvent} on the connection's pipeline as the frame arrives, before the connection closes;
 * the handler here (each link connection's handler) keeps it on the connection for whoever looks when it has closed,
 * and closes the director's side as the close is read ({@link CloseOnPeerClose}), not once QUIC's draining period is
 * over: the link is lost, and the generations on it move to the next worker, at once.
 */
final class PeerClose {

    private static final AttributeKey<QuicConnectionCloseEvent> CLOSE =
            AttributeKey.valueOf("connection-swap.peer-connection-close");
    private static final ChannelHandler RECORDER = new Recorder();
    private static final ChannelHandler CONNECTION_HANDLER = CloseOnPeerClose.before(RECORDER);

    private PeerClose() {
    }

    /**
     * The handler of a link's QUIC connection (shared): it keeps the worker's CONNECTION_CLOSE, and closes the
     * connection as that close is read.
     */
    static ChannelHandler connectionHandler() {
        return CONNECTION_HANDLER;
    }

    /**
     * Whether the worker closed {@code connection} with an application close SHUTTING_DOWN: it is draining (its
     * server closes), not failing. False for any other code, a transport error, or a close the worker did not send
     * (idle timeout, the director's own close).
     */
    static boolean shuttingDown(Channel connection) {
        QuicConnectionCloseEvent close = connection.attr(CLOSE).get();
        return close != null && close.isApplicationClose() && close.error() == ErrorCode.SHUTTING_DOWN.code();
    }

    @ChannelHandler.Sharable
    private static final class Recorder extends ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof QuicConnectionCloseEvent close) {
                ctx.channel().attr(CLOSE).set(close);
            }
            ctx.fireUserEventTriggered(event);
        }
    }
}
