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

    /** Sends what {@link #relay} queued: once per read from the worker, not once per frame. */
    void flush();

    /** Sends RETRY and ends the stream. */
    void retry(Retry retry);

    /** Ends the stream after everything written (the generation is complete). */
    void finish();
}
