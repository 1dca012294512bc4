package io.connectionswap.director.registry;

import io.connectionswap.protocol.dns.HostResolver;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Resolves a host name to every address behind it, without blocking the caller (the routing loop). The director's
 * bean is DNS through Netty ({@link HostResolver}: record TTLs, hosts file first); tests declare their own.
 */
@FunctionalInterface
public interface AddressResolver {

    /** Every address behind {@code host}; completes on any thread, exceptionally when the name does not resolve. */
    CompletionStage<List<InetAddress>> resolveAll(String host);

    /** DNS through {@code resolver}. */
    static AddressResolver dns(HostResolver resolver) {
        return resolver::resolveAll;
    }
}
