package io.connectionswap.director.registry;

import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.message.WorkerRegistration;
import io.connectionswap.protocol.quic.HostPort;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a worker's registration does to a {@link WorkerRegistry}: a worker found through DNS adopts it, the same
 * instance registering again keeps its entry, another instance at a known address replaces the entry (one that had
 * failed comes back after the rise threshold), and a new worker is listed and dialled; a label already in use by
 * another worker is warned about. On the registry's loop.
 */
final class WorkerRegistrations {

    /** The registry's logger: these lines are the registry's, as before they moved here. */
    private static final Logger log = LoggerFactory.getLogger(WorkerRegistry.class);

    private final WorkerRegistry registry;
    private final WorkerLinks links;
    private final DirectorMeters meters;

    WorkerRegistrations(WorkerRegistry registry, WorkerLinks links, DirectorMeters meters) {
        this.registry = registry;
        this.links = links;
        this.meters = meters;
    }

    /**
     * Registers (or re-registers) a worker; returns its entry.
     *
     * @throws InvalidRegistrationException when the address, health URL, label or models are not valid; the
     *                                      registry and every other worker are untouched
     */
    WorkerEndpoint register(WorkerRegistration registration) {
        RegistrationValidator.Checked checked = RegistrationValidator.check(registration);
        HostPort address = checked.address();
        String key = address.toString();
        WorkerEndpoint existing = registry.listed(key);
        if (existing != null && existing.source() == WorkerSource.DNS) {
            existing.adopt(registration.label(), checked.healthUrl(),
                    Duration.ofMillis(registration.tokenIntervalMillis()), registration.instanceId(),
                    registration.models());
            existing.features(registration.features());
            existing.presence().registrationOpened();
            meters.workerAdded(existing.label()); // its meters under its label now, at 0, as for any worker
            registry.publish();
            LogLine.info(log).field("worker.addr", key).field("worker.label", existing.label())
                    .field("count", registry.listedCount()).log("registered worker (found through DNS before)");
            links.relinkForTokenStreams(existing);
            return existing;
        }
        if (existing != null && existing.instanceId().equals(registration.instanceId())) {
            existing.presence().registrationOpened();
            LogLine.info(log).field("worker.addr", key).field("worker.label", existing.label())
                    .field("count", registry.listedCount()).log("worker registered again (same instance)");
            return existing;
        }
        boolean failedBefore = existing != null && existing.state() == WorkerState.UNHEALTHY;
        if (existing != null) {
            LogLine.info(log).field("worker.addr", key).field("worker.label", registration.label())
                    .field("old.instance", existing.instanceId()).field("new.instance", registration.instanceId())
                    .log("worker restarted; replacing its entry");
            registry.remove(existing, "connection_lost", "worker restarted on the same address");
        }
        WorkerEndpoint worker = new WorkerEndpoint(registration.label(), address, checked.healthUrl(),
                Duration.ofMillis(registration.tokenIntervalMillis()), registration.instanceId(),
                registry.tlsName(address), WorkerSource.REGISTRATION, registration.models());
        if (failedBefore) {
            // a worker that failed (crashed) and came back at its address: the rise threshold, not one good poll, so
            // a crash loop does not take every new stream each time it is up
            worker.cameBackAfterFailing();
        }
        worker.features(registration.features());
        worker.presence().registrationOpened();
        registry.add(key, worker);
        LogLine.info(log).field("worker.addr", key).field("worker.label", worker.label())
                .field("count", registry.listedCount()).log("registered worker");
        warnIfLabelInUse(worker);
        links.dial(worker);
        return worker;
    }

    /**
     * Labels name workers to people and to clients: a resumed generation avoids the worker that failed it by label,
     * and the per-worker meters and log lines go by label. Two workers with one label (the default {@code worker} on
     * both) blur all three, so the second is warned about once, when it registers.
     */
    private void warnIfLabelInUse(WorkerEndpoint worker) {
        for (WorkerEndpoint other : registry.listed()) {
            if (other != worker && other.label().equals(worker.label())) {
                LogLine.warn(log).field("worker.addr", worker.address()).field("worker.label", worker.label())
                        .field("also.at", other.address()).log("worker label already in use by another worker; give "
                                + "each worker its own CONNECTION_SWAP_WORKER_LABEL: a resumed generation avoids the "
                                + "worker that failed it by label, and meters and logs by label mix the two");
                return;
            }
        }
    }
}
