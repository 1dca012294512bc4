package io.connectionswap.swapclient.internal;

import io.connectionswap.protocol.frame.FrameDecoder;
import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.message.TokenStream;
import io.connectionswap.protocol.quic.HostPort;
import io.connectionswap.protocol.quic.QuicStreams;
import io.connectionswap.protocol.quic.StreamPipelines;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens a director connection's client token stream: a stream of its own, beside the control stream, whose first
 * and only message from the client is TOKEN_STREAM. The director then sends the tagged frames of the connection's
 * generations there and not on the control stream, so a heartbeat's echo never waits behind queued tokens (as the
 * director's link heartbeats to its workers, which waited behind tokens for more than their timeout at 4 750
 * lockstep streams). A director of an older version ends the stream with an ERROR: its frames keep coming on the
 * control stream, which reads them as well ({@link TokenStreamDemux}).
 */
final class TokenStreamOpener {

    private static final Logger log = LoggerFactory.getLogger("io.connectionswap.swapclient.DirectorConnection");

    private TokenStreamOpener() {
    }

    /** Opens it through {@code streams}, the connection's {@link StreamOpener}. */
    static void open(StreamOpener streams, FrameLimits limits, TokenStreamDemux demux, HostPort director) {
        streams.open(new ChannelInitializer<QuicStreamChannel>() {
            @Override
            protected void initChannel(QuicStreamChannel stream) {
                StreamPipelines.messages(stream, limits, new Refusal(director));
                stream.pipeline().addAfter(stream.pipeline().context(FrameDecoder.class).name(), "token-stream",
                        demux.reader());
            }
        }).addListener(opened -> {
            if (!opened.isSuccess()) {
                // the connection is closing; nothing is lost: a director sends on the control stream without it
                LogLine.debug(log).field("director.addr", director).quoted("problem", String.valueOf(opened.cause()))
                        .log("could not open the client token stream");
                return;
            }
            QuicStreamChannel stream = (QuicStreamChannel) opened.getNow();
            stream.writeAndFlush(new TokenStream(TokenStream.VERSION), stream.voidPromise());
        });
    }

    /** What passes the token stream's reader: only a director's refusal (an older version) is expected. */
    private static final class Refusal extends ChannelInboundHandlerAdapter {
        private final HostPort director;

        Refusal(HostPort director) {
            this.director = director;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof StreamError error) {
                LogLine.info(log).field("director.addr", director).field("error", error.code())
                        .quoted("problem", error.message())
                        .log("director takes no client token stream (an older version); its frames come on the "
                                + "control stream");
            }
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof ChannelInputShutdownEvent) {
                QuicStreams.finish((QuicStreamChannel) ctx.channel()); // the director ended it: end ours, release it
            }
            ctx.fireUserEventTriggered(event);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // a reset, or bad input from the director on this stream: the connection's own watch decides about it
            LogLine.debug(log).field("director.addr", director).quoted("problem", String.valueOf(cause))
                    .log("client token stream ended");
            ctx.close();
        }
    }
}
