package io.connectionswap.protocol.quic;

import io.connectionswap.protocol.quic.QuicEndpointException.Reason;
import java.net.InetSocketAddress;

/**
 * The address a role's QUIC server binds, with the role and the setting that gave it: turns a failure to resolve or
 * bind it into a {@link QuicEndpointException} that says why.
 *
 * @param role    the role, as it appears in the message ({@code director}, {@code worker worker-a})
 * @param setting the setting that gave the address ({@code CONNECTION_SWAP_DIRECTOR_ADDR})
 * @param address the address as configured
 */
record BindTarget(String role, String setting, HostPort address) {

    /** Resolves the host now, or fails with {@link Reason#HOST_UNRESOLVED}. */
    InetSocketAddress resolve() {
        try {
            return address.resolve();
        } catch (IllegalArgumentException e) {
            throw exception(e.getMessage(), Reason.HOST_UNRESOLVED, e);
        }
    }

    /** The exception for a failed bind; its reason is read from the socket layer's message (alike on NIO and epoll). */
    QuicEndpointException bindFailed(Throwable cause) {
        String message = String.valueOf(cause.getMessage());
        if (message.contains("Address already in use")) {
            return exception("BindException: Address already in use (is another process using this port?)",
                    Reason.ADDRESS_IN_USE, cause);
        }
        if (message.contains("Cannot assign requested address")) {
            return exception("BindException: Cannot assign requested address (not an address of this host)",
                    Reason.ADDRESS_NOT_LOCAL, cause);
        }
        return exception(cause.getClass().getSimpleName() + ": " + message, Reason.OTHER, cause);
    }

    private QuicEndpointException exception(String detail, Reason reason, Throwable cause) {
        return new QuicEndpointException(role + " cannot bind QUIC server to udp/" + address + ": " + detail, cause,
                reason, address, setting);
    }
}
