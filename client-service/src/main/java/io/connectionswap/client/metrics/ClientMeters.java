package io.connectionswap.client.metrics;

import io.connectionswap.service.metrics.LogMetrics;
import io.connectionswap.protocol.metrics.NettyMetrics;
import io.connectionswap.swapclient.ReconnectCause;
import io.connectionswap.swapclient.SequenceErrorKind;
import io.connectionswap.swapclient.SwapClient;
import io.connectionswap.swapclient.SwapClientListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Collection;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

/**
 * Every meter of the client, in one place; the Prometheus name is written next to each. The client library reports
 * to it through {@link SwapClientListener} (the auto-configuration picks this bean up).
 */
@Component
public class ClientMeters implements SwapClientListener {

    private final MeterRegistry registry;
    private final Counter tokens;
    private final Counter swaps;
    private final Counter gaps;
    private final Counter duplicates;
    private final Map<ReconnectCause, Counter> reconnects = new EnumMap<>(ReconnectCause.class);
    private final Counter generations;
    private final Counter noWorkerWaits;
    private final Timer tokenGap;
    private final Timer timeToFirstToken;

    /**
     * @param client the client these meters listen to; a provider, since the client is built with this listener
     */
    public ClientMeters(MeterRegistry registry, EventLoopGroup clientEventLoopGroup, ObjectProvider<SwapClient> client) {
        this.registry = registry;
        // netty_allocator_*, netty_eventexecutor_tasks_pending
        NettyMetrics.bind(registry, clientEventLoopGroup);
        LogMetrics.bind(registry);
        // connection_swap_client_tokens_total
        tokens = Counter.builder("connection.swap.client.tokens").description("Tokens received in sequence")
                .register(registry);
        // connection_swap_client_swaps_total
        swaps = Counter.builder("connection.swap.client.swaps")
                .description("Times a generation moved to another worker on the same connection").register(registry);
        // connection_swap_client_sequence_errors_total{kind}: must stay 0
        gaps = Counter.builder("connection.swap.client.sequence.errors").tag("kind", "gap")
                .description("Tokens lost (gap) or repeated (duplicate); must stay 0").register(registry);
        duplicates = Counter.builder("connection.swap.client.sequence.errors").tag("kind", "duplicate")
                .description("Tokens lost (gap) or repeated (duplicate); must stay 0").register(registry);
        // connection_swap_client_reconnects_total{cause}: director_lost must stay 0 while the director lives;
        // director_leaving counts the moves a draining director asked for (a rollout)
        for (ReconnectCause cause : ReconnectCause.values()) {
            reconnects.put(cause, Counter.builder("connection.swap.client.reconnects").tag("cause", cause.tag())
                    .description("New QUIC connections to a director after the previous one was lost (director_lost)"
                            + " or left as its director asked (director_leaving)")
                    .register(registry));
        }
        // connection_swap_client_generations_total
        generations = Counter.builder("connection.swap.client.generations").description("Generations completed")
                .register(registry);
        // connection_swap_client_no_worker_waits_total
        noWorkerWaits = Counter.builder("connection.swap.client.no.worker.waits")
                .description("Times the director had no healthy worker and the client backed off").register(registry);
        // connection_swap_client_token_gap_seconds_bucket / _count / _sum / _max
        tokenGap = Timer.builder("connection.swap.client.token.gap")
                .description("Time between consecutive tokens of a generation as the client sees them")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(60))
                .register(registry);
        // connection_swap_quic_streams_open
        Gauge.builder("connection.swap.quic.streams.open", client, ClientMeters::openStreams)
                .strongReference(true) // the provider is held by nothing else
                .description("QUIC stream channels held by the client's connection to the director: returns to the "
                        + "in-flight level when streams are released")
                .register(registry);
        // connection_swap_client_streams_waiting
        Gauge.builder("connection.swap.client.streams.waiting", client, ClientMeters::streamsWaiting)
                .strongReference(true)
                .description("Streams (generations) waiting for the director's stream limit "
                        + "(CONNECTION_SWAP_MAX_STREAMS_PER_CONNECTION) to let them open")
                .register(registry);
        // connection_swap_client_time_to_first_token_seconds_bucket / _count / _sum / _max
        timeToFirstToken = Timer.builder("connection.swap.client.time.to.first.token")
                .description("From the start of a generation to its first token, as the client (gateway) sees it: "
                        + "waits for a healthy worker and swaps before the first token included")
                .publishPercentileHistogram()
                .serviceLevelObjectives(Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
                        Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(10))
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(2))
                .register(registry);
    }

    private static double openStreams(ObjectProvider<SwapClient> client) {
        SwapClient current = client.getIfAvailable();
        return current == null ? 0 : current.openStreams();
    }

    private static double streamsWaiting(ObjectProvider<SwapClient> client) {
        SwapClient current = client.getIfAvailable();
        return current == null ? 0 : current.streamsWaiting();
    }

    /** connection_swap_gateway_http_connections: the HTTP connections open on the gateway's port (Actuator's too). */
    public void bindGatewayHttpConnections(IntSupplier open) {
        Gauge.builder("connection.swap.gateway.http.connections", open::getAsInt)
                .description("HTTP connections open on the gateway's port (CONNECTION_SWAP_GATEWAY_MAX_CONNECTIONS)")
                .register(registry);
    }

    /**
     * connection_swap_gateway_buffered_request_bytes: the request bytes the gateway holds now (bodies being read,
     * requests of running generations), against CONNECTION_SWAP_GATEWAY_MAX_BUFFERED_REQUEST_BYTES.
     */
    public void bindGatewayBufferedRequestBytes(LongSupplier reserved) {
        Gauge.builder("connection.swap.gateway.buffered.request.bytes", reserved::getAsLong)
                .description("Request bytes the gateway holds: bodies being read and the requests of running "
                        + "generations (CONNECTION_SWAP_GATEWAY_MAX_BUFFERED_REQUEST_BYTES)")
                .baseUnit("bytes").register(registry);
    }

    /**
     * connection_swap_limit_hits_total{limit}: a gateway limit ({@code gateway_connections},
     * {@code gateway_request_timeout}) closed an HTTP connection, or ({@code gateway_request_bytes}) refused a request. Registered now, so it reads 0 until the first.
     */
    public Runnable gatewayLimitHit(String limit) {
        Counter hits = Counter.builder("connection.swap.limit.hits").tag("limit", limit)
                .description("Times a limit refused or ended a connection, stream or request").register(registry);
        return hits::increment;
    }

    /**
     * connection_swap_gateway_malformed_requests_total{code}: a request the HTTP codec could not decode, refused with
     * {@code code}. The returned action counts one for a code; each of {@code codes} reads 0 until its first.
     */
    public Consumer<String> gatewayMalformedRequests(Collection<String> codes) {
        Map<String, Counter> counters = new ConcurrentHashMap<>();
        Function<String, Counter> counter = code -> Counter.builder("connection.swap.gateway.malformed.requests")
                .tag("code", code).description("HTTP requests the gateway could not decode and refused, by error code")
                .register(registry);
        codes.forEach(code -> counters.put(code, counter.apply(code)));
        return code -> counters.computeIfAbsent(code, counter).increment();
    }

    /** connection_swap_tls_development_ca: 1 while the client trusts the development CA of certs/generate.sh, else 0. */
    public void bindTlsGauge(java.util.function.BooleanSupplier developmentCa) {
        io.micrometer.core.instrument.Gauge.builder("connection.swap.tls.development.ca", () -> developmentCa.getAsBoolean() ? 1 : 0)
                .description("1 while this role trusts the development CA of certs/generate.sh: not for production")
                .register(registry);
    }

    @Override
    public void tokenReceived() {
        tokens.increment();
    }

    @Override
    public void swapped(String reason) {
        swaps.increment();
    }

    @Override
    public void sequenceError(SequenceErrorKind kind) {
        (kind == SequenceErrorKind.GAP ? gaps : duplicates).increment();
    }

    @Override
    public void reconnected(ReconnectCause cause) {
        reconnects.get(cause).increment();
    }

    @Override
    public void generationCompleted() {
        generations.increment();
    }

    @Override
    public void noHealthyWorker() {
        noWorkerWaits.increment();
    }

    @Override
    public void timeToFirstToken(long nanos) {
        timeToFirstToken.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void tokenGap(long nanos) {
        tokenGap.record(nanos, TimeUnit.NANOSECONDS);
    }
}
