package io.connectionswap.director.relay;

import java.util.function.LongSupplier;

/**
 * Since when the worker of one {@link RelaySession} has sent nothing on its stream, on two clocks the stall watch reads:
 * one restarted by the worker's last frame, the hand-off, or the moment its client read again after holding it back;
 * the other the same, but moved on by a hold of the client only by the hold's own length. Also when the session
 * started, and whether the worker has answered the hand-off. Confined to the routing loop; touched once per frame from
 * the worker (no allocation).
 */
final class WorkerSilence {

    private final LongSupplier clock;
    private final long startedNanos;
    /**
     * Since when the worker has sent nothing on this stream, as the stall watch judges a stream it reads: its last
     * frame, the hand-off, or the moment its client read again after holding it back.
     */
    private long silentSinceNanos;
    /**
     * Since when the worker has sent nothing on this stream while the director read it: as {@link #silentSinceNanos},
     * but a hold of its client moves it on only by the hold's own length, so a PAUSE and unPAUSE neither count as
     * silence nor restart it.
     */
    private long silentWhileReadSinceNanos;
    private boolean firstFrameSeen;

    /** {@code clock} gives {@code System.nanoTime()}-like values; the session starts now. */
    WorkerSilence(LongSupplier clock) {
        this.clock = clock;
        this.silentSinceNanos = clock.getAsLong();
        this.silentWhileReadSinceNanos = silentSinceNanos;
        this.startedNanos = silentSinceNanos;
    }

    /** The worker stream opened and the generation is handed over: the worker's silence counts from now. */
    void handOff() {
        silentSinceNanos = clock.getAsLong();
        silentWhileReadSinceNanos = silentSinceNanos;
    }

    /** A frame came from the worker: its silence ends now. Returns now, in clock nanos. */
    long heardNow() {
        silentSinceNanos = clock.getAsLong();
        silentWhileReadSinceNanos = silentSinceNanos;
        firstFrameSeen = true;
        return silentSinceNanos;
    }

    /**
     * The client reads again after holding the worker back since {@code heldSinceNanos} (not read, or PAUSEd): its
     * silence counts from now, not from its last frame, or the stall watch would take the first moment the client
     * reads again for a stalled worker; the silence while read leaves the hold out (from a frame that came during it,
     * if one did) and keeps what came before it, so a stream held only after its worker fell silent on it excuses
     * nothing (StallWatch).
     */
    void holdReleased(long heldSinceNanos) {
        long now = clock.getAsLong();
        silentSinceNanos = now;
        silentWhileReadSinceNanos += now - Math.max(heldSinceNanos, silentWhileReadSinceNanos);
    }

    /** Whether the worker has answered the hand-off yet (until then the longer hand-off limit applies). */
    boolean handedOff() {
        return firstFrameSeen;
    }

    /** Since when the worker has sent nothing on this stream, as judged while the client reads it. */
    long silentSinceNanos() {
        return silentSinceNanos;
    }

    /**
     * Since when the worker has sent nothing on this stream, the time its client held the stream back not counted
     * (whether the worker was still sending on it when a hold began).
     */
    long silentWhileReadSinceNanos() {
        return silentWhileReadSinceNanos;
    }

    /** When the session started (the hand-off), in clock nanos. */
    long startedNanos() {
        return startedNanos;
    }
}
