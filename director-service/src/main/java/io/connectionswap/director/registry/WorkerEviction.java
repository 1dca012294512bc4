package io.connectionswap.director.registry;

import io.connectionswap.director.config.DirectorProperties;
import io.connectionswap.protocol.log.LogLine;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes a worker that is gone: neither registered nor in DNS, and for {@code connection-swap.director.evict-after}
 * either its health unreachable or no QUIC link to it. The link counts on its own because the address of a gone
 * worker may answer HTTP as something else (Kubernetes gives a deleted pod's IP to another pod), which kept its health
 * "reachable" and the entry, polled and dialled, for good. On the registry's loop, after each health poll.
 */
final class WorkerEviction {

    /** The registry's logger: these lines are the registry's, as before they moved here. */
    private static final Logger log = LoggerFactory.getLogger(WorkerRegistry.class);

    private final WorkerRegistry registry;
    private final DirectorProperties properties;

    WorkerEviction(WorkerRegistry registry, DirectorProperties properties) {
        this.registry = registry;
        this.properties = properties;
    }

    /** Removes {@code worker} from the registry if it is gone. */
    void maybeEvict(WorkerEndpoint worker) {
        if (worker.presence().registrationOpen() || worker.presence().inDns()) {
            return;
        }
        Instant before = Instant.now().minus(properties.evictAfter());
        Instant unreachable = worker.polls().unreachableSince();
        Instant linkDown = worker.linkUp() ? null : worker.links().downSince();
        Instant since = unreachable != null && unreachable.isBefore(before) ? unreachable
                : linkDown != null && linkDown.isBefore(before) ? linkDown : null;
        if (since != null) {
            LogLine.info(log).field("worker.addr", worker.address()).field("worker.label", worker.label())
                    .field("unreachable.since", unreachable).field("link.down.since", linkDown)
                    .log("evicting worker that is gone");
            registry.remove(worker, "connection_lost", "worker evicted");
        }
    }
}
