package io.connectionswap.protocol.quic;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.Promise;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The open QUIC connections of one role, for the {@code swap_quic_streams_open} gauge: how many stream channels
 * their Netty stream maps hold. A connection leaves when it closes (its streams go with it). Thread-safe; the count
 * is read from any thread and is a snapshot, exact only on a quiet connection.
 */
public final class QuicConnections {

    private final Set<QuicChannel> open = ConcurrentHashMap.newKeySet();

    /** Counts {@code connection} until it closes. */
    public void add(QuicChannel connection) {
        if (open.add(connection)) {
            connection.closeFuture().addListener(closed -> open.remove(connection));
            if (!connection.isOpen()) {
                open.remove(connection);
            }
        }
    }

    /** Closes every connection open now (one a peer said GOAWAY on included, still carrying its streams). */
    public void closeAll() {
        for (QuicChannel connection : Set.copyOf(open)) {
            connection.close();
        }
    }

    /**
     * Closes every connection open now with an application CONNECTION_CLOSE carrying {@code code} and {@code reason},
     * so that each peer learns at once instead of at its idle or heartbeat timeout (closing the UDP socket under a
     * connection sends nothing). Completes once every one of them has closed.
     */
    public Future<Void> closeAll(int code, String reason) {
        Set<QuicChannel> closing = Set.copyOf(open);
        Promise<Void> closed = ImmediateEventExecutor.INSTANCE.newPromise();
        if (closing.isEmpty()) {
            return closed.setSuccess(null);
        }
        byte[] why = reason.getBytes(StandardCharsets.UTF_8);
        AtomicInteger left = new AtomicInteger(closing.size());
        for (QuicChannel connection : closing) {
            connection.close(true, code, Unpooled.wrappedBuffer(why)).addListener(done -> {
                if (left.decrementAndGet() == 0) {
                    closed.trySuccess(null);
                }
            });
        }
        return closed;
    }

    /** Connections open now. */
    public int size() {
        return open.size();
    }

    /** Stream channels held by the open connections ({@link QuicStreams#held}); 0 when they cannot be read. */
    public int streamsHeld() {
        int held = 0;
        for (QuicChannel connection : open) {
            held += Math.max(0, QuicStreams.held(connection));
        }
        return held;
    }
}
