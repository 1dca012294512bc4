package io.connectionswap.client.gateway;

import io.connectionswap.protocol.log.LogLine;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.ChannelPipeline;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes an HTTP connection whose peer has taken nothing of what the gateway writes for the write timeout: a write was
 * pending (not yet handed to the socket, whose send buffer is full) and none completed for that long. A client that
 * stops reading a stream otherwise holds its connection, its generation's queued events and the kernel's send buffer
 * (megabytes on loopback) for as long as it keeps the TCP connection open: the generation is paused and then ended
 * upstream (the director's slow-client timeout), but its error event waits behind the unread tokens, the response
 * never ends, and neither the idle timeout nor the request timeout applies to a request in flight. Closing cancels the
 * response's subscription, which cancels the generation. A peer that reads, however slowly, completes a write now and
 * then and is not cut off; a stream waiting for its next token has no write pending and is not limited. (Not the
 * channel's writability: reactor-netty asks for the next chunk only once the last write completed, so the outbound
 * buffer of a stalled stream stays under the high-water mark and the channel stays writable.)
 */
final class WriteStallTimeout extends ChannelOutboundHandlerAdapter implements ChannelFutureListener {

    static final String NAME = "connectionSwap.writeStallTimeout";

    private static final Logger log = LoggerFactory.getLogger(WriteStallTimeout.class);

    private final long timeoutNanos;
    private final Runnable onExpired;
    /** Writes passed on and not completed yet. */
    private int pending;
    /** When the last write completed, or the first of a run of pending writes began. */
    private long progressNanos;
    private ScheduledFuture<?> timer;
    /** The channel's context, for the write listener (this handler itself: no listener object per write). */
    private ChannelHandlerContext ctx;

    private WriteStallTimeout(Duration timeout, Runnable onExpired) {
        this.timeoutNanos = Math.max(1, timeout.toNanos());
        this.onExpired = onExpired;
    }

    /** First in {@code pipeline}: it sees every write last, as the socket gets it. {@code onExpired} runs at each close. */
    static void install(ChannelPipeline pipeline, Duration timeout, Runnable onExpired) {
        pipeline.addFirst(NAME, new WriteStallTimeout(timeout, onExpired));
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        ChannelPromise tracked = promise.unvoid();
        if (pending++ == 0) {
            progressNanos = now(ctx);
        }
        if (timer == null) {
            schedule(ctx, timeoutNanos);
        }
        tracked.addListener(this);
        ctx.write(msg, tracked);
    }

    /** A write passed on has completed (or failed): progress. On the channel's loop. */
    @Override
    public void operationComplete(ChannelFuture write) {
        pending--;
        progressNanos = now(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void schedule(ChannelHandlerContext ctx, long delayNanos) {
        timer = ctx.executor().schedule(() -> check(ctx), delayNanos, TimeUnit.NANOSECONDS);
    }

    private void check(ChannelHandlerContext ctx) {
        timer = null;
        if (pending == 0 || !ctx.channel().isActive()) {
            return; // the next write schedules again
        }
        long stalled = now(ctx) - progressNanos;
        if (stalled < timeoutNanos) {
            schedule(ctx, timeoutNanos - stalled);
            return;
        }
        onExpired.run();
        ChannelOutboundBuffer buffer = ctx.channel().unsafe().outboundBuffer();
        LogLine.warn(log).field("remote", ctx.channel().remoteAddress())
                .field("waited.ms", TimeUnit.NANOSECONDS.toMillis(timeoutNanos))
                .field("pending.writes", pending).field("pending.bytes", buffer == null ? 0 : buffer.totalPendingWriteBytes())
                .log("gateway closed an http connection: the peer read nothing of its answer within the write timeout");
        ctx.close();
    }

    private static long now(ChannelHandlerContext ctx) {
        return ctx.executor().ticker().nanoTime();
    }
}
