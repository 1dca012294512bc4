package io.connectionswap.director.relay;

import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.log.RepeatedProblems;
import io.connectionswap.protocol.message.Pause;
import io.connectionswap.protocol.message.Retry;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.message.WorkerAssignment;
import io.connectionswap.protocol.quic.CoalescedSends;
import io.connectionswap.protocol.quic.ConnectionProblems;
import io.connectionswap.protocol.quic.QuicStreams;
import io.connectionswap.protocol.quic.StreamFailures;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;

/**
 * {@link ClientSide} and {@link WorkerSide} over QUIC streams. Every end goes through {@link QuicStreams}: our FIN
 * after what was written, reading switched back on so the peer's FIN is consumed (then Netty releases the stream),
 * or a reset and release.
 */
final class QuicStreamSides {

    private QuicStreamSides() {
    }

    /**
     * {@code coalesce}: relayed frames wait in quiche until the read from the worker that brought them is complete
     * ({@link io.connectionswap.protocol.quic.SendHeldAfterRead} on the worker links), or at the latest the end of the
     * loop's pass, and the client connection then sends them at once ({@link CoalescedSends}). The session's last
     * write (END or RETRY, our FIN after it) is held to the slow-client rule, {@code slowClientTimeout}, by
     * {@link LastWriteBound}: the session has ended and the {@link SessionWatch} no longer sees it.
     */
    static ClientSide client(QuicStreamChannel stream, boolean coalesce, Duration slowClientTimeout,
                             DirectorMeters meters) {
        return new ClientSide() {
            @Override
            public boolean isActive() {
                return stream.isActive();
            }

            @Override
            public boolean isWritable() {
                return stream.isWritable();
            }

            @Override
            public void relay(ByteBuf frame) {
                if (coalesce) {
                    CoalescedSends.hold(stream);
                }
                stream.write(frame, stream.voidPromise());
            }

            @Override
            public void retry(Retry retry) {
                ChannelFuture written = stream.writeAndFlush(retry);
                written.addListener(done -> QuicStreams.finish(stream));
                LastWriteBound.bound(stream, written, slowClientTimeout, meters);
            }

            @Override
            public void fail(StreamError error) {
                StreamFailures.endStream(stream, error);
            }

            @Override
            public void finish() {
                // the empty write completes after every frame queued before it: the FIN goes after them
                if (coalesce) {
                    CoalescedSends.hold(stream);
                }
                ChannelFuture written = stream.writeAndFlush(Unpooled.EMPTY_BUFFER);
                written.addListener(done -> QuicStreams.finish(stream));
                LastWriteBound.bound(stream, written, slowClientTimeout, meters);
            }

            @Override
            public void abort(ErrorCode code) {
                QuicStreams.abort(stream, code);
            }

            @Override
            public RepeatedProblems.Occurrence problem(Logger log, Object kind) {
                return ConnectionProblems.occurred(stream, log, kind);
            }
        };
    }

    /**
     * A generation whose frames go on its connection's token stream ({@link ClientTokenStream}), tagged with the id of
     * {@code stream}, its generation stream. That stream keeps the generation's lifecycle: the client's PAUSE messages
     * and FIN come on it, and our FIN goes on it only after the client's (the client sends it once it has read the
     * final frame on the token stream, so our FIN cannot overtake that frame); a client that does not finish within
     * {@link QuicStreams#DEFAULT_LINGER} of the final frame gets ours anyway ({@link QuicStreams#finish} then resets it
     * if it still does not). A reset (TOO_SLOW) goes on it directly.
     */
    static ClientSide taggedClient(QuicStreamChannel stream, ClientTokenStream tokens) {
        long streamId = stream.streamId();
        return new ClientSide() {
            private boolean paused;

            @Override
            public boolean isActive() {
                return stream.isActive() && tokens.isActive();
            }

            @Override
            public boolean isWritable() {
                return !paused && tokens.isWritable();
            }

            @Override
            public boolean paused(boolean pause) {
                boolean changed = paused != pause;
                paused = pause;
                return changed;
            }

            @Override
            public ClientTokenStream tokenStream() {
                return tokens;
            }

            @Override
            public void relay(ByteBuf frame) {
                tokens.relay(streamId, frame);
            }

            @Override
            public void retry(Retry retry) {
                tokens.send(streamId, retry);
                awaitClientFin();
            }

            @Override
            public void fail(StreamError error) {
                tokens.send(streamId, error);
                awaitClientFin();
            }

            @Override
            public void finish() {
                awaitClientFin(); // the END before it left with its worker read
            }

            @Override
            public void abort(ErrorCode code) {
                QuicStreams.abort(stream, code);
            }

            @Override
            public RepeatedProblems.Occurrence problem(Logger log, Object kind) {
                return ConnectionProblems.occurred(stream, log, kind);
            }

            private void awaitClientFin() {
                if (!stream.isActive()) {
                    return;
                }
                ScheduledFuture<?> linger = stream.eventLoop().schedule(() -> QuicStreams.finish(stream),
                        QuicStreams.DEFAULT_LINGER.toNanos(), TimeUnit.NANOSECONDS);
                stream.closeFuture().addListener(closed -> linger.cancel(false));
            }
        };
    }

    /**
     * {@code tokenStream}: the worker sends this generation's tokens on its connection's token stream, so not reading
     * this stream would hold nothing back; back-pressure is then a {@link Pause} message on this stream, sent when it
     * changes.
     */
    static WorkerSide worker(QuicStreamChannel stream, boolean tokenStream) {
        return new WorkerSide() {
            private boolean paused;

            @Override
            public void assign(WorkerAssignment assignment) {
                stream.writeAndFlush(assignment);
            }

            @Override
            public void cancel() {
                // FIN, not a reset: the worker stops and answers with its own FIN. Reading goes back on (it may have
                // been paused for a slow client), so frames still in flight are read and dropped instead of holding
                // the worker connection's flow-control window, and Netty releases the stream at the worker's FIN.
                QuicStreams.finish(stream);
            }

            @Override
            public void close() {
                QuicStreams.finish(stream);
            }

            @Override
            public void read(boolean enabled) {
                if (!tokenStream) {
                    stream.config().setAutoRead(enabled);
                    return;
                }
                if (paused == enabled && stream.isActive()) {
                    paused = !enabled;
                    stream.writeAndFlush(new Pause(paused)); // a failed write: the stream is ending anyway
                }
            }

            @Override
            public boolean connectionActive() {
                return stream.parent().isActive();
            }
        };
    }
}
