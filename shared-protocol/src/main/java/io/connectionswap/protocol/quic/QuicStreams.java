package io.connectionswap.protocol.quic;

import io.connectionswap.protocol.codec.MessageCodec;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.FrameDecoder;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.message.Heartbeat;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.codec.quic.DefaultQuicStreamFrame;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.AttributeKey;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How every stream of the system ends, so that Netty's QUIC connection releases it.
 *
 * <p>Netty's {@code QuicheQuicStreamChannel} (4.2.15, where this was found, and 4.2.18, whose QUIC channel classes
 * are the same) stays in its connection's stream map until it has <em>read</em>
 * the peer's FIN, and it stops reading once {@code close()} was called: a stream closed before the peer's FIN
 * arrived is never released (nor is quiche's state for it), and {@code QuicheQuicChannel.recvStream()} visits it on
 * every datagram from then on. A stream the peer reset is never released either (no FIN ever comes). So:
 * <ul>
 *   <li>{@link #finish}: the normal end. Send our FIN after what was written and keep reading: Netty closes and
 *       releases the stream itself once the peer's FIN is read (half-closure is on for every stream). A peer that
 *       does not finish within the linger time is reset and released ({@link #abort}). Our FIN always travels with
 *       a frame (a {@link Heartbeat}, which every side ignores or echoes), never alone: see below.</li>
 *   <li>{@link #abort}: end both directions now with an error code (RESET_STREAM and STOP_SENDING) and release
 *       the channel: for peers that are gone, too slow or hostile.</li>
 *   <li>{@link #peerReset}: the peer reset its side (a {@code QuicStreamResetException} was read): our FIN, close,
 *       release.</li>
 * </ul>
 * Never call {@code close()} on a stream channel directly.
 *
 * <p>The release of a channel Netty would keep calls its package-private {@code QuicheQuicChannel.streamClosed(id)}
 * reflectively.
 *
 * <p><b>Why the FIN carries a frame.</b> The quiche inside Netty 4.2.15 (quiche 4f34747; Netty 4.2.18 carries
 * 55886df, not checked again for this) loses a FIN written alone (a zero-length
 * {@code stream_send(fin=true)}, which is what {@code shutdownOutput()} and {@code close()} do) when all our data has
 * been acknowledged already and the peer's FIN has been read (or is read before the next packet goes out): quiche's
 * {@code SendBuf} then counts the send side as complete (the final offset is known and everything below it is acked),
 * the stream is complete on both sides and collected, and the FIN frame is never sent. The peer waits for it in vain:
 * its stream channel and quiche's stream stay until the linger, and the opener's stream credit (MAX_STREAMS) is not
 * given back, so a connection that opens many short streams hits {@code STREAM_LIMIT_ERROR}. Seen with 50 concurrent
 * two-token generations: every accepting side (director for client streams, worker for director streams) lingered,
 * quiche reporting no FIN for the stream. A FIN written with data is queued with that data and sent.
 *
 * <p>Upstream changes this needs: quiche should not count a send side complete before its FIN was sent (or should
 * queue a FIN-only frame like any other data); {@code QuicheQuicStreamChannel.close()} should keep consuming the
 * peer's FIN (or remove the stream from its parent when the read side was reset or shut down); and
 * {@code QuicChannel} should expose its open stream count.
 */
public final class QuicStreams {

    /** How long a finished stream waits for the peer's FIN before it is reset. */
    public static final Duration DEFAULT_LINGER = Duration.ofSeconds(10);

    private static final Logger log = LoggerFactory.getLogger(QuicStreams.class);
    /** Set by the first {@link #finish}: our FIN is written (or was already) and the linger runs. */
    private static final AttributeKey<Boolean> FINISHED = AttributeKey.valueOf(QuicStreams.class, "finished");
    private static final MethodHandle STREAM_CLOSED;
    private static final Field STREAMS;

    static {
        MethodHandle streamClosed = null;
        Field streams = null;
        try {
            Class<?> quiche = Class.forName("io.netty.handler.codec.quic.QuicheQuicChannel");
            Method method = quiche.getDeclaredMethod("streamClosed", long.class);
            method.setAccessible(true);
            streamClosed = MethodHandles.lookup().unreflect(method)
                    .asType(MethodType.methodType(void.class, QuicChannel.class, long.class));
            streams = quiche.getDeclaredField("streams");
            streams.setAccessible(true);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LogLine.warn(log).quoted("problem", e.toString())
                    .log("cannot reach Netty's QUIC stream map; reset streams stay in their connection until it "
                            + "closes");
        }
        STREAM_CLOSED = streamClosed;
        STREAMS = streams;
    }

    private QuicStreams() {
    }

    /**
     * Ends our side normally: FIN after everything written so far. Reading goes on (auto-read is switched back on) so
     * the peer's FIN is consumed, and Netty then closes and releases the stream, but frames the peer still sends are
     * no longer decoded ({@link #discardInput}): this is the end of the stream, not a half-close to keep reading on.
     * Without the peer's FIN within {@code linger}, the stream is reset with CANCELLED and released.
     */
    public static void finish(QuicStreamChannel stream, Duration linger) {
        if (!stream.eventLoop().inEventLoop()) {
            stream.eventLoop().execute(() -> finish(stream, linger));
            return;
        }
        if (!stream.isActive()) {
            release(stream);
            return;
        }
        discardInput(stream);
        stopHeartbeats(stream);
        stream.config().setAutoRead(true);
        if (stream.attr(FINISHED).setIfAbsent(Boolean.TRUE) != null) {
            return; // an earlier call sent our FIN and started the linger
        }
        if (!stream.isOutputShutdown()) {
            // the FIN goes with a frame, queued after everything written before (class comment: a lone FIN is lost)
            ByteBuf last = MessageCodec.encode(stream.alloc(), new Heartbeat(System.nanoTime()));
            stream.writeAndFlush(new DefaultQuicStreamFrame(last, true)).addListener(written -> {
                if (!written.isSuccess()) {
                    LogLine.debug(log).field("stream.id", stream.streamId())
                            .quoted("problem", written.cause().toString()).log("cannot send our FIN; resetting");
                    abort(stream, ErrorCode.CANCELLED);
                }
            });
        }
        if (stream.isActive()) {
            ScheduledFuture<?> lingering = stream.eventLoop().schedule(() -> {
                if (stream.isActive()) {
                    LogLine.debug(log).field("stream.id", stream.streamId()).field("linger", linger)
                            .log("peer did not finish its side in time; resetting");
                    abort(stream, ErrorCode.CANCELLED);
                }
            }, linger.toNanos(), TimeUnit.NANOSECONDS);
            // the timer must not hold a released stream until it fires: thousands per second under short generations
            stream.closeFuture().addListener(closed -> lingering.cancel(false));
        }
    }

    /** {@link #finish(QuicStreamChannel, Duration)} with {@link #DEFAULT_LINGER}. */
    public static void finish(QuicStreamChannel stream) {
        finish(stream, DEFAULT_LINGER);
    }

    /**
     * Ends both directions now with {@code code} (RESET_STREAM and STOP_SENDING), closes and releases the stream. What
     * the peer sent of a frame is dropped ({@link #discardInput}): the stream ended here, not inside the peer's frame,
     * so its close must not report a truncated frame (bad input) after the reset's own line.
     */
    public static void abort(QuicStreamChannel stream, ErrorCode code) {
        if (!stream.eventLoop().inEventLoop()) {
            stream.eventLoop().execute(() -> abort(stream, code));
            return;
        }
        discardInput(stream);
        if (stream.isActive() && stream.parent().isActive()) {
            stream.shutdown(code.code());
        }
        stream.close();
        release(stream);
    }

    /**
     * The peer reset the stream: close it (our FIN, if not sent yet) and release it. A frame the reset cut off is
     * dropped, not reported as truncated ({@link #discardInput}): a peer that gives up on its stream sent no bad input.
     */
    public static void peerReset(QuicStreamChannel stream) {
        if (!stream.eventLoop().inEventLoop()) {
            stream.eventLoop().execute(() -> peerReset(stream));
            return;
        }
        discardInput(stream);
        stream.close();
        release(stream);
    }

    /**
     * Any stream channel ({@code Channel} typed, as handlers see it): {@link #finish(QuicStreamChannel)} when it is a
     * QUIC stream, else (a test's embedded channel) closed.
     */
    public static void finish(Channel channel) {
        if (channel instanceof QuicStreamChannel stream) {
            finish(stream);
        } else {
            channel.close();
        }
    }

    /** The stream's id for log lines: its QUIC stream id, or the channel's short id when it is not a QUIC stream. */
    public static Object logId(Channel channel) {
        return channel instanceof QuicStreamChannel stream ? stream.streamId() : channel.id().asShortText();
    }

    /** Any stream channel ({@code Channel} typed, as handlers see it): {@link #abort} when it is a QUIC stream. */
    public static void abort(Channel channel, ErrorCode code) {
        if (channel instanceof QuicStreamChannel stream) {
            abort(stream, code);
        } else {
            discardInput(channel);
            channel.close();
        }
    }

    /** A finished stream sends no more heartbeats nor echoes: nothing may follow our FIN. */
    private static void stopHeartbeats(Channel stream) {
        Heartbeats heartbeats = stream.pipeline().get(Heartbeats.class);
        if (heartbeats != null) {
            stream.pipeline().remove(heartbeats);
        }
    }

    /**
     * Whatever the peer still sends on {@code stream} is read (so its FIN is seen) but no longer decoded: a stream
     * we ended does not act on more frames, nor answer them.
     */
    public static void discardInput(Channel stream) {
        FrameDecoder decoder = stream.pipeline().get(FrameDecoder.class);
        if (decoder != null) {
            decoder.discardRest();
        }
    }

    /** Stream channels {@code connection} holds now (Netty's map), or -1 when that cannot be read. */
    public static int held(QuicChannel connection) {
        if (STREAMS == null) {
            return -1;
        }
        try {
            Object map = STREAMS.get(connection);
            return map instanceof Map<?, ?> streams ? streams.size() : -1;
        } catch (IllegalAccessException | IllegalArgumentException e) {
            return -1;
        }
    }

    /** Removes a closed stream from its connection's map (a no-op when Netty released it already). */
    private static void release(QuicStreamChannel stream) {
        if (STREAM_CLOSED == null || stream.isActive()) {
            return;
        }
        try {
            STREAM_CLOSED.invokeExact(stream.parent(), stream.streamId());
        } catch (Throwable e) {
            LogLine.debug(log).field("stream.id", stream.streamId()).quoted("problem", e.toString())
                    .log("cannot release stream from its connection");
        }
    }
}
