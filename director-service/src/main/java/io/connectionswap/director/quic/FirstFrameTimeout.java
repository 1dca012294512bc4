package io.connectionswap.director.quic;

import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.protocol.frame.ErrorCode;
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
 * A new stream must deliver one complete frame other than a heartbeat within {@code timeout}, and until then a
 * heartbeat at least every {@code timeout}; a stream that opens and then sends nothing, or a frame that never
 * completes (slowloris), is reset with STREAM_TIMEOUT and released. A heartbeat restarts the time and does not end
 * it: when it did, a peer could heartbeat once, then start a 4 MB GENERATE frame and never finish it, on each of a
 * thousand streams, and the director held what it sent for good. A stream that only ever heartbeats (a client's
 * control stream, every second) keeps this handler. Sits right after the frame decoder; removes itself at the first
 * frame that is not a heartbeat. One instance per stream.
 */
final class FirstFrameTimeout extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(FirstFrameTimeout.class);

    private final Duration timeout;
    private final DirectorMeters meters;
    private ScheduledFuture<?> timer;

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
        meters.limitHit(DirectorMeters.Limit.FIRST_FRAME);
        LogLine.warn(log).field("peer", Peers.address(stream)).field("stream.id", stream.streamId())
                .field("error", ErrorCode.STREAM_TIMEOUT).field("timeout", timeout)
                .log("no complete first frame in time; resetting the stream");
        QuicStreams.abort(stream, ErrorCode.STREAM_TIMEOUT);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        cancel();
        if (msg instanceof RawFrame frame && frame.type() == FrameType.HEARTBEAT) {
            start(ctx); // the next frame is owed within the timeout again
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
