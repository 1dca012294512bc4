package io.connectionswap.swapclient.internal;

import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Heartbeat;
import io.connectionswap.protocol.message.Pause;
import io.connectionswap.protocol.quic.QuicStreams;
import io.connectionswap.protocol.quic.StreamPipelines;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.concurrent.Future;
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
 *
 * <p>A leg that asked for the client token stream ({@link GenerationRequest#tokenStream()}) takes its frames from the
 * connection's {@link TokenStreamDemux} too. Once one came there, the director serves it on the token stream, and not
 * reading the generation stream would no longer slow anything: back-pressure becomes a {@link Pause} message on the
 * generation stream per change, which keeps reading (so a reset is seen at once, and no probe is needed). Until then,
 * or with a director that answers on the generation stream, pausing stops reading as before: an older director ends
 * a stream on any message after GENERATE, so no {@code Pause} goes to a director not known to understand it.
 */
final class QuicLeg implements Leg {

    /** How often a paused leg checks that the director still serves it. */
    static final Duration PAUSED_PROBE = Duration.ofSeconds(1);

    private final LegHandler handler;
    /** The stream being opened: it may wait for the director's stream limit ({@link StreamOpener}). */
    private Future<QuicStreamChannel> opening;
    private Channel stream;
    private boolean reading = true;
    /** What the last {@link Pause} told the director (none sent yet: not paused). */
    private boolean pauseSent;
    private boolean cancelled;
    private ScheduledFuture<?> probe;

    QuicLeg(LegEvents events) {
        this.handler = new LegHandler(events, this::servedOnTokenStream);
    }

    /**
     * Opens a stream through {@code streams} (at once, or once the director's stream limit lets it) for
     * {@code request}; {@code tokens}: the connection's token stream.
     */
    static QuicLeg open(StreamOpener streams, FrameLimits limits, GenerationRequest request, LegEvents events,
                        TokenStreamDemux tokens) {
        QuicLeg leg = new QuicLeg(events);
        Future<QuicStreamChannel> opening = streams.open(new ChannelInitializer<QuicStreamChannel>() {
            @Override
            protected void initChannel(QuicStreamChannel stream) {
                StreamPipelines.messages(stream, limits, leg.handler);
            }
        });
        leg.opening = opening;
        opening.addListener(opened -> {
            if (!opened.isSuccess()) {
                if (!leg.cancelled) {
                    leg.handler.settle();
                    events.broken(StreamOpener.problem(opened.cause()));
                }
                return;
            }
            QuicStreamChannel stream = (QuicStreamChannel) opened.getNow();
            leg.opened(stream, stream.streamId(), request, tokens);
        });
        return leg;
    }

    LegHandler handler() {
        return handler;
    }

    /**
     * The stream is open (its pipeline holds {@link #handler()}): listen on the token stream when asking for it, then
     * send GENERATE, so no frame for this leg can come before it is registered.
     */
    void opened(Channel openedStream, long streamId, GenerationRequest request, TokenStreamDemux tokens) {
        stream = openedStream;
        if (cancelled) {
            QuicStreams.finish(stream);
            return;
        }
        if (request.tokenStream() && tokens != null) {
            handler.listen(tokens, streamId);
        }
        stream.config().setAutoRead(reading);
        stream.writeAndFlush(request);
        probeWhilePaused();
    }

    @Override
    public void read(boolean enabled) {
        reading = enabled;
        if (stream != null && !cancelled && stream.isActive()) {
            if (handler.onTokenStream()) {
                tellDirector();
            } else {
                stream.config().setAutoRead(enabled);
                probeWhilePaused();
            }
        }
    }

    /** The first frame for this leg came on the token stream: from now on, pause with {@link Pause} messages. */
    private void servedOnTokenStream() {
        stopProbe();
        if (!cancelled && stream.isActive()) {
            stream.config().setAutoRead(true);
            tellDirector();
        }
    }

    /** A {@link Pause} when reading changed since the last one (none while not paused yet). */
    private void tellDirector() {
        if (pauseSent == reading && !handler.settled()) {
            pauseSent = !reading;
            stream.writeAndFlush(new Pause(pauseSent)); // a failure: the director reset the stream, which is read
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
        if (reading || cancelled || handler.settled() || !stream.isActive()) {
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
    public boolean waitingForStream() {
        return opening != null && !opening.isDone();
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
        } else if (opening != null) {
            opening.cancel(false); // still waiting for the director's stream limit: leaves the wait
        }
    }
}
