package io.connectionswap.director.relay;

import io.connectionswap.protocol.quic.QuicSettings;
import java.util.function.LongSupplier;

/**
 * Back-pressure from a relay session's client to its worker: while the client reads slower than the worker sends (or
 * paused the generation), the worker is held back, and since when is kept for the slow-client rule. What the director
 * holds for the stream stays bounded by the worker stream's flow-control window (or, on a worker's token stream, by
 * what the worker had asked its model for before its PAUSE); a worker that sends more than {@link #MAX_BYTES_WHILE_HELD}
 * during one hold ignores it (a PAUSE it did not honour), and {@link #overBound} says so, so that the session moves the
 * generation instead of holding without bound. A client that reads nothing for CONNECTION_SWAP_SLOW_CLIENT_TIMEOUT is
 * cut off ({@link RelaySession#clientTooSlow}). Confined to the routing loop; touched per relayed frame only while
 * the worker is held back.
 */
final class ClientBackPressure {

    /**
     * The most bytes a worker may send during one hold: twice a worker stream's flow-control window, what a worker
     * that honours the hold can still have in flight (a stream not read, or tokens asked of its model before its
     * PAUSE), with room.
     */
    static final long MAX_BYTES_WHILE_HELD = 2 * QuicSettings.DEFAULTS.maxStreamData();

    private final LongSupplier clock;
    private boolean blocked;
    private long blockedSinceNanos;
    /** Bytes of frames from the worker during the present hold. */
    private long bytesWhileHeld;

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
        bytesWhileHeld = 0;
        return blockedSinceNanos;
    }

    /**
     * A frame of {@code bytes} came from the worker: whether, held back, it has now sent more than
     * {@link #MAX_BYTES_WHILE_HELD} during this hold (then the frame is not to be relayed). False while not held.
     */
    boolean overBound(int bytes) {
        if (!blocked) {
            return false;
        }
        bytesWhileHeld += bytes;
        return bytesWhileHeld > MAX_BYTES_WHILE_HELD;
    }

    /** Bytes the worker sent during the present hold (0 while not held). */
    long bytesWhileHeld() {
        return bytesWhileHeld;
    }

    /** Since when the client has not been able to take more, or -1 while it reads. */
    long blockedSinceNanos() {
        return blocked ? blockedSinceNanos : -1;
    }
}
