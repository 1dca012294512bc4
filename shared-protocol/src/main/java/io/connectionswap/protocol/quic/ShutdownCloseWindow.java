package io.connectionswap.protocol.quic;

import java.time.Duration;

/**
 * The time a shutting-down worker's QUIC server stays up after it closed its connections with SHUTTING_DOWN: the
 * worker waits this long at most for those closes to go out before its socket closes (and closes any connection
 * made meanwhile the same way), and a director waits past it before it redials that worker's address, so that what
 * answers then is a new process or nothing. One value for both sides: changing it changes both. Before those closes,
 * when its drain timed out, the worker waits up to {@link #CUT_STREAMS_WAIT} for the streams it ended to be read
 * (the worker's alone; the deployment's stop budgets count both, {@link #afterDrainTimeout()}).
 */
public final class ShutdownCloseWindow {

    /** Longest a shutting-down worker waits for its connections' SHUTTING_DOWN closes before its socket closes. */
    public static final Duration CONNECTION_CLOSE_WAIT = Duration.ofSeconds(1);

    /**
     * Longest a worker whose drain timed out waits, once it ended the streams still open (with SHUTTING_DOWN behind
     * what they carry), for the director to read them (its FINs) before it closes its connections: a connection's
     * close drops whatever quiche has not sent yet, an END among it.
     */
    public static final Duration CUT_STREAMS_WAIT = Duration.ofSeconds(1);

    /** The longest a worker's stop takes after its drain timeout: the cut streams' wait, then the closes'. */
    public static Duration afterDrainTimeout() {
        return CUT_STREAMS_WAIT.plus(CONNECTION_CLOSE_WAIT);
    }

    private ShutdownCloseWindow() {
    }
}
