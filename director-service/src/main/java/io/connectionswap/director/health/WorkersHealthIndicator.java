package io.connectionswap.director.health;

import io.connectionswap.director.registry.WorkerEndpoint;
import io.connectionswap.director.registry.WorkerRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * Every worker the director knows, with its state, last poll and load. The director itself stays UP when no
 * worker is healthy (it still accepts clients and tells them to wait); {@code connection_swap_workers} and the alert
 * SwapNoHealthyWorker report that case.
 */
public class WorkersHealthIndicator extends AbstractHealthIndicator {

    private final WorkerRegistry registry;

    public WorkersHealthIndicator(WorkerRegistry registry) {
        super("workers health check failed");
        this.registry = registry;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        Map<String, Object> workers = new LinkedHashMap<>();
        for (WorkerEndpoint worker : registry.workers()) {
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("address", worker.address().toString());
            details.put("state", worker.state().name());
            details.put("stateReason", worker.stateReason());
            details.put("stateSince", worker.stateSince().toString());
            details.put("eligible", worker.eligible());
            details.put("linkUp", worker.linkUp());
            details.put("tokenStream", worker.tokenStream());
            details.put("lastPoll", worker.lastPollAt() == null ? null : worker.lastPollAt().toString());
            details.put("lastPollResult", worker.lastPollResult());
            details.put("consecutiveFailures", worker.consecutiveFailures());
            details.put("activeStreams", worker.activeStreams());
            details.put("source", worker.source().name().toLowerCase());
            workers.put(worker.label() + "@" + worker.address(), details);
        }
        builder.up()
                .withDetail("registered", workers.size())
                .withDetail("healthy", registry.healthyCount())
                .withDetail("workers", workers);
    }
}
