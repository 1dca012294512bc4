package io.connectionswap.director.registry;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/** Resolves a host name to every address behind it (blocking: called off the event loop). */
@FunctionalInterface
public interface AddressResolver {

    List<InetAddress> resolve(String host) throws UnknownHostException;

    /** The JVM's resolver (honours networkaddress.cache.ttl). */
    static AddressResolver system() {
        return host -> List.of(InetAddress.getAllByName(host));
    }
}
