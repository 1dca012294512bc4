package io.connectionswap.protocol.quic;

/**
 * A QUIC server cannot bind its address: the port is taken, the address is not one of this host's, or its host does
 * not resolve. Carries what a user needs to fix it: the reason, the address and the setting that gave it (a role's
 * start-up failure reports them through {@code QuicEndpointFailureAnalyzer}).
 */
public final class QuicEndpointException extends RuntimeException {

    /** Why the bind failed. */
    public enum Reason {
        /** Another socket holds the port (EADDRINUSE). */
        ADDRESS_IN_USE,
        /** The IP address is not one of this host's (EADDRNOTAVAIL). */
        ADDRESS_NOT_LOCAL,
        /** The host name does not resolve. */
        HOST_UNRESOLVED,
        /** Anything else the socket layer refused. */
        OTHER
    }

    private final Reason reason;
    private final HostPort address;
    private final String setting;

    public QuicEndpointException(String message, Throwable cause, Reason reason, HostPort address, String setting) {
        super(message, cause);
        this.reason = reason;
        this.address = address;
        this.setting = setting;
    }

    public Reason reason() {
        return reason;
    }

    /** The address as configured. */
    public HostPort address() {
        return address;
    }

    /** The setting that gave the address (an env var such as {@code CONNECTION_SWAP_DIRECTOR_ADDR}). */
    public String setting() {
        return setting;
    }
}
