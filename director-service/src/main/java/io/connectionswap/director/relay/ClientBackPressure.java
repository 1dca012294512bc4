package io.connectionswap.director.relay;

import io.connectionswap.protocol.quic.QuicSettings;
import java.util.function.LongSupplier;

/**
 * Back-pressure from a relay session's client to its worker: while the client reads slower than the worker sends (or
 * paused the generation), the worker is held back, and since when is kept for the stall watch. What the director
 * holds for the stream stays bounded by the worker stream's flow-control window (or, on a worker's token stream, by
 * what the worker had asked its model for before its PAUSE); a worker that sends more than {@link #MAX_BYTES_WHILE_HELD}
 * during one hold ignores it (a PAUSE it did not honour), and {@link #overBound} says so, so that the session moves the
 * generation instead of holding without bound. Since when the client has not been able to take more is kept apart
 * from the hold, for the slow-client rule: a client token stream filled by other generations' frames, or full when the
 * worker stream opened, holds nothing of this session's worker until its next frame (a worker that never sends one is
 * never held), yet its client reads nothing; a client that reads nothing for CONNECTION_SWAP_SLOW_CLIENT_TIMEOUT is
 * cut off ({@link RelaySession#clientTooSlow}) either way. Confined to the routing loop; touched per relayed frame
 * only while the worker is held back.
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
    /** Since when the client has not been able to take more, the worker held or not; -1 while it can. */
    private long fullSinceNanos = -1;
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
            full(blockedSinceNanos);
        }
    }

    /**
     * The client cannot take more, seen without a frame of the worker to hold (its stream's writability changed, or
     * was off when the worker stream opened): the slow-client clock runs from now, unless it runs already; the worker
     * is held at its next frame.
     */
    void full() {
        if (fullSinceNanos == -1) {
            full(clock.getAsLong());
        }
    }

    private void full(long nowNanos) {
        if (fullSinceNanos == -1) {
            fullSinceNanos = nowNanos;
        }
    }

    /** The client can take more: since when the worker was held back (not read, or PAUSEd), or -1 when it was not. */
    long release() {
        fullSinceNanos = -1;
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

    /** Since when the worker has been held back, or -1 while it is read. */
    long blockedSinceNanos() {
        return blocked ? blockedSinceNanos : -1;
    }

    /** Since when the client has not been able to take more (its worker held back or not), or -1 while it can. */
    long fullSinceNanos() {
        return fullSinceNanos;
    }
}
