package io.connectionswap.swapclient.internal;

import io.connectionswap.protocol.message.GenerationRequest;
import java.time.Duration;

/** What a generation needs of the connection; {@link DirectorLink} over QUIC, a fake in tests. Loop-confined. */
public interface Transport {

    /**
     * Whether a leg can open now: false while there is no connection, and while its director is leaving (GOAWAY, or a
     * stream refused with SHUTTING_DOWN) until the next connection is up.
     */
    boolean isConnected();

    /** Opens a stream, sends {@code request} and reports what follows to {@code events}. */
    Leg open(GenerationRequest request, LegEvents events);

    /** Runs {@code onConnected} (once) the next time a connection is up; the handle removes the wish. */
    ClientLoop.Cancellable awaitConnection(Runnable onConnected);

    /**
     * Why there is no connection now, for the error of a generation that waited for one in vain (the address that
     * does not answer, the TLS handshake that failed, a client never started); null when there is nothing to say.
     */
    default String connectionProblem() {
        return null;
    }

    /** How long the connection may go without a heartbeat echo before it is taken for lost (zero: unknown). */
    default Duration heartbeatTimeout() {
        return Duration.ZERO;
    }
}
