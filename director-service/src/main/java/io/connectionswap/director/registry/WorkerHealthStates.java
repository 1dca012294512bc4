package io.connectionswap.director.registry;

import io.connectionswap.director.config.HealthProperties;
import io.connectionswap.protocol.log.LogLine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The health state machine of a {@link WorkerRegistry}'s workers, on the registry's loop.
 *
 * <p>PENDING becomes HEALTHY on the first UP poll once the QUIC link is up. HEALTHY becomes UNHEALTHY after
 * {@code downThreshold} DOWN (or other non-UP) answers, one OUT_OF_SERVICE (a drain), {@code unreachableThreshold}
 * refused or timed out polls, a lost
 * QUIC link, or a stalled stream; its streams move at once. UNHEALTHY becomes HEALTHY after {@code riseThreshold}
 * consecutive UP polls with the link up. DRAINING (the worker said so) never gets streams.
 */
final class WorkerHealthStates {

    /** The registry's logger: these lines are the registry's, as before they moved here. */
    private static final Logger log = LoggerFactory.getLogger(WorkerRegistry.class);

    private final WorkerRegistry registry;
    private final HealthProperties health;

    WorkerHealthStates(WorkerRegistry registry, HealthProperties health) {
        this.registry = registry;
        this.health = health;
    }

    /** Applies a health poll result of a current worker to its state (the registry then checks for eviction). */
    void pollCompleted(WorkerEndpoint worker, PollResult result) {
        if (result.up()) {
            worker.polls().pollSucceeded(result.detail());
            if (!worker.linkUp() && worker.everHealthy()) {
                // a come-back counts polls with the link up: HTTP answering while the QUIC path does not (a flapping
                // or blocked UDP path) would otherwise put the worker back the moment each redial lands. A new
                // worker needs one good poll, before or after its first link
                worker.polls().resetSuccesses();
            }
            maybeHealthy(worker);
            return;
        }
        worker.polls().pollFailed(result.detail(), result.unreachable());
        // OUT_OF_SERVICE is a drain, not a flapping check to ride out: the worker leaves rotation at the first one
        int threshold = result.unreachable() ? health.unreachableThreshold()
                : result.outOfService() ? 1 : health.downThreshold();
        if (worker.state() == WorkerState.HEALTHY && worker.consecutiveFailures() >= threshold) {
            // OUT_OF_SERVICE is a worker taken out of service on purpose: Spring Boot's readiness once a shutdown
            // (SIGTERM) began, often seen a few ms before the worker's DRAIN message. Its streams move as a drain.
            markUnhealthy(worker, result.outOfService() ? "drain" : "health", "health poll " + result.detail() + " ("
                    + worker.consecutiveFailures() + " in a row)");
        }
    }

    /** HEALTHY once its polls pass (one, or the rise threshold after a failure) with the link up. */
    void maybeHealthy(WorkerEndpoint worker) {
        if (worker.state() == WorkerState.HEALTHY || worker.state() == WorkerState.DRAINING || !worker.linkUp()) {
            return;
        }
        int needed = worker.everHealthy() ? health.riseThreshold() : 1;
        if (worker.consecutiveSuccesses() >= needed) {
            worker.state(WorkerState.HEALTHY, "health polls pass");
            registry.publish();
            LogLine.info(log).field("worker.addr", worker.address()).field("worker.label", worker.label())
                    .field("polls.up", worker.consecutiveSuccesses()).log("worker healthy");
        }
    }

    /** UNHEALTHY, its streams moved (a draining worker's streams move too; a gone worker is left as it is). */
    void markUnhealthy(WorkerEndpoint worker, String reason, String detail) {
        if (!registry.isCurrent(worker) || worker.state() == WorkerState.DRAINING) {
            if (worker.state() == WorkerState.DRAINING) {
                registry.workerFailed(worker, reason, detail); // streams still on it must move all the same
            }
            return;
        }
        if (worker.state() != WorkerState.UNHEALTHY) {
            LogLine.warn(log).field("worker.addr", worker.address()).field("worker.label", worker.label())
                    .field("reason", reason).field("streams", worker.activeStreams()).quoted("problem", detail)
                    .log("worker unhealthy");
        }
        worker.state(WorkerState.UNHEALTHY, reason + ": " + detail);
        worker.polls().resetSuccesses();
        registry.publish();
        registry.workerFailed(worker, reason, detail);
    }
}
