package io.connectionswap.director.registry;

import io.netty.channel.EventLoop;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import java.util.List;

/**
 * The connections of a {@link WorkerLink} one routing loop opens streams on, in turn; {@code next} is touched on that
 * loop only.
 */
final class LoopShare {
    final EventLoop loop;
    final List<QuicChannel> connections;
    private int next;

    LoopShare(EventLoop loop, List<QuicChannel> connections) {
        this.loop = loop;
        this.connections = List.copyOf(connections);
    }

    /**
     * The next of its connections in turn that has stream credit, or null when none has. Netty's count of the
     * credit ({@code peerAllowedStreams}) is read on this loop: above 0, an open will not be refused. It is
     * never above what quiche allows, but may stay at 0 after credit came back until the next packet from the
     * worker is read (Netty reads quiche's count again only once its own reached 0).
     */
    QuicChannel nextWithCredit() {
        for (int tried = 0; tried < connections.size(); tried++) {
            QuicChannel connection = connections.get(next);
            next = (next + 1) % connections.size();
            if (connection.peerAllowedStreams(QuicStreamType.BIDIRECTIONAL) > 0) {
                return connection;
            }
        }
        return null;
    }

    /** Streams this loop may open now, over its connections. */
    long credit() {
        long credit = 0;
        for (QuicChannel connection : connections) {
            credit += connection.peerAllowedStreams(QuicStreamType.BIDIRECTIONAL);
        }
        return credit;
    }
}
