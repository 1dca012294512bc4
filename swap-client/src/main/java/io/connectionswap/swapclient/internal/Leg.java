package io.connectionswap.swapclient.internal;

/** One stream of a generation (the first, or a resume after a swap), as the generation logic controls it. */
public interface Leg {

    /**
     * Reads from the stream on or off: off while the subscriber is behind, so the QUIC window closes (on the client
     * token stream: the director is told to pause instead). Events already on their way may still come.
     */
    void read(boolean enabled);

    /** Ends the stream from our side (FIN): the director cancels the worker. Further events are ignored. */
    void cancel();

    /**
     * Whether its stream has not opened yet because the director's limit of streams per connection is reached
     * ({@link StreamOpener}): the director has not seen it.
     */
    default boolean waitingForStream() {
        return false;
    }
}
