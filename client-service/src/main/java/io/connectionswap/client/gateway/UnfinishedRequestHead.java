package io.connectionswap.client.gateway;

import io.connectionswap.protocol.log.LogLine;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.netty.NettyPipeline;

/**
 * A connection that closed before its request head was whole (the idle timeout closed a head that stopped coming, or
 * the peer left half-way through its headers) is one INFO line here, and nothing more: the HTTP codec hands such a
 * head on as a failed decode ({@link PrematureChannelClosureException}), which reactor-netty logs as a WARN "Decoding
 * failed" with the peer's partial request line, then answers with a 400 that a closed connection cannot carry. A
 * malformed head on an open connection still reaches reactor-netty, for its 400; a body cut short still reaches the
 * request that reads it.
 *
 * <p>Stateless, so one instance serves every connection, right behind the HTTP/1.1 codec.
 */
@ChannelHandler.Sharable
final class UnfinishedRequestHead extends ChannelInboundHandlerAdapter {

    static final String NAME = "connectionSwap.unfinishedRequestHead";

    private static final Logger log = LoggerFactory.getLogger(UnfinishedRequestHead.class);
    private static final UnfinishedRequestHead INSTANCE = new UnfinishedRequestHead();

    private UnfinishedRequestHead() {
    }

    /** Puts the handler behind the HTTP/1.1 codec of {@code pipeline}; a pipeline without one is left alone. */
    static void install(ChannelPipeline pipeline) {
        if (pipeline.get(NettyPipeline.HttpCodec) != null) {
            pipeline.addAfter(NettyPipeline.HttpCodec, NAME, INSTANCE);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest head && !ctx.channel().isActive()
                && head.decoderResult().cause() instanceof PrematureChannelClosureException) {
            ReferenceCountUtil.release(msg);
            LogLine.info(log).field("remote", ctx.channel().remoteAddress())
                    .log("http connection closed before its request head was whole");
            return;
        }
        ctx.fireChannelRead(msg);
    }
}
