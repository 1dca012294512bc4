package io.connectionswap.director.registry;

/** Told when a worker stops being fit for streams, so its streams move to other workers. */
@FunctionalInterface
public interface WorkerFailureListener {

    /**
     * @param reason swap reason: health, connection_lost, stall, drain
     * @param detail what was observed
     */
    void workerFailed(WorkerEndpoint worker, String reason, String detail);
}
