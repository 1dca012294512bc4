package io.connectionswap.director.quic;

import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.FrameDecoder;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.log.RepeatedProblems;
import io.connectionswap.protocol.quic.ConnectionProblems;
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
 * a stream that opens and then sends nothing, or a frame that never completes (slowloris). After its first complete
 * frame the stream is watched for what it holds, for as long as it lives: a timeout with no frame begun passes (a
 * client's control stream only ever heartbeats, at whatever pace its client chose; a generation stream and the client
 * token stream send nothing after their first frame), a frame begun must complete by the end of the next timeout (so
 * within one to two timeouts). When the first frame ended the watch, a peer could send it, then start a 4 MB frame
 * and never finish it, on each of a thousand streams, and the director held what it sent for good. Sits right after
 * the frame decoder, whose buffer it reads. One instance per stream.
 */
final class FirstFrameTimeout extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(FirstFrameTimeout.class);

    private final Duration timeout;
    private final DirectorMeters meters;
    private ScheduledFuture<?> timer;
    /** A complete frame came: the peer is there, and only a frame it began and does not finish is held against it. */
    private boolean frameSeen;
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
        if (frameSeen) {
            FrameDecoder decoder = ctx.pipeline().get(FrameDecoder.class);
            boolean partial = decoder != null && decoder.bufferedBytes() > 0;
            if (!partial || !partialAtLastExpiry) {
                partialAtLastExpiry = partial; // nothing held, or a frame begun within the last timeout: watch on
                start(ctx);
                return;
            }
        }
        meters.limitHit(DirectorMeters.Limit.FIRST_FRAME);
        // a peer opening silent stream after stream: one WARN per connection, then a count
        RepeatedProblems.Occurrence occurrence = ConnectionProblems.occurred(stream, log, ErrorCode.STREAM_TIMEOUT);
        occurrence.withRepeats(LogLine.at(log, occurrence.level()).field("peer", Peers.address(stream))
                        .field("stream.id", stream.streamId()).field("error", ErrorCode.STREAM_TIMEOUT)
                        .field("timeout", timeout))
                .log("no complete frame in time; resetting the stream");
        QuicStreams.abort(stream, ErrorCode.STREAM_TIMEOUT);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        cancel();
        partialAtLastExpiry = false;
        frameSeen = true;
        start(ctx);
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
