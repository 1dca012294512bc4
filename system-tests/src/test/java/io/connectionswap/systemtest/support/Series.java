package io.connectionswap.systemtest.support;

/**
 * Prometheus series names the lifecycle tests read, in one place.
 */
public final class Series {

    /** The namespace of every series today. */
    private static final String NS = "connection_swap_";

    /** Every role: QUIC stream channels its connections hold (Netty's stream maps). */
    public static final String QUIC_STREAMS_OPEN = NS + "quic_streams_open";
    /** Director: client streams being relayed. */
    public static final String STREAMS_ACTIVE = NS + "streams_active";
    /** Director: workers by {@code state}. */
    public static final String WORKERS = NS + "workers";
    /** Director: streams moved off a worker, by {@code reason} and {@code worker}. */
    public static final String SWAPS = NS + "swaps_total";
    /** Director: tokens relayed. */
    public static final String TOKENS_RELAYED = NS + "tokens_relayed_total";
    /** Director: limits hit, by {@code limit}. */
    public static final String LIMIT_HITS = NS + "limit_hits_total";
    /** Client: HTTP requests the gateway could not decode and refused, by {@code code}. */
    public static final String GATEWAY_MALFORMED_REQUESTS = NS + "gateway_malformed_requests_total";
    /** Director: periodic task failures. */
    public static final String TASK_FAILURES = NS + "task_failures_total";
    /** Worker: generation streams served now. */
    public static final String WORKER_STREAMS_ACTIVE = NS + "worker_streams_active";
    /** Worker: tokens emitted. */
    public static final String WORKER_TOKENS = NS + "worker_tokens_total";
    /** Client: generations completed. */
    public static final String CLIENT_GENERATIONS = NS + "client_generations_total";
    /** Client: tokens received in sequence. */
    public static final String CLIENT_TOKENS = NS + "client_tokens_total";
    /** Client: swaps seen. */
    public static final String CLIENT_SWAPS = NS + "client_swaps_total";
    /** Client: tokens lost or repeated, by {@code kind}; must stay 0. */
    public static final String CLIENT_SEQUENCE_ERRORS = NS + "client_sequence_errors_total";
    /** Client: new connections after a lost one. */
    public static final String CLIENT_RECONNECTS = NS + "client_reconnects_total";
    /** Client: time between two tokens of a generation (a histogram: {@code _bucket}, {@code _sum}, {@code _count}). */
    public static final String CLIENT_TOKEN_GAP = NS + "client_token_gap_seconds";

    private Series() {
    }
}
