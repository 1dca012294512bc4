package io.connectionswap.director.relay;

import io.connectionswap.protocol.frame.RawFrame;
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
 * cut off ({@link RelaySession#clientTooSlow}) either way. The session's frames go to its client through it
 * ({@link #relay}), and the client's signals come in here: its stream's writability and, on the client token stream,
 * its PAUSE. Confined to the routing loop; per relayed frame: the bound's check and whether the client can take more,
 * no allocation.
 */
final class ClientBackPressure {

    /**
     * The most bytes a worker may send during one hold: twice a worker stream's flow-control window, what a worker
     * that honours the hold can still have in flight (a stream not read, or tokens asked of its model before its
     * PAUSE), with room.
     */
    static final long MAX_BYTES_WHILE_HELD = 2 * QuicSettings.DEFAULTS.maxStreamData();

    private final RelaySession session;
    private final ClientSide client;
    private final WorkerSilence silence;
    private final LongSupplier clock;
    private boolean blocked;
    private long blockedSinceNanos;
    /** Since when the client has not been able to take more, the worker held or not; -1 while it can. */
    private long fullSinceNanos = -1;
    /** Bytes of frames from the worker during the present hold. */
    private long bytesWhileHeld;

    /** Between {@code session}'s {@code client} and its worker, whose {@code silence} a hold's end moves on. */
    ClientBackPressure(RelaySession session, ClientSide client, WorkerSilence silence, LongSupplier clock) {
        this.session = session;
        this.client = client;
        this.silence = silence;
        this.clock = clock;
    }

    /**
     * Writes {@code frame} to the client; false when the session ended instead: on a stream the client stopped, the
     * write fails at once and its failure ends the leg (clientGone) before it returns, so the worker stream just
     * cancelled is not paused and the frame is not counted as relayed; a worker held back that sent more than it may
     * during the hold ({@link #overBound}) is a stream error, and the frame is not written.
     */
    boolean relay(RawFrame frame) {
        if (overBound(frame.content().readableBytes())) {
            // a worker held back for a slow client that goes on sending (a PAUSE it ignores): not relayed, or the
            // director would hold without bound what the client cannot take
            session.swap(SwapReason.STREAM_ERROR, "worker sent " + bytesWhileHeld + " bytes while held back"
                    + " for a slow client, more than the " + MAX_BYTES_WHILE_HELD + " allowed");
            return false;
        }
        client.relay(frame.content().retain());
        if (!session.relaying()) {
            return false;
        }
        if (!client.isWritable()) {
            hold(session.workerStream()); // the client reads slower than the worker sends
        }
        return true;
    }

    /**
     * The client paused this generation ({@code true}) or reads it again: its PAUSE message, on a generation whose
     * frames go on the connection's token stream (where flow control is shared, so it cannot say this by not reading).
     */
    void clientPaused(boolean pause) {
        if (!client.paused(pause) || !session.relaying()) {
            return;
        }
        if (pause) {
            hold(session.workerStream());
        } else {
            clientWritable(client.isWritable());
        }
    }

    /**
     * The client can take more: resume reading from the worker. Or it cannot ({@code false}: a client token stream
     * filled with other generations' frames): the worker is held at its next frame, and the slow-client clock runs from
     * now, so that a worker that sends nothing more on this stream cannot keep a client that reads nothing.
     */
    void clientWritable(boolean writable) {
        long heldSince = -1;
        if (writable) {
            heldSince = release();
        } else {
            full();
        }
        if (heldSince != -1) {
            silence.holdReleased(heldSince); // the worker was held back (not read, or PAUSEd)
        }
        WorkerSide worker = session.workerStream();
        if (writable && worker != null && session.relaying()) {
            worker.read(true);
        }
    }

    /** The client cannot take more: {@code worker} is held back (not read, or PAUSEd); null: no worker stream yet. */
    private void hold(WorkerSide worker) {
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
    private long release() {
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
    private boolean overBound(int bytes) {
        if (!blocked) {
            return false;
        }
        bytesWhileHeld += bytes;
        return bytesWhileHeld > MAX_BYTES_WHILE_HELD;
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
