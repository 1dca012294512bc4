package io.connectionswap.swapclient.internal;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.Heartbeat;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.message.Retry;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.protocol.quic.QuicStreams;
import io.connectionswap.protocol.quic.StreamFailures;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamResetException;

/**
 * The client's side of one generation stream: turns frames into {@link LegEvents}, exactly one of END, RETRY,
 * ERROR or broken last. The stream is never {@code close()}d: it ends with {@link QuicStreams#finish} (our FIN, keep
 * reading until the director's) or {@link QuicStreams#peerReset}, so Netty releases it.
 */
final class LegHandler extends SimpleChannelInboundHandler<Message> {

    private final LegEvents events;
    private boolean settled;

    LegHandler(LegEvents events) {
        this.events = events;
    }

    /** Our side is done (a cancel): ignore what still comes. */
    void settle() {
        settled = true;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Message message) {
        if (settled || message instanceof Heartbeat) {
            return; // a heartbeat: the director's echo of a paused leg's probe (QuicLeg)
        }
        if (message instanceof Token token) {
            events.token(token);
        } else if (message instanceof Connected connected) {
            events.assigned(connected);
        } else if (message instanceof End end) {
            finish(ctx);
            events.ended(end);
        } else if (message instanceof Retry retry) {
            finish(ctx);
            events.retry(retry);
        } else if (message instanceof StreamError error) {
            finish(ctx);
            events.refused(error);
        } else {
            finish(ctx);
            events.broken("unexpected " + message.frameType() + " frame from director");
        }
    }

    private void finish(ChannelHandlerContext ctx) {
        settled = true;
        QuicStreams.finish((QuicStreamChannel) ctx.channel());
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof ChannelInputShutdownEvent) {
            if (!settled) {
                finish(ctx);
                events.broken("director ended the stream without END or RETRY");
            }
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!settled) {
            settled = true;
            events.broken(((QuicStreamChannel) ctx.channel()).parent().isActive() ? "stream closed"
                    : "connection to the director lost");
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        QuicStreamChannel stream = (QuicStreamChannel) ctx.channel();
        boolean wasSettled = settled;
        settled = true;
        if (cause instanceof QuicStreamResetException reset) {
            QuicStreams.peerReset(stream);
            if (wasSettled) {
                return;
            }
            if (reset.applicationProtocolCode() == ErrorCode.TOO_SLOW.code()) {
                // final: resuming would only be cut off again while the subscriber does not read
                events.refused(new StreamError(ErrorCode.TOO_SLOW, "the director ended the stream: this client read "
                        + "nothing of it for too long (the director's CONNECTION_SWAP_SLOW_CLIENT_TIMEOUT)"));
            } else {
                events.broken("stream reset by director (code " + reset.applicationProtocolCode() + ")");
            }
            return;
        }
        QuicStreams.finish(stream);
        if (!wasSettled) {
            events.broken("bad frame from director: " + StreamFailures.describe(cause));
        }
    }
}
