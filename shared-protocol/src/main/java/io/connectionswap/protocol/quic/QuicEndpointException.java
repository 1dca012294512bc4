package io.connectionswap.protocol.quic;

/** A QUIC endpoint cannot start: its address is taken, unresolvable, or its TLS material is unusable. */
public final class QuicEndpointException extends RuntimeException {

    public QuicEndpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
