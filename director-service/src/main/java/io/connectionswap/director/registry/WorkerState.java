package io.connectionswap.director.registry;

/** Where a worker stands with the director. */
public enum WorkerState {
    /** Registered or discovered, not yet proven healthy: no streams. */
    PENDING,
    /** Health polls pass and the director's connection to it is up: gets streams. */
    HEALTHY,
    /** Failed a health threshold, lost its connection, or stalled: no streams until it has been healthy for a while. */
    UNHEALTHY,
    /** Shutting down: no new streams; its streams are being moved away. */
    DRAINING;

    public String metricState() {
        return this == HEALTHY ? "healthy" : "unhealthy";
    }
}
