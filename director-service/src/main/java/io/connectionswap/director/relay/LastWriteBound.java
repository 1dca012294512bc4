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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last write of a session on its own client stream (its END, or a RETRY), after which our FIN is queued: the
 * session has ended and the {@link SessionWatch} no longer sees it, so this holds it to the slow-client rule of its
 * tokens. A client that takes none of what is queued for CONNECTION_SWAP_SLOW_CLIENT_TIMEOUT is reset TOO_SLOW; one
 * that reads, however slowly, has another timeout from its last progress, and gets its stream's end.
 */
final class LastWriteBound {

    private static final Logger log = LoggerFactory.getLogger(LastWriteBound.class);
    private static final String KIND = "last_write_unread";

    private LastWriteBound() {
    }

    /** Resets {@code stream} TOO_SLOW when {@code written} has not completed and no byte left for {@code timeout}. */
    static void bound(QuicStreamChannel stream, ChannelFuture written, Duration timeout, DirectorMeters meters) {
        if (!written.isDone()) {
            check(stream, written, timeout, meters, pending(stream));
        }
    }

    private static void check(QuicStreamChannel stream, ChannelFuture written, Duration timeout,
                              DirectorMeters meters, long pendingBefore) {
        var check = stream.eventLoop().schedule(() -> expired(stream, written, timeout, meters, pendingBefore),
                timeout.toNanos(), TimeUnit.NANOSECONDS);
        written.addListener(done -> check.cancel(false));
    }

    private static void expired(QuicStreamChannel stream, ChannelFuture written, Duration timeout,
                                DirectorMeters meters, long pendingBefore) {
        if (written.isDone() || !stream.isActive()) {
            return;
        }
        long pending = pending(stream);
        if (pending < pendingBefore) {
            check(stream, written, timeout, meters, pending); // the client read some: slow, not stopped
            return;
        }
        meters.limitHit(DirectorMeters.Limit.SLOW_CLIENT);
        // a client that stops reading stream after stream: one line per connection, then a count
        RepeatedProblems.Occurrence occurrence = ConnectionProblems.occurred(stream, log, KIND);
        occurrence.withRepeats(LogLine.at(log, occurrence.level()).field("stream.id", stream.streamId())
                        .field("pending.bytes", pending).field("slow.client.timeout.ms", timeout.toMillis()))
                .log("client read nothing of its stream's end for CONNECTION_SWAP_SLOW_CLIENT_TIMEOUT; "
                        + "resetting its stream");
        QuicStreams.abort(stream, ErrorCode.TOO_SLOW);
    }

    /** The bytes written to {@code stream} and not yet taken by its peer's flow control. */
    static long pending(QuicStreamChannel stream) {
        ChannelOutboundBuffer buffer = stream.unsafe().outboundBuffer();
        return buffer == null ? 0 : buffer.totalPendingWriteBytes();
    }
}
