package io.connectionswap.bench;

import io.connectionswap.testsupport.prometheus.PrometheusText;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The bench's one reader of the services' {@code /actuator/prometheus}: every series name the bench reads is a
 * constant here, so that renaming the metrics (the {@code connection_swap_} namespace) touches this file alone.
 * A snapshot of one scrape.
 */
final class Metrics {

    // director
    static final String SWAPS = "connection_swap_swaps_total";
    static final String SWAP_GAP_COUNT = "connection_swap_gap_seconds_count";
    static final String SWAP_GAP_SUM = "connection_swap_gap_seconds_sum";
    static final String WORKERS = "connection_swap_workers";
    static final String STREAMS_ACTIVE = "connection_swap_streams_active";
    static final String TOKENS_RELAYED = "connection_swap_tokens_relayed_total";
    static final String NO_HEALTHY_WORKER = "connection_swap_no_healthy_worker_total";
    static final String CONNECTIONS_OPENED = "connection_swap_connections_opened_total";
    static final String DATAGRAMS = "connection_swap_datagrams_total";
    static final String UDP_WRITES = "connection_swap_udp_writes_total";
    // client-service (the gateway)
    static final String CLIENT_TOKENS = "connection_swap_client_tokens_total";
    static final String CLIENT_SWAPS = "connection_swap_client_swaps_total";
    static final String CLIENT_SEQUENCE_ERRORS = "connection_swap_client_sequence_errors_total";
    // worker
    static final String WORKER_TOKENS = "connection_swap_worker_tokens_total";
    // every JVM
    static final String JVM_MEMORY_USED = "jvm_memory_used_bytes";

    private final PrometheusText text;

    private Metrics(PrometheusText text) {
        this.text = text;
    }

    static Metrics parse(String body) {
        return new Metrics(PrometheusText.parse(body));
    }

    /** Every series as read (for series this class has no method for, e.g. the chaos soak's gauges). */
    PrometheusText text() {
        return text;
    }

    /** Swaps the director made, every reason and worker. */
    double swaps() {
        return text.sum(SWAPS);
    }

    double swapsOf(String worker) {
        return text.sum(SWAPS, "worker", worker);
    }

    /** Swaps made since {@code before}, by reason (only reasons that grew). */
    Map<String, Object> swapsByReasonSince(Metrics before) {
        Map<String, Object> swaps = new LinkedHashMap<>();
        for (PrometheusText.Sample sample : text.samples(SWAPS)) {
            String reason = sample.labels().get("reason");
            double earlier = before.text.sum(SWAPS, labels -> Objects.equals(reason, labels.get("reason"))
                    && Objects.equals(sample.labels().get("worker"), labels.get("worker")));
            if (sample.value() > earlier) {
                swaps.merge(reason, (long) (sample.value() - earlier), (a, b) -> (long) a + (long) b);
            }
        }
        return swaps;
    }

    /** UDP datagrams of the director's sockets on {@code leg} (client, worker) in {@code direction} (sent, received). */
    double datagrams(String leg, String direction) {
        return text.sum(DATAGRAMS, labels -> leg.equals(labels.get("leg")) && direction.equals(labels.get("direction")));
    }

    /** UDP writes of the director's sockets on {@code leg}: a GSO write carries several datagrams. */
    double udpWrites(String leg) {
        return text.sum(UDP_WRITES, labels -> leg.equals(labels.get("leg")));
    }

    /** Count and sum (seconds) of the director's swap gap histogram. */
    double[] swapGap() {
        return new double[] {text.sum(SWAP_GAP_COUNT), text.sum(SWAP_GAP_SUM)};
    }

    int healthyWorkers() {
        return (int) text.sum(WORKERS, "state", "healthy");
    }

    long streamsActive() {
        return (long) text.sum(STREAMS_ACTIVE);
    }

    double tokensRelayed() {
        return text.sum(TOKENS_RELAYED);
    }

    double noHealthyWorkerRefusals() {
        return text.sum(NO_HEALTHY_WORKER);
    }

    /** Client connections the director accepted. */
    double clientConnections() {
        return text.sum(CONNECTIONS_OPENED, "peer", "client");
    }

    double clientTokens() {
        return text.sum(CLIENT_TOKENS);
    }

    double clientSwaps() {
        return text.sum(CLIENT_SWAPS);
    }

    double clientSequenceErrors() {
        return text.sum(CLIENT_SEQUENCE_ERRORS);
    }

    double workerTokens() {
        return text.sum(WORKER_TOKENS);
    }

    long heapUsedBytes() {
        return (long) text.sum(JVM_MEMORY_USED, "area", "heap");
    }
}
