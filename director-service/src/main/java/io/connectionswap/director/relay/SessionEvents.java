package io.connectionswap.director.relay;

/** What a {@link RelaySession} reports to whoever tracks sessions (the {@link Relay}). */
interface SessionEvents {

    /** The session ended (completed, swapped, or the client left); it holds no worker capacity any more. */
    void sessionEnded(RelaySession session);

    /** The session was moved off its worker for {@code reason}; the client was asked to resume. */
    void swapped(RelaySession session, String reason);

    /** A token was relayed; {@code firstOfSession} marks the first one of this leg. */
    void tokenRelayed(RelaySession session, boolean firstOfSession);
}
