package io.connectionswap.swapclient.internal;

import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Heartbeat;
import io.connectionswap.protocol.quic.QuicStreams;
import io.connectionswap.protocol.quic.StreamPipelines;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A {@link Leg} on a QUIC stream of the director connection. Loop-confined.
 *
 * <p>While reading is paused (the subscriber is behind), a stream the director resets cannot be seen: the reset waits
 * unread behind the data, and the stream would stay in its connection until the subscriber reads again, possibly
 * never. So a paused leg writes a HEARTBEAT every {@link #PAUSED_PROBE} (the director's stream pipeline consumes it,
 * and echoes it only while it can write). A write that fails with STOP_SENDING means the director reset the stream:
 * reading goes back on, so the reset is read ({@link LegHandler}) and the stream released.
 */
final class QuicLeg implements Leg {

    /** How often a paused leg checks that the director still serves it. */
    static final Duration PAUSED_PROBE = Duration.ofSeconds(1);

    private final LegHandler handler;
    private QuicStreamChannel stream;
    private boolean reading = true;
    private boolean cancelled;
    private ScheduledFuture<?> probe;

    private QuicLeg(LegEvents events) {
        this.handler = new LegHandler(events);
    }

    static QuicLeg open(QuicChannel connection, FrameLimits limits, GenerationRequest request, LegEvents events) {
        QuicLeg leg = new QuicLeg(events);
        connection.createStream(QuicStreamType.BIDIRECTIONAL, new ChannelInitializer<QuicStreamChannel>() {
            @Override
            protected void initChannel(QuicStreamChannel stream) {
                StreamPipelines.messages(stream, limits, leg.handler);
            }
        }).addListener(opened -> {
            if (!opened.isSuccess()) {
                if (!leg.cancelled) {
                    leg.handler.settle();
                    events.broken("cannot open stream: " + opened.cause());
                }
                return;
            }
            QuicStreamChannel stream = (QuicStreamChannel) opened.getNow();
            leg.stream = stream;
            if (leg.cancelled) {
                QuicStreams.finish(stream);
                return;
            }
            stream.config().setAutoRead(leg.reading);
            stream.writeAndFlush(request);
            leg.probeWhilePaused();
        });
        return leg;
    }

    @Override
    public void read(boolean enabled) {
        reading = enabled;
        if (stream != null && !cancelled && stream.isActive()) {
            stream.config().setAutoRead(enabled);
            probeWhilePaused();
        }
    }

    private void probeWhilePaused() {
        if (reading || cancelled) {
            stopProbe();
        } else if (probe == null) {
            long period = PAUSED_PROBE.toNanos();
            probe = stream.eventLoop().scheduleAtFixedRate(this::probe, period, period, TimeUnit.NANOSECONDS);
        }
    }

    private void probe() {
        if (reading || cancelled || !stream.isActive()) {
            stopProbe();
            return;
        }
        stream.writeAndFlush(new Heartbeat(System.nanoTime())).addListener(written -> {
            if (!written.isSuccess() && !cancelled && stream.isActive()) {
                stopProbe(); // STOP_SENDING: the director reset the stream; read, so that its reset arrives
                stream.config().setAutoRead(true);
            }
        });
    }

    private void stopProbe() {
        if (probe != null) {
            probe.cancel(false);
            probe = null;
        }
    }

    @Override
    public void cancel() {
        if (cancelled) {
            return;
        }
        cancelled = true;
        handler.settle();
        stopProbe();
        if (stream != null) {
            QuicStreams.finish(stream); // our FIN: the director stops the worker and finishes its side
        }
    }
}
