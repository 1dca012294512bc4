package io.connectionswap.director.relay;

import java.util.function.LongSupplier;

/**
 * Back-pressure from a relay session's client to its worker: while the client reads slower than the worker sends (or
 * paused the generation), the worker is held back, and since when is kept for the slow-client rule. What the director
 * holds for the stream stays bounded by the worker stream's flow-control window (or, on a worker's token stream, by
 * what the worker had asked its model for before its PAUSE); a client that reads nothing for
 * CONNECTION_SWAP_SLOW_CLIENT_TIMEOUT is cut off ({@link RelaySession#clientTooSlow}). Confined to the routing loop;
 * touched only when the client cannot take more or can again, never per relayed frame otherwise.
 */
final class ClientBackPressure {

    private final LongSupplier clock;
    private boolean blocked;
    private long blockedSinceNanos;

    ClientBackPressure(LongSupplier clock) {
        this.clock = clock;
    }

    /** The client cannot take more: {@code worker} is held back (not read, or PAUSEd); null: no worker stream yet. */
    void hold(WorkerSide worker) {
        if (worker == null) {
            return;
        }
        worker.read(false);
        if (!blocked) {
            blocked = true;
            blockedSinceNanos = clock.getAsLong();
        }
    }

    /** The client can take more: since when it could not (the worker was held back), or -1 when it could. */
    long release() {
        if (!blocked) {
            return -1;
        }
        blocked = false;
        return blockedSinceNanos;
    }

    /** Since when the client has not been able to take more, or -1 while it reads. */
    long blockedSinceNanos() {
        return blocked ? blockedSinceNanos : -1;
    }
}
