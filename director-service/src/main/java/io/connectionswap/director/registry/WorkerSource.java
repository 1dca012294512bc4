package io.connectionswap.director.registry;

/** How the director learned of a worker. */
public enum WorkerSource {
    /** The worker registered itself over QUIC. */
    REGISTRATION,
    /** Found behind a DNS name (e.g. a Kubernetes headless Service). */
    DNS
}
