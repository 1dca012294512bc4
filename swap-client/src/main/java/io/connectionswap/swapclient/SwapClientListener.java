package io.connectionswap.swapclient;

/**
 * Hooks for metrics: the library calls these on its I/O thread, so they must be quick and must not block. Every
 * method does nothing by default. {@code client-service} implements it with Micrometer counters named
 * {@code connection_swap_client_*}.
 */
public interface SwapClientListener {

    /** No-op listener. */
    SwapClientListener NONE = new SwapClientListener() {
    };

    /** A token arrived in sequence. */
    default void tokenReceived() {
    }

    /**
     * Time from the start of a generation (its first GENERATE) to its first token, in nanoseconds; once per
     * generation, and it includes any wait for a healthy worker and any swap before that token.
     */
    default void timeToFirstToken(long nanos) {
    }

    /**
     * Time between two consecutive tokens of one generation, in nanoseconds, not counting the time the subscriber held
     * reading back (its queue of unread events full): a slow reader is not a slow cluster.
     */
    default void tokenGap(long nanos) {
    }

    /**
     * The director moved a generation to another worker, its RETRY ({@code reason}: health, stream_error, ...). A move
     * the client made itself (a lost director, a broken stream, a sequence gap) is a {@link GenerationEvent.Swapped}
     * but not this, which stays comparable to the director's count of its swaps: a lost director shows in
     * {@link #reconnected(ReconnectCause)} (once per new connection), a gap in {@link #sequenceError}; a broken stream
     * in neither.
     */
    default void swapped(String reason) {
    }

    /** A token was missing or repeated; the client dropped the duplicate or resumed before the gap. */
    default void sequenceError(SequenceErrorKind kind) {
    }

    /**
     * A new connection to a director after the previous one: the library calls this one. By default it calls
     * {@link #reconnected()}, so a listener written before the cause existed still counts every reconnect; override
     * this one to tell a planned move ({@link ReconnectCause#DIRECTOR_LEAVING}) from a lost director. A listener that
     * wraps another must forward this one, with its cause.
     */
    default void reconnected(ReconnectCause cause) {
        reconnected();
    }

    /**
     * A new connection to a director, whatever the cause: called by the default {@link #reconnected(ReconnectCause)}
     * only, and kept for the listeners that override it.
     */
    default void reconnected() {
    }

    /** A generation completed. */
    default void generationCompleted() {
    }

    /** The director had no healthy worker; the generation backs off and asks again. */
    default void noHealthyWorker() {
    }
}
