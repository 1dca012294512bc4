package io.connectionswap.director.registry;

import io.netty.handler.codec.quic.QuicChannel;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The loss of a {@link WorkerLink}: the first of its connections to close loses the link, its other connections are
 * closed, and the loss is reported once, with the first reason the director gave when it closed the link, or the
 * worker's SHUTTING_DOWN when the worker closed it so (then the worker is draining), or "connection closed".
 */
final class LinkLoss {

    private final List<QuicChannel> connections;
    /** The first reason given to {@link #close}; null when the link was not closed by the director. */
    private final AtomicReference<String> lostReason = new AtomicReference<>();
    /** Set on the registry's loop. */
    private boolean lost;
    /** Set on the registry's loop before the loss is reported: the worker closed it with SHUTTING_DOWN. */
    private volatile boolean closedByWorkerShuttingDown;

    LinkLoss(List<QuicChannel> connections) {
        this.connections = connections;
    }

    /**
     * The first of its connections to close loses the link. When the director did not close it and the worker did, with
     * SHUTTING_DOWN, the worker is draining ({@link #closedByWorkerShuttingDown}). On the registry's loop.
     */
    void connectionClosed(QuicChannel connection, Consumer<String> onLost) {
        if (lost) {
            return;
        }
        lost = true;
        connections.forEach(QuicChannel::close);
        String reason = lostReason.get();
        if (reason == null && PeerClose.shuttingDown(connection)) {
            closedByWorkerShuttingDown = true;
            reason = "worker closed the connection: shutting down";
        }
        onLost.accept(reason == null ? "connection closed" : reason);
    }

    boolean closedByWorkerShuttingDown() {
        return closedByWorkerShuttingDown;
    }

    /** The director closes the link for {@code reason}: every connection closes, and the first reason is reported. */
    void close(String reason) {
        lostReason.compareAndSet(null, reason); // the first cause; closing the rest reports more
        connections.forEach(QuicChannel::close);
    }
}
