package io.connectionswap.director.quic;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.ProtocolException;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.quic.Peers;
import io.connectionswap.protocol.quic.QuicStreams;
import io.connectionswap.protocol.quic.StreamFailures;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamResetException;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client token stream a client opened ({@link ControlStreams}): the director writes the tagged frames of the
 * connection's generations there ({@code relay.ClientTokenStream}), and the client sends nothing after its
 * TOKEN_STREAM message; anything more ends the stream with UNEXPECTED_MESSAGE. The generations whose frames go there
 * cannot go on without it, so when it ends while the connection lives (the client's FIN or reset, or bad input)
 * the director closes the connection: the client resumes every generation of it on a new connection, as after any
 * loss of its director connection. One per stream, after the token stream's message decoder.
 */
final class ClientTokenStreamHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(ClientTokenStreamHandler.class);

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        String type = msg instanceof Message message ? message.frameType().toString() : msg.getClass().getSimpleName();
        ReferenceCountUtil.release(msg);
        throw new ProtocolException(ErrorCode.UNEXPECTED_MESSAGE,
                "unexpected " + type + " frame on the client token stream (the client sends nothing after TOKEN_STREAM)");
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof ChannelInputShutdownEvent || event instanceof ChannelInputShutdownReadComplete) {
            closeConnection(ctx, "client closed its token stream");
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closeConnection(ctx, "client token stream ended");
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof QuicStreamResetException) {
            QuicStreams.peerReset((QuicStreamChannel) ctx.channel());
            closeConnection(ctx, "client reset its token stream");
            return;
        }
        StreamFailures.endStream(ctx.channel(), log, "director", cause);
        closeConnection(ctx, "client broke its token stream: " + StreamFailures.describe(cause));
    }

    private static void closeConnection(ChannelHandlerContext ctx, String why) {
        QuicChannel connection = (QuicChannel) ctx.channel().parent();
        if (!connection.isActive()) {
            return; // the connection is closing anyway
        }
        LogLine.warn(log).field("connection.id", ConnectionIds.of(connection)).field("peer", Peers.address(connection))
                .quoted("reason", why).log("closing client connection: its generations resume on a new one");
        connection.close(true, ErrorCode.UNEXPECTED_MESSAGE.code(),
                Unpooled.copiedBuffer(why, StandardCharsets.UTF_8));
    }
}
