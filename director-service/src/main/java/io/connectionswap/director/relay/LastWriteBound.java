package io.connectionswap.director.relay;

import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.log.RepeatedProblems;
import io.connectionswap.protocol.quic.ConnectionProblems;
import io.connectionswap.protocol.quic.QuicStreams;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.codec.quic.QuicStreamChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The slow-client rule for what a client stream holds once no session's watch ({@link SessionWatch}) sees it: the
 * last write of a session on its own stream (its END, or a RETRY, our FIN after it), and a client token stream with no
 * generation on it any more ({@link ClientTokenStream}). A client that takes none of what is queued for
 * CONNECTION_SWAP_SLOW_CLIENT_TIMEOUT is reset TOO_SLOW; one that reads, however slowly, has another timeout from its
 * last progress.
 */
final class LastWriteBound {

    private static final Logger log = LoggerFactory.getLogger(LastWriteBound.class);
    private static final String KIND = "last_write_unread";

    private LastWriteBound() {
    }

    /** Resets {@code stream} TOO_SLOW when {@code written} has not completed and no byte left for {@code timeout}. */
    static void bound(QuicStreamChannel stream, ChannelFuture written, Duration timeout, DirectorMeters meters) {
        if (!written.isDone()) {
            watch(stream, timeout, meters, () -> !written.isDone(), log, KIND, "client read nothing of its stream's "
                    + "end for CONNECTION_SWAP_SLOW_CLIENT_TIMEOUT; resetting its stream", () -> { });
        }
    }

    /**
     * Watches {@code stream} while {@code waiting} says what it queued still waits for the client: a {@code timeout}
     * in which none of it left resets the stream TOO_SLOW (the slow-client meter; {@code problem} logged to
     * {@code log}, once per connection and {@code kind}, then with a count); one in which some left starts another.
     * {@code over} runs once the watch ends: the wait over, the stream closed, or reset.
     */
    static void watch(QuicStreamChannel stream, Duration timeout, DirectorMeters meters, BooleanSupplier waiting,
                      Logger log, String kind, String problem, Runnable over) {
        check(new Watch(stream, timeout, meters, waiting, log, kind, problem, over), pending(stream));
    }

    private record Watch(QuicStreamChannel stream, Duration timeout, DirectorMeters meters, BooleanSupplier waiting,
                         Logger log, String kind, String problem, Runnable over) {
    }

    private static void check(Watch watch, long pendingBefore) {
        watch.stream().eventLoop().schedule(() -> expired(watch, pendingBefore), watch.timeout().toNanos(),
                TimeUnit.NANOSECONDS);
    }

    private static void expired(Watch watch, long pendingBefore) {
        QuicStreamChannel stream = watch.stream();
        if (!watch.waiting().getAsBoolean() || !stream.isActive()) {
            watch.over().run();
            return;
        }
        long pending = pending(stream);
        if (pending < pendingBefore) {
            check(watch, pending); // the client read some: slow, not stopped
            return;
        }
        watch.over().run();
        watch.meters().limitHit(DirectorMeters.Limit.SLOW_CLIENT);
        // a client that stops reading stream after stream: one line per connection, then a count
        RepeatedProblems.Occurrence occurrence = ConnectionProblems.occurred(stream, watch.log(), watch.kind());
        occurrence.withRepeats(LogLine.at(watch.log(), occurrence.level()).field("stream.id", stream.streamId())
                        .field("pending.bytes", pending)
                        .field("slow.client.timeout.ms", watch.timeout().toMillis()))
                .log(watch.problem());
        QuicStreams.abort(stream, ErrorCode.TOO_SLOW);
    }

    /** The bytes written to {@code stream} and not yet taken by its peer's flow control. */
    static long pending(QuicStreamChannel stream) {
        ChannelOutboundBuffer buffer = stream.unsafe().outboundBuffer();
        return buffer == null ? 0 : buffer.totalPendingWriteBytes();
    }
}
