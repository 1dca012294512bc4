package io.connectionswap.director.relay;

import io.connectionswap.director.metrics.DirectorMeters.Finish;

/** What a {@link RelaySession} reports to whoever tracks sessions (the {@link Relay}). */
interface SessionEvents {

    /** The session ended (completed, swapped, or the client left); it holds no worker capacity any more. */
    void sessionEnded(RelaySession session);

    /** The session was moved off its worker for {@code reason}; the client was asked to resume. */
    void swapped(RelaySession session, String reason);

    /**
     * The worker refused the request with an error that is the request's fault ({@link
     * io.connectionswap.protocol.frame.ErrorCode#isRequestFault()}); the client got it as final. Not a swap, and
     * never held against the worker.
     */
    void requestFailed(RelaySession session, io.connectionswap.protocol.frame.ErrorCode code);

    /**
     * The worker said it is shutting down (it refused a hand-off while draining, or its drain timed out mid-generation):
     * treat it as draining; {@code detail} says which, and is the drain's reason.
     */
    void workerDraining(RelaySession session, String detail);

    /** The session's worker failed but the generation may not move again: the client got MIGRATION_LIMIT. */
    void migrationLimitReached(RelaySession session, String reason);

    /**
     * The generation ended here, once: an END relayed ({@code LENGTH}, {@code STOP}), or a final error the director
     * sent or a reset of a client too slow ({@code ERROR}). Not called when the generation moves on (swap), when the
     * client left, or when the director stops.
     */
    void generationFinished(RelaySession session, Finish finish);

    /** A token was relayed; {@code firstOfSession} marks the first one of this leg. */
    void tokenRelayed(RelaySession session, boolean firstOfSession);
}
