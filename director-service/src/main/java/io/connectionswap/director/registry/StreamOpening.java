package io.connectionswap.director.registry;

import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.concurrent.Future;

/**
 * A relayed stream opening on one of a worker's links ({@link WorkerRegistry#openStream}), with whether that link
 * carries the worker's tokens on token streams ({@link WorkerConnection#tokenStream}). The link the stream opened on,
 * not the worker's link when it is open: a link replaced by one with token streams keeps the streams it opened.
 */
public record StreamOpening(Future<QuicStreamChannel> stream, boolean tokenStream) {
}
