package io.connectionswap.worker.registration;

import io.connectionswap.protocol.dns.DualStack;
import io.connectionswap.protocol.quic.HostPort;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The directors the names of {@code CONNECTION_SWAP_DIRECTOR_TARGET} list: each name's last answer (a failed lookup
 * keeps the one before it), and every address any name lists. An address two names list stays listed while either
 * does, whichever of them its session was opened by. Lookup loop only.
 */
final class ListedDirectors {

    private final Map<HostPort, List<InetSocketAddress>> answers = new HashMap<>();

    /**
     * {@code target} answered {@code addresses}: its directors from now on (of a dual-stack answer the IPv4 addresses
     * only, {@link DualStack}: a replica answers with an A and an AAAA record, one session per replica).
     */
    void answered(HostPort target, List<InetAddress> addresses) {
        List<InetSocketAddress> directors = new ArrayList<>();
        for (InetAddress address : DualStack.oneFamily(addresses)) {
            directors.add(new InetSocketAddress(address, target.port()));
        }
        answers.put(target, List.copyOf(directors));
    }

    /**
     * Every address one of {@code targets} lists by its last answer, with the name a new session reaches it by (the
     * last of the names listing it, in the order of {@code targets}).
     */
    Map<InetSocketAddress, String> listed(List<HostPort> targets) {
        Map<InetSocketAddress, String> listed = new LinkedHashMap<>();
        for (HostPort target : targets) {
            for (InetSocketAddress address : answers.getOrDefault(target, List.of())) {
                listed.put(address, target.host());
            }
        }
        return listed;
    }
}
