package io.connectionswap.swapclient.internal;

import io.connectionswap.protocol.frame.FrameDecoder;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.message.GoAway;
import io.connectionswap.protocol.quic.Heartbeats;
import io.connectionswap.protocol.quic.HostPort;
import io.connectionswap.protocol.quic.StreamPipelines;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.ReferenceCountUtil;

/**
 * A director connection's first stream, its control stream: heartbeats (the connection is closed when the director
 * stops answering them), an older director's client token stream (TAGGED frames to their legs), and GOAWAY. Lines
 * with {@link DirectorLink}'s logger.
 */
final class DirectorControlStream extends ChannelInboundHandlerAdapter {

    private final HostPort director;
    private final Runnable goingAway;

    private DirectorControlStream(HostPort director, Runnable goingAway) {
        this.director = director;
        this.goingAway = goingAway;
    }

    /**
     * Opens the control stream of {@code channel}, a connection to {@code director}, through {@code streams}, its
     * {@link StreamOpener} (the first stream asked for: the first opened); {@code goingAway} runs (on the connection's
     * loop) when the director says GOAWAY.
     */
    static void open(QuicChannel channel, StreamOpener streams, DirectorLinkSettings settings, HostPort director,
                     TokenStreamDemux demux, Runnable goingAway) {
        streams.open(new ChannelInitializer<QuicStreamChannel>() {
            @Override
            protected void initChannel(QuicStreamChannel stream) {
                StreamPipelines.messages(stream, settings.quic().frameLimits(), Heartbeats.sender(
                        settings.heartbeatInterval(), settings.heartbeatTimeout(), () -> {
                            LogLine.warn(DirectorLink.log).field("director.addr", director)
                                    .field("timeout", settings.heartbeatTimeout())
                                    .log("director stopped answering heartbeats; reconnecting");
                            channel.close();
                        }));
                // an older director's client token stream: TAGGED frames go to their legs before the message decoder
                stream.pipeline().addAfter(stream.pipeline().context(FrameDecoder.class).name(), "token-stream",
                        demux.reader());
                stream.pipeline().addLast(new DirectorControlStream(director, goingAway));
            }
        });
    }

    /** What the director says on the control stream besides heartbeats: GOAWAY. */
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof GoAway goAway) {
            LogLine.info(DirectorLink.log).field("director.addr", director).field("director.id", goAway.directorId())
                    .quoted("reason", goAway.reason()).log("director is going away");
            goingAway.run();
        } else {
            ReferenceCountUtil.release(msg);
        }
    }
}
