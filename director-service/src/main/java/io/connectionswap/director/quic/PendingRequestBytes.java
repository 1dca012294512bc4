package io.connectionswap.director.quic;

import io.connectionswap.director.config.LimitProperties;
import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.FrameBudget;
import io.connectionswap.protocol.frame.ProtocolException;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.util.AttributeKey;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes the director holds in frames its clients began and have not completed (a GENERATE of up to
 * {@code CONNECTION_SWAP_MAX_REQUEST_BYTES} arriving): at most {@link LimitProperties#maxPendingRequestBytesPerConnection}
 * per client connection (two full-size requests) and {@code CONNECTION_SWAP_MAX_PENDING_REQUEST_BYTES} in all. Streams
 * are read as data arrives, so QUIC's flow control does not bound this: without a budget one client could hold its
 * thousand streams' 4 MiB frames one byte short of complete, gigabytes against the image's 64 MiB of direct memory.
 * The bytes of an incomplete frame are counted as they arrive (frames of at most
 * {@link io.connectionswap.protocol.frame.FrameDecoder#UNCHARGED_FRAME_BYTES} not at all); bytes that do not fit
 * ({@link FrameBudget#reserve}) end their stream with OVERLOADED (the client library retries it), counted under {@code limit="pending_request_bytes"} or
 * {@code "pending_request_bytes_per_connection"}, logged as bad input is ({@link BadStreams}: one WARN per connection);
 * the connection and its other streams live on. Any routing loop.
 */
final class PendingRequestBytes {

    private static final AttributeKey<ConnectionBudget> BUDGET =
            AttributeKey.valueOf("connection-swap.pending-request-bytes");

    private final long maxTotal;
    private final long maxPerConnection;
    private final DirectorMeters meters;
    private final AtomicLong held = new AtomicLong();

    PendingRequestBytes(LimitProperties limits, DirectorMeters meters) {
        this.maxTotal = limits.maxPendingRequestBytes().toBytes();
        this.maxPerConnection = limits.maxPendingRequestBytesPerConnection();
        this.meters = meters;
    }

    /** The budget of {@code connection}'s streams (one per connection, kept with it). */
    FrameBudget of(QuicChannel connection) {
        ConnectionBudget budget = connection.attr(BUDGET).get();
        if (budget == null) {
            ConnectionBudget created = new ConnectionBudget();
            budget = connection.attr(BUDGET).setIfAbsent(created);
            budget = budget == null ? created : budget;
        }
        return budget;
    }

    /** Bytes held in incomplete frames of client streams now, director-wide. */
    long held() {
        return held.get();
    }

    private final class ConnectionBudget implements FrameBudget {

        private final AtomicLong connectionHeld = new AtomicLong();

        @Override
        public void reserve(int bytes) {
            long before = connectionHeld.get(); // a connection's streams are on its one loop
            if (before + bytes > maxPerConnection) {
                meters.limitHit(DirectorMeters.Limit.PENDING_REQUEST_BYTES_PER_CONNECTION);
                throw new ProtocolException(ErrorCode.OVERLOADED, bytes + " more bytes of an incomplete frame do not "
                        + "fit this connection's incomplete frames (" + before + " bytes held, its limit "
                        + maxPerConnection + ", twice CONNECTION_SWAP_MAX_REQUEST_BYTES); retry once they are sent");
            }
            long total;
            do { // routing loops reserve at once: no loop is refused for another's reservation it then gave back
                total = held.get();
                if (total + bytes > maxTotal) {
                    meters.limitHit(DirectorMeters.Limit.PENDING_REQUEST_BYTES);
                    throw new ProtocolException(ErrorCode.OVERLOADED, "director holds " + total + " bytes of "
                            + "incomplete frames; " + bytes + " more are over its limit of " + maxTotal
                            + " (CONNECTION_SWAP_MAX_PENDING_REQUEST_BYTES); retry later or at another director");
                }
            } while (!held.compareAndSet(total, total + bytes));
            connectionHeld.addAndGet(bytes);
        }

        @Override
        public void release(int bytes) {
            connectionHeld.addAndGet(-bytes);
            held.addAndGet(-bytes);
        }
    }
}
