package io.connectionswap.director.quic;

import io.connectionswap.director.relay.Relay;
import io.connectionswap.director.relay.RelaySession;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.ProtocolException;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.message.Pause;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.quic.QuicStreams;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelOutputShutdownException;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamResetException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client's generation stream: one GENERATE, then the relay writes to it until END or RETRY; or, when the generation
 * is served on the connection's client token stream, the client's PAUSE messages come on it and our FIN follows the
 * client's.
 */
final class ClientStreamHandler extends SimpleChannelInboundHandler<Message> {

    private static final Logger log = LoggerFactory.getLogger(ClientStreamHandler.class);

    private final Relay relay;
    private RelaySession session;
    private boolean requested;

    ClientStreamHandler(Relay relay) {
        this.relay = relay;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Message message) {
        if (requested) {
            if (message instanceof Pause pause && session != null && session.onClientTokenStream()) {
                session.clientPaused(pause.paused());
                return;
            }
            throw new ProtocolException(ErrorCode.UNEXPECTED_MESSAGE, "unexpected " + message.frameType()
                    + " frame after GENERATE" + (message instanceof Pause
                    ? " (PAUSE is only for a generation served on the client token stream)" : ""));
        }
        requested = true;
        QuicStreamChannel stream = (QuicStreamChannel) ctx.channel();
        session = relay.open(stream, ConnectionIds.of(stream), (GenerationRequest) message,
                ControlStreams.forTokens(stream.parent()));
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        // on the client token stream this stream carries no frames of ours: that stream's writability counts
        if (session != null && !session.onClientTokenStream()) {
            session.clientWritable(ctx.channel().isWritable());
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof ChannelInputShutdownEvent) {
            // nothing follows GENERATE: the client's FIN while we relay is a cancel; after our END or RETRY it is
            // the normal end. Either way our FIN follows (if not sent yet) and Netty releases the stream.
            if (session != null) {
                session.clientGone();
            }
            QuicStreams.finish((QuicStreamChannel) ctx.channel());
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (session != null) {
            session.clientGone();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (session != null) {
            session.clientGone(); // whatever ended the client's stream: stop the worker
        }
        QuicStreamChannel stream = (QuicStreamChannel) ctx.channel();
        if (cause instanceof QuicStreamResetException) {
            QuicStreams.peerReset(stream); // the client cancelled
        } else if (cause instanceof ChannelOutputShutdownException) {
            // the client's STOP_SENDING (it cancels, usually with a reset too) failed a relayed write: not bad input
            LogLine.debug(log).field("stream.id", stream.streamId()).field("connection.id", ConnectionIds.of(stream))
                    .log("client stopped reading its stream");
            QuicStreams.abort(stream, ErrorCode.CANCELLED);
        } else {
            BadStreams.end(stream, log, cause);
        }
    }
}
