package io.connectionswap.protocol.quic;

import java.time.Duration;

/**
 * The time a shutting-down worker's QUIC server stays up after it closed its connections with SHUTTING_DOWN: the
 * worker waits this long at most for those closes to go out before its socket closes (and closes any connection
 * made meanwhile the same way), and a director waits past it before it redials that worker's address, so that what
 * answers then is a new process or nothing. One value for both sides: changing it changes both.
 */
public final class ShutdownCloseWindow {

    /** Longest a shutting-down worker waits for its connections' SHUTTING_DOWN closes before its socket closes. */
    public static final Duration CONNECTION_CLOSE_WAIT = Duration.ofSeconds(1);

    private ShutdownCloseWindow() {
    }
}
