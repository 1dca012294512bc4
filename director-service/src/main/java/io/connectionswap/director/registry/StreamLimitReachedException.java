package io.connectionswap.director.registry;

/**
 * A stream to a worker was not opened: the worker's link has no stream credit left on the connections of the routing
 * loop that asked (the worker's QUIC MAX_STREAMS reached: it is at capacity, or holds streams that never ended). The
 * worker gives credit back as streams end; the link is fine.
 */
public final class StreamLimitReachedException extends Exception {

    /** {@code connections}: those of the routing loop that asked; {@code streamsHeld}: the link's, -1 unknown. */
    public StreamLimitReachedException(int connections, int streamsHeld) {
        super("its stream limit is reached: no stream credit left on the " + connections + " connection"
                + (connections == 1 ? "" : "s") + " of this routing loop (the worker's QUIC MAX_STREAMS; "
                + (streamsHeld < 0 ? "streams held unknown" : streamsHeld + " streams held on its link") + ")",
                null, false, false);
    }
}
