package io.connectionswap.director.quic;

import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.FrameDecoder;
import io.connectionswap.protocol.frame.FrameType;
import io.connectionswap.protocol.frame.RawFrame;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.quic.Peers;
import io.connectionswap.protocol.quic.QuicStreams;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A new stream must deliver a complete frame within {@code timeout}, or it is reset with STREAM_TIMEOUT and released:
 * a stream that opens and then sends nothing, or a frame that never completes (slowloris). The first frame other than
 * a heartbeat ends the watch (the stream's own handlers take over). A heartbeat does not: when it did, a peer could
 * heartbeat once, then start a 4 MB GENERATE frame and never finish it, on each of a thousand streams, and the
 * director held what it sent for good. After a heartbeat the stream is watched for what it holds: a timeout with no
 * frame begun passes (a client's control stream only ever heartbeats, at whatever pace its client chose), a frame
 * begun must complete by the end of the next timeout (so within one to two timeouts). Sits right after the frame
 * decoder, whose buffer it reads. One instance per stream.
 */
final class FirstFrameTimeout extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(FirstFrameTimeout.class);

    private final Duration timeout;
    private final DirectorMeters meters;
    private ScheduledFuture<?> timer;
    /** A heartbeat came: the peer is there, and only a frame it began and does not finish is held against it. */
    private boolean heartbeatSeen;
    /** A frame was begun and not complete at the last expiry: at the next one it has had a whole timeout. */
    private boolean partialAtLastExpiry;

    FirstFrameTimeout(Duration timeout, DirectorMeters meters) {
        this.timeout = timeout;
        this.meters = meters;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        start(ctx);
    }

    private void start(ChannelHandlerContext ctx) {
        QuicStreamChannel stream = (QuicStreamChannel) ctx.channel();
        timer = ctx.executor().schedule(() -> expired(ctx, stream), timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void expired(ChannelHandlerContext ctx, QuicStreamChannel stream) {
        if (ctx.isRemoved() || !stream.isActive()) {
            return;
        }
        if (heartbeatSeen) {
            FrameDecoder decoder = ctx.pipeline().get(FrameDecoder.class);
            boolean partial = decoder != null && decoder.bufferedBytes() > 0;
            if (!partial || !partialAtLastExpiry) {
                partialAtLastExpiry = partial; // nothing held, or a frame begun within the last timeout: watch on
                start(ctx);
                return;
            }
        }
        meters.limitHit(DirectorMeters.Limit.FIRST_FRAME);
        LogLine.warn(log).field("peer", Peers.address(stream)).field("stream.id", stream.streamId())
                .field("error", ErrorCode.STREAM_TIMEOUT).field("timeout", timeout)
                .log("no complete frame in time; resetting the stream");
        QuicStreams.abort(stream, ErrorCode.STREAM_TIMEOUT);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        cancel();
        partialAtLastExpiry = false;
        if (msg instanceof RawFrame frame && frame.type() == FrameType.HEARTBEAT) {
            heartbeatSeen = true;
            start(ctx);
        } else {
            ctx.pipeline().remove(this);
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        cancel(); // bad input: the handlers after this one end the stream with its own error
        ctx.fireExceptionCaught(cause);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
