package io.connectionswap.worker.quic;

import io.connectionswap.protocol.model.ModelBackend;
import io.connectionswap.worker.config.WorkerProperties;
import io.connectionswap.worker.health.FailureSimulation;
import io.connectionswap.worker.metrics.WorkerMeters;
import java.time.Duration;
import org.springframework.stereotype.Component;

/** What every generation stream of this worker shares: settings, model, meters, and the drain flag. */
@Component
public class WorkerStreamContext {

    private final WorkerProperties properties;
    private final ModelBackend model;
    private final WorkerMeters meters;
    private final ActiveStreams activeStreams;
    private final FailureSimulation failureSimulation;
    private volatile boolean draining;

    public WorkerStreamContext(WorkerProperties properties, ModelBackend model, WorkerMeters meters,
                               ActiveStreams activeStreams, FailureSimulation failureSimulation) {
        this.properties = properties;
        this.model = model;
        this.meters = meters;
        this.activeStreams = activeStreams;
        this.failureSimulation = failureSimulation;
    }

    String label() {
        return properties.label();
    }

    ModelBackend model() {
        return model;
    }

    /** The model name a generation is served with: the one asked for, or this worker's first. */
    String servedModel(String requested) {
        if (requested != null) {
            return requested;
        }
        return model.models().isEmpty() ? model.name() : model.models().get(0);
    }

    WorkerMeters meters() {
        return meters;
    }

    ActiveStreams activeStreams() {
        return activeStreams;
    }

    FailureSimulation failureSimulation() {
        return failureSimulation;
    }

    public boolean draining() {
        return draining;
    }

    void startDraining() {
        draining = true;
    }
}
