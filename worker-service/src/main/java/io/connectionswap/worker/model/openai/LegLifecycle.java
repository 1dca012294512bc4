package io.connectionswap.worker.model.openai;

import io.connectionswap.protocol.model.ModelException;

/**
 * What the parts of a leg ({@link LegExchange}, {@link LegLines}, {@link LegChunkHandler}) ask of its lifecycle
 * ({@link UpstreamCompletion}); each runs on the leg's serial executor.
 */
interface LegLifecycle {

    /** Whether the leg is over (ended, failed or cancelled): nothing more is sent. */
    boolean over();

    /** Asks for the body's next line while the subscriber wants an event, or sends the END it waits for. */
    void next();

    /** The generation is complete: its END goes out when asked for; the rest of the body is read and dropped. */
    void finish();

    /** The generation is complete before the upstream ends it: {@link #finish}, and its stream closed. */
    void finishAndCloseUpstream();

    /** The upstream's stream is closed, what it still sends dropped; the leg {@link #finish}es later. */
    void closeUpstream();

    /** The leg fails with {@code failure} (the upstream's stream closed). */
    void fail(ModelException failure);
}
