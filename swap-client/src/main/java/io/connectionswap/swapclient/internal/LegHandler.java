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
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamResetException;

/**
 * The client's side of one generation stream: turns frames into {@link LegEvents}, exactly one of END, RETRY,
 * ERROR or broken last. The frames come on the generation stream itself or, when the director serves the leg on the
 * connection's client token stream, from the {@link TokenStreamDemux}; both go through the same dispatch, and
 * whichever brings the final frame ends the leg. The leg's life stays tied to its own stream either way: a reset, an
 * early FIN or a lost connection is seen there. The stream is never {@code close()}d: it ends with
 * {@link QuicStreams#finish} (our FIN, keep reading until the director's) or {@link QuicStreams#peerReset}, so Netty
 * releases it.
 */
final class LegHandler extends SimpleChannelInboundHandler<Message> {

    private final LegEvents events;
    private final Runnable onTokenStream;
    private Channel stream;
    private TokenStreamDemux demux;
    private long streamId;
    private boolean settled;
    private boolean tokenStream;

    /** @param onTokenStream run once, when the first frame for this leg comes on the token stream */
    LegHandler(LegEvents events, Runnable onTokenStream) {
        this.events = events;
        this.onTokenStream = onTokenStream;
    }

    /** Takes this leg's frames from {@code demux} too, until settled; once the stream is open, before GENERATE. */
    void listen(TokenStreamDemux tokens, long id) {
        if (!settled) {
            demux = tokens;
            streamId = id;
            tokens.register(id, this);
        }
    }

    /** Whether a frame for this leg came on the token stream: the director serves it there. */
    boolean onTokenStream() {
        return tokenStream;
    }

    boolean settled() {
        return settled;
    }

    /** Our side is done (a final frame, a cancel, the stream gone): ignore what still comes, on either stream. */
    void settle() {
        settled = true;
        if (demux != null) {
            demux.unregister(streamId, this);
            demux = null;
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        stream = ctx.channel();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Message message) {
        dispatch(message);
    }

    /** A frame for this leg from the token stream ({@link TokenStreamDemux}). */
    void fromTokenStream(Message message) {
        if (settled) {
            return;
        }
        if (!tokenStream) {
            tokenStream = true;
            onTokenStream.run();
        }
        dispatch(message);
    }

    /** A frame for this leg on the token stream that does not decode. */
    void badFrameOnTokenStream(Throwable cause) {
        if (!settled) {
            finish();
            events.broken("bad frame from director: " + StreamFailures.describe(cause));
        }
    }

    private void dispatch(Message message) {
        if (settled || message instanceof Heartbeat) {
            return; // a heartbeat: the director's echo of a paused leg's probe (QuicLeg)
        }
        if (message instanceof Token token) {
            events.token(token);
        } else if (message instanceof Connected connected) {
            events.assigned(connected);
        } else if (message instanceof End end) {
            finish();
            events.ended(end);
        } else if (message instanceof Retry retry) {
            finish();
            events.retry(retry);
        } else if (message instanceof StreamError error) {
            finish();
            events.refused(error);
        } else {
            finish();
            events.broken("unexpected " + message.frameType() + " frame from director");
        }
    }

    private void finish() {
        settle();
        QuicStreams.finish(stream);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof ChannelInputShutdownEvent) {
            if (!settled) {
                finish();
                events.broken("director ended the stream without END or RETRY");
            }
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!settled) {
            settle();
            Channel connection = ctx.channel().parent();
            events.broken(connection == null || connection.isActive() ? "stream closed"
                    : "connection to the director lost");
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        boolean wasSettled = settled;
        settle();
        if (cause instanceof QuicStreamResetException reset) {
            QuicStreams.peerReset((QuicStreamChannel) ctx.channel());
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
        QuicStreams.finish(ctx.channel());
        if (!wasSettled) {
            events.broken("bad frame from director: " + StreamFailures.describe(cause));
        }
    }
}
