package io.connectionswap.protocol.quic;

import io.netty.handler.codec.quic.QuicChannel;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

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
