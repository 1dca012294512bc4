package io.connectionswap.director.relay;

import io.connectionswap.protocol.log.RepeatedProblems;
import io.connectionswap.protocol.message.Retry;
import io.netty.buffer.ByteBuf;
import org.slf4j.Logger;

/** The client's end of a relay session, as the session needs it. */
interface ClientSide {

    boolean isActive();

    /** The client can take more frames now (flow control has room, and it has not paused the generation). */
    boolean isWritable();

    /**
     * The client paused ({@code true}) or resumed this generation with a PAUSE message: only a generation on the
     * client token stream has one to send. Returns whether that changed anything.
     */
    default boolean paused(boolean pause) {
        throw new UnsupportedOperationException("PAUSE is only for a generation on the client token stream");
    }

    /** The connection's token stream the frames go on, or null: on the generation's own stream. */
    default ClientTokenStream tokenStream() {
        return null;
    }

    /**
     * Writes one complete frame as received from the worker; takes ownership of {@code frame}. Coalesced, it leaves
     * with the rest of the worker read that brought it ({@code CoalescedSends}).
     */
    void relay(ByteBuf frame);

    /** Sends RETRY and ends the stream. */
    void retry(Retry retry);

    /** Ends the stream after everything written (the generation is complete, or a relayed final ERROR). */
    void finish();

    /** Sends {@code error} as final and ends the stream. */
    void fail(io.connectionswap.protocol.message.StreamError error);

    /**
     * The problem {@code kind}, logged to {@code log}, occurred on this client's connection: how loud its line is, one
     * WARN per connection and kind, then DEBUG with a counting reminder ({@code ConnectionProblems}). For what a client
     * can repeat stream after stream (requests workers refuse, streams it stops reading).
     */
    RepeatedProblems.Occurrence problem(Logger log, Object kind);

    /** Resets the stream both ways with {@code code} and releases it (the client stopped reading). */
    void abort(io.connectionswap.protocol.frame.ErrorCode code);
}
