package io.connectionswap.director.registry;

import io.netty.channel.ChannelHandler;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.concurrent.Future;

/** The director's connection to one worker (one or a few QUIC connections), on which relayed streams are opened. */
public interface WorkerConnection {

    boolean isUp();

    /**
     * Opens a bidirectional stream whose pipeline {@code initializer} sets up; null once the connection is retired
     * ({@link #retire}): it takes no new stream, and the worker's link is its replacement.
     */
    Future<QuicStreamChannel> openStream(ChannelHandler initializer);

    void close(String reason);

    /**
     * The connection was replaced as its worker's link (the replacement is the worker's link already): it opens no
     * stream from now on ({@link #openStream} answers null), and runs {@code whenNoStreams} once no stream it opened is
     * open any more: at once when none is, else when the last one closes (on that stream's loop). A later task
     * replaces one still waiting. This default, for a connection that does not count its streams, runs it at once and
     * goes on opening streams (a test's connection; {@link WorkerLink} counts and refuses).
     */
    default void retire(Runnable whenNoStreams) {
        whenNoStreams.run();
    }

    /**
     * Streams the calling routing loop may open on it now (the worker's QUIC stream credit); 0: an open fails at once
     * ({@link StreamLimitReachedException}). This default, for a connection that does not know, is unbounded.
     */
    default long streamCredit() {
        return Long.MAX_VALUE;
    }

    /** Whether every routing loop may open a stream on it now ({@link #streamCredit} above 0 on each). Any thread. */
    default boolean streamCreditOnEveryLoop() {
        return streamCredit() > 0;
    }

    /** Stream channels the connection holds now (Netty's map), or -1 when that cannot be read. */
    int streamsHeld();

    /** QUIC connections it is made of. */
    default int connections() {
        return 1;
    }

    /**
     * Whether the link was lost because the worker closed it with SHUTTING_DOWN (its server closes as it drains): a
     * planned end, not a failure. False while it is up, and for any other loss.
     */
    default boolean closedByWorkerShuttingDown() {
        return false;
    }

    /** Whether the worker sends its generations' frames on a token stream per connection ({@code WorkerLink}). */
    default boolean tokenStream() {
        return false;
    }
}
