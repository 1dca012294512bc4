/**
 * The connection-swap client library: {@link io.connectionswap.swapclient.SwapClient} holds one QUIC connection
 * to a director and runs generations on it, each a {@link java.util.concurrent.Flow.Publisher} of
 * {@link io.connectionswap.swapclient.GenerationEvent}s that survives worker failures (and the loss of a director)
 * with the exact text. Everything under {@code internal} may change without notice.
 */
package io.connectionswap.swapclient;
