package io.connectionswap.protocol.dns;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.List;

/**
 * A dual-stack headless Service (Kubernetes) answers each pod with an A and an AAAA record, and {@link HostResolver}
 * asks for both where the machine has a global IPv6 address. Whoever takes every address of such an answer for a
 * peer of its own (the director's DNS discovery of workers, the worker's lookup of director replicas) counts each pod
 * twice; {@link #oneFamily} keeps one address per pod.
 */
public final class DualStack {

    private DualStack() {
    }

    /** The IPv4 addresses of {@code addresses} when there is one, else all of them (an IPv6-only answer); in order. */
    public static List<InetAddress> oneFamily(List<InetAddress> addresses) {
        if (addresses.stream().noneMatch(Inet4Address.class::isInstance)) {
            return addresses;
        }
        return addresses.stream().filter(Inet4Address.class::isInstance).toList();
    }
}
