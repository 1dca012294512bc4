package io.connectionswap.director.registry;

import io.netty.channel.ChannelHandler;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;

/**
 * A relayed stream opening on one of a worker's links ({@link WorkerRegistry#openStream}), with whether that link
 * carries the worker's tokens on token streams ({@link WorkerConnection#tokenStream}). The link the stream opened on,
 * not the worker's link when it is open: a link replaced by one with token streams keeps the streams it opened.
 */
public record StreamOpening(Future<QuicStreamChannel> stream, boolean tokenStream) {

    /**
     * Opens a stream on the director's connection to {@code worker}: its link, or the link that replaced it as this
     * was called (a replaced link refuses new streams, and may be closed already when it had none; the worker's link
     * is the replacement by then).
     */
    static StreamOpening open(WorkerEndpoint worker, ChannelHandler initializer) {
        WorkerConnection link = worker.link();
        StreamOpening opening = openOn(link, initializer);
        if (opening == null) {
            WorkerConnection replacement = worker.link();
            if (replacement != link) {
                opening = openOn(replacement, initializer);
            }
        }
        return opening != null ? opening : new StreamOpening(ImmediateEventExecutor.INSTANCE.newFailedFuture(
                new IllegalStateException("no connection to worker " + worker)), false); // heard on the caller's loop
    }

    /** A stream opening on {@code link}; null when there is no link, it is down, or it was retired. */
    private static StreamOpening openOn(WorkerConnection link, ChannelHandler initializer) {
        if (link == null || !link.isUp()) {
            return null;
        }
        Future<QuicStreamChannel> stream = link.openStream(initializer);
        return stream == null ? null : new StreamOpening(stream, link.tokenStream());
    }
}
