package io.connectionswap.protocol.quic;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
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

    /** Set by {@link #closeAll(int, String)}: the close every connection added from then on gets at once. */
    private volatile ApplicationClose closing;

    /**
     * Counts {@code connection} until it closes; once {@link #closeAll(int, String)} has run, closes it at once with
     * that same close instead (its peer learns now, not when the role's socket goes). Returns false then.
     */
    public boolean add(QuicChannel connection) {
        if (open.add(connection)) {
            connection.closeFuture().addListener(closed -> open.remove(connection));
            if (!connection.isOpen()) {
                open.remove(connection);
            }
        }
        // added before the closing is read, and closeAll sets it before its snapshot: a connection that its
        // snapshot misses sees the closing here
        ApplicationClose close = closing;
        if (close == null) {
            return true;
        }
        close.of(connection);
        return false;
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
     * connection sends nothing), and every connection {@link #add added} from now on (a peer that dialled while the
     * role's socket is still up) with the same close. Completes once every one open now has closed.
     */
    public Future<Void> closeAll(int code, String reason) {
        ApplicationClose close = new ApplicationClose(code, reason.getBytes(StandardCharsets.UTF_8));
        this.closing = close;
        Set<QuicChannel> closingNow = Set.copyOf(open);
        Promise<Void> closed = ImmediateEventExecutor.INSTANCE.newPromise();
        if (closingNow.isEmpty()) {
            return closed.setSuccess(null);
        }
        AtomicInteger left = new AtomicInteger(closingNow.size());
        for (QuicChannel connection : closingNow) {
            close.of(connection).addListener(done -> {
                if (left.decrementAndGet() == 0) {
                    closed.trySuccess(null);
                }
            });
        }
        return closed;
    }

    /** An application CONNECTION_CLOSE: its error code and reason. */
    private record ApplicationClose(int code, byte[] reason) {

        ChannelFuture of(QuicChannel connection) {
            return connection.close(true, code, Unpooled.wrappedBuffer(reason));
        }
    }

    /** Connections open now. */
    public int size() {
        return open.size();
    }

    /** The connections open now (a copy). */
    public Set<QuicChannel> openNow() {
        return Set.copyOf(open);
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
