package io.connectionswap.director.relay;

import io.connectionswap.protocol.message.WorkerAssignment;

/** The worker's end of a relay session, as the session needs it. */
interface WorkerSide {

    void assign(WorkerAssignment assignment);

    /** Tells the worker to stop (FIN): used when the session moves away or the client left. Late frames are dropped. */
    void cancel();

    /** Closes the stream normally after END. */
    void close();

    /**
     * Pauses (false) or resumes (true) the worker: back-pressure from a slow client. Stops reading its stream, or,
     * when its tokens come on the token stream, tells it to pause ({@code Pause}).
     */
    void read(boolean enabled);

    /** Whether the QUIC connection carrying the stream is still up. */
    boolean connectionActive();
}
