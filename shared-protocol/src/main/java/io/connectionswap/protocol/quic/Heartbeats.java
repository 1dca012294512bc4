package io.connectionswap.protocol.quic;

import io.connectionswap.protocol.message.Heartbeat;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Application heartbeat on a control stream (Netty's QUIC has no PING API). The sending side writes a
 * {@link Heartbeat} every interval and expects the echo; after {@code timeout} without one it calls
 * {@code onTimeout} (which usually closes the connection). The answering side echoes every heartbeat.
 * Heartbeats are consumed here; other messages pass through. One instance per stream.
 */
public final class Heartbeats extends ChannelInboundHandlerAdapter {

    private final Duration interval;
    private final Duration timeout;
    private final Runnable onTimeout;
    private ScheduledFuture<?> task;
    private long lastEchoNanos;
    private long lastTickNanos;

    private Heartbeats(Duration interval, Duration timeout, Runnable onTimeout) {
        this.interval = interval;
        this.timeout = timeout;
        this.onTimeout = onTimeout;
    }

    /** The side that sends heartbeats and watches for echoes. */
    public static Heartbeats sender(Duration interval, Duration timeout, Runnable onTimeout) {
        if (interval.isZero() || interval.isNegative() || timeout.compareTo(interval) <= 0) {
            throw new IllegalArgumentException("heartbeat interval " + interval + " and timeout " + timeout
                    + " (expected: 0 < interval < timeout)");
        }
        return new Heartbeats(interval, timeout, onTimeout);
    }

    /** The side that echoes heartbeats. */
    public static Heartbeats responder() {
        return new Heartbeats(null, null, null);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (interval != null && ctx.channel().isActive()) {
            start(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (interval != null && task == null) {
            start(ctx);
        }
        ctx.fireChannelActive();
    }

    private void start(ChannelHandlerContext ctx) {
        if (task != null) {
            return;
        }
        lastEchoNanos = System.nanoTime();
        lastTickNanos = lastEchoNanos;
        Channel channel = ctx.channel();
        long periodNanos = interval.toNanos();
        task = ctx.executor().scheduleAtFixedRate(() -> tick(channel), periodNanos, periodNanos, TimeUnit.NANOSECONDS);
    }

    private void tick(Channel channel) {
        long now = System.nanoTime();
        boolean late = now - lastTickNanos > 2 * interval.toNanos();
        lastTickNanos = now;
        if (late) {
            // our own loop was held up (GC, start-up, overload): an echo may be waiting unread in our socket,
            // so do not blame the peer for it; give it a fresh timeout
            lastEchoNanos = now;
        } else if (now - lastEchoNanos > timeout.toNanos()) {
            stop();
            onTimeout.run();
            return;
        }
        if (channel.isActive()) {
            channel.writeAndFlush(new Heartbeat(now), channel.voidPromise());
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Heartbeat heartbeat)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (interval == null) {
            ctx.writeAndFlush(heartbeat, ctx.voidPromise());
        } else {
            lastEchoNanos = System.nanoTime();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        stop();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        stop();
    }

    private void stop() {
        if (task != null) {
            task.cancel(false);
            task = null;
        }
    }
}
