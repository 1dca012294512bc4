package io.connectionswap.protocol.quic;

import io.connectionswap.protocol.message.Heartbeat;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * Application heartbeat on a control stream (Netty's QUIC has no PING API). The sending side writes a
 * {@link Heartbeat} every interval and expects the echo; after {@code timeout} without one it calls
 * {@code onTimeout} (which usually closes the connection). The answering side echoes every heartbeat; while its
 * stream cannot take more it owes the latest one and sends it as soon as the stream can. So a peer that stops reading
 * gets no echoes queued up and times out as it should, while a stream that is merely busy (a token stream shares it:
 * its writes fill the stream whenever the peer or the path is slower than the tokens) answers late instead of never:
 * dropping those echoes had a loaded but live connection declared dead (bench/README, "Heartbeats on a busy stream").
 * Heartbeats are consumed here; other messages pass through. One instance per stream.
 */
public final class Heartbeats extends ChannelInboundHandlerAdapter {

    private final Duration interval;
    /** When the second heartbeat goes, after the first (sent at once); the rest follow every interval. */
    private final Duration offset;
    private final Duration timeout;
    private final Runnable onTimeout;
    private final LongConsumer onEcho;
    private ScheduledFuture<?> task;
    private ScheduledFuture<?> first;
    private long lastEchoNanos;
    private long lastTickNanos;
    /** When the last tick of the fixed-rate schedule that did its work ran (the executor's clock). */
    private long lastScheduledNanos;
    /** A late tick already gave the peer a fresh timeout since its last echo. */
    private boolean excused;
    /** The answering side's heartbeat that came while the stream could not take its echo: sent when it can. */
    private Heartbeat owedEcho;

    private Heartbeats(Duration interval, Duration offset, Duration timeout, Runnable onTimeout, LongConsumer onEcho) {
        this.interval = interval;
        this.offset = offset;
        this.timeout = timeout;
        this.onTimeout = onTimeout;
        this.onEcho = onEcho;
    }

    /** The side that sends heartbeats and watches for echoes. */
    public static Heartbeats sender(Duration interval, Duration timeout, Runnable onTimeout) {
        return sender(interval, timeout, onTimeout, nanos -> { });
    }

    /**
     * The side that sends heartbeats and watches for echoes; {@code onEcho} gets the {@code System.nanoTime()} of
     * every echo read (on the stream's event loop): proof that the peer's event loop runs.
     */
    public static Heartbeats sender(Duration interval, Duration timeout, Runnable onTimeout, LongConsumer onEcho) {
        return sender(interval, interval, timeout, onTimeout, onEcho);
    }

    /**
     * As {@link #sender(Duration, Duration, Runnable, LongConsumer)}, with the second heartbeat {@code offset} after
     * the first (0 < offset <= interval) and the rest every interval from there: several connections to one peer
     * that take turns (each its own offset) give the peer one heartbeat per {@code interval / count}, as one
     * connection would, for the cost of one.
     */
    public static Heartbeats sender(Duration interval, Duration offset, Duration timeout, Runnable onTimeout,
                                    LongConsumer onEcho) {
        if (offset.isZero() || offset.isNegative() || offset.compareTo(interval) > 0) {
            throw new IllegalArgumentException("heartbeat offset " + offset + " (expected: 0 < offset <= interval "
                    + interval + ")");
        }
        if (interval.isZero() || interval.isNegative() || timeout.compareTo(interval) <= 0) {
            throw new IllegalArgumentException("heartbeat interval " + interval + " and timeout " + timeout
                    + " (expected: 0 < interval < timeout)");
        }
        if (onTimeout == null || onEcho == null) {
            throw new IllegalArgumentException("onTimeout and onEcho are required");
        }
        return new Heartbeats(interval, offset, timeout, onTimeout, onEcho);
    }

    /** The side that echoes heartbeats. */
    public static Heartbeats responder() {
        return new Heartbeats(null, null, null, null, null);
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
        lastEchoNanos = ctx.executor().ticker().nanoTime();
        lastTickNanos = lastEchoNanos;
        Channel channel = ctx.channel();
        // the first heartbeat goes at once: it opens the stream on the wire, so the peer knows the control stream
        // from the start (the director sends GOAWAY on it)
        first = ctx.executor().schedule(() -> tick(ctx, channel), 0, TimeUnit.NANOSECONDS);
        lastScheduledNanos = lastTickNanos + offset.toNanos() - interval.toNanos(); // the second goes at the offset
        // at a fixed rate, not with a fixed delay: connections taking turns keep their places in the interval
        task = ctx.executor().scheduleAtFixedRate(() -> scheduledTick(ctx, channel), offset.toNanos(),
                interval.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * A tick of the fixed-rate schedule: it does nothing less than half an interval after the last one that did. The
     * ticks a pause of our loop missed run back to back as it runs again; the first of them alone sends a heartbeat
     * (not one per interval missed, on every connection, as the loop is behind) and finds the loop late; the rest do
     * nothing, and the schedule catches up.
     */
    private void scheduledTick(ChannelHandlerContext ctx, Channel channel) {
        long now = ctx.executor().ticker().nanoTime();
        if (now - lastScheduledNanos < interval.toNanos() / 2) {
            return;
        }
        lastScheduledNanos = now;
        tick(ctx, channel);
    }

    private void tick(ChannelHandlerContext ctx, Channel channel) {
        long now = ctx.executor().ticker().nanoTime();
        boolean late = now - lastTickNanos > 2 * interval.toNanos();
        lastTickNanos = now;
        if (late && !excused) {
            // our own loop was held up (GC, start-up, overload): an echo may be waiting unread in our socket,
            // so do not blame the peer for it; give it a fresh timeout, once per echo it owes: a loop late at every
            // tick must still find a silent peer lost by the clock
            lastEchoNanos = now;
            excused = true;
        } else if (now - lastEchoNanos > timeout.toNanos()) {
            stop();
            onTimeout.run();
            return;
        }
        if (channel.isActive() && channel.isWritable()) {
            channel.writeAndFlush(new Heartbeat(System.nanoTime()), channel.voidPromise());
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Heartbeat heartbeat)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (interval == null) {
            if (ctx.channel().isWritable()) {
                owedEcho = null;
                ctx.writeAndFlush(heartbeat, ctx.voidPromise());
            } else {
                owedEcho = heartbeat; // one at most: queueing an echo per heartbeat would only grow memory
            }
        } else {
            lastEchoNanos = ctx.executor().ticker().nanoTime();
            excused = false;
            onEcho.accept(System.nanoTime());
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (owedEcho != null && ctx.channel().isWritable()) {
            Heartbeat echo = owedEcho;
            owedEcho = null;
            ctx.writeAndFlush(echo, ctx.voidPromise());
        }
        ctx.fireChannelWritabilityChanged();
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
        if (first != null) {
            first.cancel(false);
            first = null;
        }
        if (task != null) {
            task.cancel(false);
            task = null;
        }
    }
}
