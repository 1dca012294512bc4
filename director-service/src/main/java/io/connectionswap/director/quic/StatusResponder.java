package io.connectionswap.director.quic;

import io.connectionswap.director.registry.WorkerEndpoint;
import io.connectionswap.director.registry.WorkerRegistry;
import io.connectionswap.protocol.message.ClusterStatus;
import java.util.ArrayList;
import java.util.List;

/** Answers a client's STATUS_REQUEST with every worker the director knows (the gateway's /v1/models and live page). */
final class StatusResponder {

    private final WorkerRegistry registry;
    private final String directorId;

    StatusResponder(WorkerRegistry registry, String directorId) {
        this.registry = registry;
        this.directorId = directorId;
    }

    ClusterStatus status() {
        List<ClusterStatus.WorkerStatus> workers = new ArrayList<>();
        for (WorkerEndpoint worker : registry.workers()) {
            workers.add(new ClusterStatus.WorkerStatus(worker.label(), worker.address().toString(),
                    worker.state().name(), worker.eligible(), worker.activeStreams(), worker.models()));
        }
        return new ClusterStatus(directorId, workers);
    }
}
