package io.connectionswap.swapclient.internal;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.quic.CloseOnPeerClose;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.quic.QuicConnectionCloseEvent;
import java.nio.charset.StandardCharsets;

/**
 * Remembers why the peer closed a QUIC connection (its CONNECTION_CLOSE frame), so the client can say it: a director
 * over {@code CONNECTION_SWAP_MAX_CLIENT_CONNECTIONS} closes a new connection at once with {@code OVERLOADED} and a
 * reason. One per connection, a handler of the connection behind {@link CloseOnPeerClose}, which closes the client's
 * side as the peer's close is read, not after QUIC's draining period (three probe timeouts, which grow with the round
 * trips a loop slowed by CPU contention measures, past the heartbeat timeout): the link hears of the close, and
 * reconnects, at once.
 */
final class PeerClose extends ChannelInboundHandlerAdapter {

    private volatile String reason;
    private volatile boolean shuttingDown;

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof QuicConnectionCloseEvent close) {
            reason = describe(close);
            shuttingDown = close.isApplicationClose() && close.error() == ErrorCode.SHUTTING_DOWN.code();
        }
        super.userEventTriggered(ctx, event);
    }

    /** The peer's close, e.g. {@code OVERLOADED (0x113): director has 1000 client connections, ...}; null if none. */
    String reason() {
        return reason;
    }

    /** Whether the peer closed with SHUTTING_DOWN: a director that drains (or stops), not one that failed. */
    boolean shuttingDown() {
        return shuttingDown;
    }

    /** The reason phrase; empty when the peer sent none (Netty's {@code reason()} then throws). */
    private static byte[] reasonOf(QuicConnectionCloseEvent close) {
        try {
            byte[] reason = close.reason();
            return reason == null ? new byte[0] : reason;
        } catch (NullPointerException noReason) {
            return new byte[0];
        }
    }

    static String describe(QuicConnectionCloseEvent close) {
        String text = LogLine.printable(new String(reasonOf(close), StandardCharsets.UTF_8), 300);
        ErrorCode code = close.isApplicationClose() ? ErrorCode.fromCode(close.error()) : null;
        String what = code != null ? code + " (0x" + Integer.toHexString(close.error()) + ")"
                : (close.isApplicationClose() ? "application error 0x" : "QUIC error 0x")
                + Integer.toHexString(close.error());
        return text.isEmpty() ? what : what + ": " + text;
    }
}
