package io.connectionswap.director.registry;

import io.connectionswap.director.config.DirectorProperties;
import io.connectionswap.director.config.DiscoveryProperties;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.quic.HostPort;
import java.net.URI;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the addresses behind the discovery name do to a {@link WorkerRegistry}: new ones become workers, DNS-only
 * workers no longer listed are forgotten once they are not fit for streams, and one forgotten after it had been
 * healthy comes back, listed again within evict-after, after the rise threshold. On the registry's loop.
 */
final class DnsMembership {

    /** The registry's logger: these lines are the registry's, as before they moved here. */
    private static final Logger log = LoggerFactory.getLogger(WorkerRegistry.class);

    private final WorkerRegistry registry;
    private final WorkerLinks links;
    private final DirectorProperties properties;
    /**
     * DNS-only workers forgotten while not fit for streams after they had been healthy, and when (for evict-after):
     * listed again, they come back after the rise threshold. Registry loop only.
     */
    private final Map<HostPort, Instant> leftDnsAfterFailing = new HashMap<>();

    DnsMembership(WorkerRegistry registry, WorkerLinks links, DirectorProperties properties) {
        this.registry = registry;
        this.links = links;
        this.properties = properties;
    }

    /**
     * The addresses behind the discovery name now: new ones become workers (PENDING until polled healthy); DNS-only
     * workers no longer listed are forgotten once they are not fit for streams (a draining pod leaves DNS while its
     * streams still move away).
     */
    void discovered(Set<HostPort> addresses, DiscoveryProperties discovery) {
        Instant now = Instant.now();
        leftDnsAfterFailing.values().removeIf(at -> at.isBefore(now.minus(properties.evictAfter())));
        for (WorkerEndpoint worker : List.copyOf(registry.listed())) {
            boolean listed = addresses.contains(worker.address());
            worker.presence().inDns(listed);
            if (!listed && worker.source() == WorkerSource.DNS && !worker.eligible()) {
                LogLine.info(log).field("worker.addr", worker.address()).field("worker.label", worker.label())
                        .field("state", worker.state()).log("worker left DNS; forgetting it");
                if (worker.everHealthy()) {
                    // a Service drops exactly the pod that fails its readiness: listed again, it comes back after the
                    // rise threshold, not one good poll
                    leftDnsAfterFailing.put(worker.address(), now);
                }
                registry.remove(worker, "connection_lost", "worker left DNS");
            }
        }
        for (HostPort address : addresses) {
            String key = address.toString();
            if (registry.listed(key) != null) {
                continue;
            }
            WorkerEndpoint worker = new WorkerEndpoint(key, address,
                    URI.create("http://" + address.uriHost() + ":" + discovery.healthPort() + discovery.healthPath()),
                    discovery.tokenInterval(), "dns:" + key, registry.tlsName(address), WorkerSource.DNS, List.of());
            if (leftDnsAfterFailing.remove(address) != null) {
                worker.cameBackAfterFailing();
            }
            worker.presence().inDns(true);
            registry.add(key, worker);
            LogLine.info(log).field("worker.addr", key).field("worker.label", worker.label())
                    .field("count", registry.listedCount()).log("discovered worker through DNS");
            links.dial(worker);
        }
    }
}
