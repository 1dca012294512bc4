package io.connectionswap.director.relay;

import io.connectionswap.protocol.message.Retry;
import io.netty.buffer.ByteBuf;

/** The client's end of a relay session, as the session needs it. */
interface ClientSide {

    boolean isActive();

    /** The client can take more frames now (flow control has room). */
    boolean isWritable();

    /** Queues one complete frame as received from the worker; takes ownership of {@code frame}. */
    void relay(ByteBuf frame);

    /**
     * Ends a batch of {@link #relay} writes (once per read from the worker). Netty's QUIC stream hands each write to
     * quiche at once and its flush does nothing; the datagrams are coalesced per connection and loop pass instead
     * ({@code CoalescedSends}). This keeps the write/flush contract.
     */
    void flush();

    /** Sends RETRY and ends the stream. */
    void retry(Retry retry);

    /** Ends the stream after everything written (the generation is complete, or a relayed final ERROR). */
    void finish();

    /** Sends {@code error} as final and ends the stream. */
    void fail(io.connectionswap.protocol.message.StreamError error);

    /** Resets the stream both ways with {@code code} and releases it (the client stopped reading). */
    void abort(io.connectionswap.protocol.frame.ErrorCode code);
}
