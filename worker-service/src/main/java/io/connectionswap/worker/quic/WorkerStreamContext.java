package io.connectionswap.worker.quic;

import io.connectionswap.protocol.model.ModelBackend;
import io.connectionswap.worker.config.WorkerProperties;
import io.connectionswap.worker.health.FailureSimulation;
import io.connectionswap.worker.metrics.WorkerMeters;
import io.connectionswap.worker.tracing.WorkerTracing;
import java.time.Duration;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/** What every generation stream of this worker shares: settings, model, meters, and the drain flag. */
@Component
public class WorkerStreamContext {

    private final WorkerProperties properties;
    private final ModelBackend model;
    private final WorkerMeters meters;
    private final ActiveStreams activeStreams;
    private final FailureSimulation failureSimulation;
    /** Null while tracing is off. */
    private final WorkerTracing tracing;
    private volatile boolean draining;

    public WorkerStreamContext(WorkerProperties properties, ModelBackend model, WorkerMeters meters,
                               ActiveStreams activeStreams, FailureSimulation failureSimulation) {
        this(properties, model, meters, activeStreams, failureSimulation, (WorkerTracing) null);
    }

    @Autowired
    public WorkerStreamContext(WorkerProperties properties, ModelBackend model, WorkerMeters meters,
                               ActiveStreams activeStreams, FailureSimulation failureSimulation,
                               ObjectProvider<WorkerTracing> tracing) {
        this(properties, model, meters, activeStreams, failureSimulation, tracing.getIfAvailable());
    }

    /** {@code tracing}: a span per leg served, or null (tracing off). */
    public WorkerStreamContext(WorkerProperties properties, ModelBackend model, WorkerMeters meters,
                               ActiveStreams activeStreams, FailureSimulation failureSimulation,
                               WorkerTracing tracing) {
        this.tracing = tracing;
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

    /** Null while tracing is off. */
    WorkerTracing tracing() {
        return tracing;
    }

    public boolean draining() {
        return draining;
    }

    void startDraining() {
        draining = true;
    }
}
