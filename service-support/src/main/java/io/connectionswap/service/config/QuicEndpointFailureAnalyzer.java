package io.connectionswap.service.config;

import io.connectionswap.protocol.quic.HostPort;
import io.connectionswap.protocol.quic.QuicEndpointException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Turns a QUIC server that cannot bind its address into Boot's "APPLICATION FAILED TO START" report (what failed, and
 * what to change) rather than a stack trace, as Boot does for a taken HTTP port. Registered in
 * {@code META-INF/spring.factories}, so every role gets it.
 */
public final class QuicEndpointFailureAnalyzer extends AbstractFailureAnalyzer<QuicEndpointException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, QuicEndpointException cause) {
        return new FailureAnalysis(cause.getMessage() + ".", action(cause), cause);
    }

    private static String action(QuicEndpointException cause) {
        HostPort address = cause.address();
        String setting = cause.setting();
        return switch (cause.reason()) {
            case ADDRESS_IN_USE -> "Another socket holds udp port " + address.port() + " on " + address.uriHost()
                    + ", often an earlier run of this role that is still running (ss -ulpn 'sport = :"
                    + address.port() + "' names the process). Stop it, or set " + setting + " to a free port.";
            case ADDRESS_NOT_LOCAL -> address.uriHost() + " is not an address of this host. Set " + setting
                    + " to one of its addresses: 127.0.0.1 for loopback only, 0.0.0.0 for every interface.";
            case HOST_UNRESOLVED -> "The host " + address.host() + " does not resolve here. Set " + setting
                    + " to an IP address of this host (0.0.0.0 for every interface) or a name that resolves to one.";
            case OTHER -> "Check " + setting + "=" + address + ": it must name an address of this host and a port"
                    + " this process may bind.";
        };
    }
}
