package io.connectionswap.director.metrics;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.service.metrics.LogMetrics;
import io.connectionswap.protocol.metrics.NettyMetrics;
import io.connectionswap.protocol.quic.DatagramCounter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.netty.channel.EventLoopGroup;
import java.time.Duration;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Every meter of the director, in one place; the Prometheus name is written next to each. Tag values are bounded:
 * reasons, limits, tasks and error codes are fixed sets, and worker labels are capped at {@link #MAX_WORKER_TAGS}
 * distinct values (later ones are counted as {@code other}); never an id.
 */
public class DirectorMeters {

    /** Distinct {@code worker} tag values before further workers are counted as {@code other}. */
    public static final int MAX_WORKER_TAGS = 100;

    /** Tag values of {@code connection_swap_limit_hits_total{limit}}. */
    public static final class Limit {
        public static final String CLIENT_CONNECTIONS = "client_connections";
        public static final String CLIENT_CONNECTIONS_PER_ADDRESS = "client_connections_per_address";
        public static final String STREAMS_PER_CONNECTION = "streams_per_connection";
        public static final String FIRST_FRAME = "first_frame";
        public static final String MAX_TOKENS = "max_tokens";
        public static final String SESSION_DURATION = "session_duration";
        public static final String REQUEST_SIZE = "request_size";
        public static final String SLOW_CLIENT = "slow_client";
        /** A client's frame did not fit the bytes the director holds of incomplete frames, in all. */
        public static final String PENDING_REQUEST_BYTES = "pending_request_bytes";
        /** A client's frame did not fit what one connection may hold of incomplete frames. */
        public static final String PENDING_REQUEST_BYTES_PER_CONNECTION = "pending_request_bytes_per_connection";
        /**
         * A worker's link had no stream credit (the worker's QUIC MAX_STREAMS reached) when a new stream was routed:
         * it went to another worker, or was refused when none had room.
         */
        public static final String WORKER_STREAMS = "worker_streams";

        private Limit() {
        }
    }

    /** Tag values of {@code connection_swap_generations_total{finish_reason}}. */
    public enum Finish {
        /** END with finish reason {@code length}: {@code maxTokens} reached. */
        LENGTH("length"),
        /** END with finish reason {@code stop} (or any other value a newer worker sends). */
        STOP("stop"),
        /** The director ended the generation with a final error, or reset it (client too slow). */
        ERROR("error");

        private final String tag;

        Finish(String tag) {
            this.tag = tag;
        }

        public String tag() {
            return tag;
        }
    }

    /** Tag values of {@code connection_swap_task_failures_total{task}}. */
    public static final class Task {
        public static final String HEALTH_POLLER = "health_poller";
        public static final String STALL_WATCH = "stall_watch";
        public static final String DNS_DISCOVERY = "dns_discovery";

        private Task() {
        }
    }

    /** Extra buckets of the time-to-first-token histogram, so that an SLO ratio reads one exact bucket. */
    private static final Duration[] TTFT_OBJECTIVES = {Duration.ofMillis(250), Duration.ofMillis(500),
            Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(10)};

    private final MeterRegistry registry;
    private final List<String> swapReasons;
    private final BoundedTagValues workerTags = new BoundedTagValues(MAX_WORKER_TAGS);
    private final Map<String, Counter> swaps = new ConcurrentHashMap<>();
    private final Map<ErrorCode, Counter> requestErrors = new ConcurrentHashMap<>();
    private final Map<String, Counter> migrationLimits = new ConcurrentHashMap<>();
    private final Map<String, Counter> limitHits = new ConcurrentHashMap<>();
    private final Map<String, Counter> taskFailures = new ConcurrentHashMap<>();
    private final Map<String, Counter> addressValidation = new ConcurrentHashMap<>();
    private final Timer swapGap;
    private final Timer timeToFirstToken;
    private final Counter newStreams;
    private final Counter resumedStreams;
    private final Counter streamsOnClientTokenStream;
    private final Map<Finish, Counter> generations = new EnumMap<>(Finish.class);
    private final Counter tokensRelayed;
    private final Counter clientConnections;
    private final Counter workerConnections;
    private final Counter noHealthyWorker;
    private final Counter registrationsRefused;
    private final DatagramCounter clientDatagrams = new DatagramCounter();
    private final DatagramCounter workerDatagrams = new DatagramCounter();

    public DirectorMeters(MeterRegistry registry, EventLoopGroup quicLoops) {
        this(registry, quicLoops, List.of());
    }

    /**
     * @param swapReasons the values of the {@code reason} tag: connection_swap_migration_limit_total is there at 0
     *                    for each from the start, and connection_swap_swaps_total for each worker that joins
     *                    ({@link #workerAdded}), so that {@code increase()} sees the first one
     */
    public DirectorMeters(MeterRegistry registry, EventLoopGroup quicLoops, Collection<String> swapReasons) {
        this.registry = registry;
        this.swapReasons = List.copyOf(swapReasons);
        // netty_allocator_*, netty_eventexecutor_tasks_pending
        NettyMetrics.bind(registry, quicLoops);
        LogMetrics.bind(registry);
        // connection_swap_gap_seconds_bucket / _count / _sum / _max
        this.swapGap = Timer.builder("connection.swap.gap")
                .description("From failure detected to the first token of the next worker")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry);
        // connection_swap_time_to_first_token_seconds_bucket / _count / _sum / _max
        this.timeToFirstToken = Timer.builder("connection.swap.time.to.first.token")
                .description("From a new generation's GENERATE to its first token relayed to the client, across any "
                        + "swaps before that token")
                .publishPercentileHistogram()
                .serviceLevelObjectives(TTFT_OBJECTIVES)
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(2))
                .register(registry);
        // connection_swap_streams_started_total{kind}
        this.newStreams = streamsStarted("new");
        this.resumedStreams = streamsStarted("resumed");
        // connection_swap_client_token_stream_streams_total
        this.streamsOnClientTokenStream = Counter.builder("connection.swap.client.token.stream.streams")
                .description("Client streams handed to a worker whose frames go on their connection's client token "
                        + "stream; the others (a client that does not ask, or CONNECTION_SWAP_CLIENT_TOKEN_STREAM="
                        + "false) on their own stream")
                .register(registry);
        // connection_swap_generations_total{finish_reason}
        for (Finish finish : Finish.values()) {
            generations.put(finish, Counter.builder("connection.swap.generations")
                    .description("Generations that ended on this director, by finish reason: length and stop are END "
                            + "frames relayed from the worker; error is a final error the director sent, or a client "
                            + "cut off for reading too slowly")
                    .tag("finish_reason", finish.tag())
                    .register(registry));
        }
        // connection_swap_tokens_relayed_total
        this.tokensRelayed = Counter.builder("connection.swap.tokens.relayed")
                .description("Token frames relayed from workers to clients")
                .register(registry);
        // connection_swap_connections_opened_total{peer}
        this.clientConnections = Counter.builder("connection.swap.connections.opened").tag("peer", "client")
                .description("QUIC connections opened: accepted from clients, or dialled to workers")
                .register(registry);
        this.workerConnections = Counter.builder("connection.swap.connections.opened").tag("peer", "worker")
                .description("QUIC connections opened: accepted from clients, or dialled to workers")
                .register(registry);
        // connection_swap_no_healthy_worker_total
        this.noHealthyWorker = Counter.builder("connection.swap.no.healthy.worker")
                .description("Streams refused because no worker was healthy")
                .register(registry);
        // connection_swap_registrations_refused_total
        this.registrationsRefused = Counter.builder("connection.swap.registrations.refused")
                .description("Worker registrations refused as invalid (bad address, health URL, label or models)")
                .register(registry);
        // connection_swap_datagrams_total{leg,direction}, connection_swap_udp_writes_total{leg}
        datagramCounters("client", clientDatagrams);
        datagramCounters("worker", workerDatagrams);
        for (String limit : new String[] {Limit.CLIENT_CONNECTIONS, Limit.CLIENT_CONNECTIONS_PER_ADDRESS,
                Limit.STREAMS_PER_CONNECTION, Limit.FIRST_FRAME,
                Limit.MAX_TOKENS, Limit.SESSION_DURATION, Limit.REQUEST_SIZE, Limit.SLOW_CLIENT,
                Limit.PENDING_REQUEST_BYTES, Limit.PENDING_REQUEST_BYTES_PER_CONNECTION, Limit.WORKER_STREAMS}) {
            limitHits.put(limit, limitCounter(limit)); // present at 0 from the start, for rate() and alerts
        }
        for (String task : new String[] {Task.HEALTH_POLLER, Task.STALL_WATCH, Task.DNS_DISCOVERY}) {
            taskFailures.put(task, taskCounter(task));
        }
        for (String reason : swapReasons) {
            migrationLimits.put(reason, migrationLimitCounter(reason));
        }
        for (ErrorCode code : ErrorCode.values()) {
            if (code.isRequestFault()) {
                requestErrors.put(code, requestErrorCounter(code));
            }
        }
        for (String result : new String[] {"issued", "accepted", "rejected"}) {
            addressValidation.put(result, addressValidationCounter(result));
        }
    }

    /**
     * The gauges, read from the services at scrape time.
     *
     * @param activeStreams         connection_swap_streams_active
     * @param healthyWorkers        connection_swap_workers{state="healthy"}
     * @param unhealthyWorkers      connection_swap_workers{state="unhealthy"}
     * @param quicStreamsOpen       connection_swap_quic_streams_open
     * @param clientConnectionsOpen connection_swap_client_connections_open
     * @param pendingRequestBytes   connection_swap_pending_request_bytes
     */
    public void bindGauges(Supplier<Number> activeStreams, Supplier<Number> healthyWorkers,
                           Supplier<Number> unhealthyWorkers, Supplier<Number> quicStreamsOpen,
                           Supplier<Number> clientConnectionsOpen, Supplier<Number> pendingRequestBytes) {
        Gauge.builder("connection.swap.streams.active", activeStreams).description("Client streams being relayed now")
                .register(registry);
        Gauge.builder("connection.swap.workers", healthyWorkers).tag("state", "healthy")
                .description("Registered workers by state (draining workers count as unhealthy)").register(registry);
        Gauge.builder("connection.swap.workers", unhealthyWorkers).tag("state", "unhealthy")
                .description("Registered workers by state (draining workers count as unhealthy)").register(registry);
        Gauge.builder("connection.swap.quic.streams.open", quicStreamsOpen)
                .description("QUIC stream channels held by the director's connections (clients, registrations and "
                        + "links to workers): returns to the in-flight level when streams are released")
                .register(registry);
        Gauge.builder("connection.swap.client.connections.open", clientConnectionsOpen)
                .description("Client QUIC connections open now (CONNECTION_SWAP_MAX_CLIENT_CONNECTIONS caps them)")
                .register(registry);
        Gauge.builder("connection.swap.pending.request.bytes", pendingRequestBytes).baseUnit("bytes")
                .description("Bytes held in frames clients began and have not completed "
                        + "(CONNECTION_SWAP_MAX_PENDING_REQUEST_BYTES caps them)")
                .register(registry);
    }

    /** Counts the UDP datagrams of the client-facing QUIC server (connection_swap_datagrams_total{leg="client"}). */
    public DatagramCounter clientDatagrams() {
        return clientDatagrams;
    }

    /** Counts the UDP datagrams of the links to workers (connection_swap_datagrams_total{leg="worker"}). */
    public DatagramCounter workerDatagrams() {
        return workerDatagrams;
    }

    private void datagramCounters(String leg, DatagramCounter counter) {
        String description = "UDP datagrams of the director's QUIC sockets, by leg (client: the server clients "
                + "connect to; worker: the links to workers) and direction; per relayed token, the cost of sending";
        FunctionCounter.builder("connection.swap.datagrams", counter, DatagramCounter::sent).tag("leg", leg)
                .tag("direction", "sent").description(description).register(registry);
        FunctionCounter.builder("connection.swap.datagrams", counter, DatagramCounter::received).tag("leg", leg)
                .tag("direction", "received").description(description).register(registry);
        FunctionCounter.builder("connection.swap.udp.writes", counter, DatagramCounter::writes).tag("leg", leg)
                .description("UDP writes of the director's QUIC sockets by leg: one per datagram sent, or one for "
                        + "the several datagrams of a UDP GSO write (CONNECTION_SWAP_UDP_GSO)")
                .register(registry);
    }

    /** connection_swap_tls_development_ca: 1 while the director trusts the development CA of certs/generate.sh, else 0. */
    public void bindTlsGauge(java.util.function.BooleanSupplier developmentCa) {
        Gauge.builder("connection.swap.tls.development.ca", () -> developmentCa.getAsBoolean() ? 1 : 0)
                .description("1 while this role trusts the development CA of certs/generate.sh: not for production")
                .register(registry);
    }

    /** connection_swap_swaps_total{reason,worker} */
    public void swapped(String reason, String worker) {
        swapCounter(reason, workerTags.of(worker)).increment();
    }

    /**
     * A worker joined: connection_swap_swaps_total{reason,worker} is there at 0 for each swap reason, so that
     * {@code rate()} and {@code increase()} see its first swap. Its label takes one of the bounded worker tags.
     */
    public void workerAdded(String worker) {
        String tag = workerTags.of(worker);
        for (String reason : swapReasons) {
            swapCounter(reason, tag);
        }
    }

    /**
     * connection_swap_request_errors_total{code}: a worker refused the request itself; the client got the error as
     * final.
     */
    public void requestError(ErrorCode code) {
        requestErrors.computeIfAbsent(code, this::requestErrorCounter).increment();
    }

    /**
     * connection_swap_migration_limit_total{reason}: a generation's worker failed but it had moved as often as
     * allowed.
     */
    public void migrationLimitReached(String reason) {
        migrationLimits.computeIfAbsent(reason, this::migrationLimitCounter).increment();
    }

    /** connection_swap_limit_hits_total{limit}: a limit of {@link Limit} refused or ended something. */
    public void limitHit(String limit) {
        limitHits.computeIfAbsent(limit, this::limitCounter).increment();
    }

    /** connection_swap_task_failures_total{task}: a periodic task failed one round (it logged why, and goes on). */
    public void taskFailed(String task) {
        taskFailures.computeIfAbsent(task, this::taskCounter).increment();
    }

    /** connection_swap_address_validation_total{result}: issued, accepted, rejected (bad or expired retry token). */
    public void addressValidation(String result) {
        addressValidation.computeIfAbsent(result, this::addressValidationCounter).increment();
    }

    public void registrationRefused() {
        registrationsRefused.increment();
    }

    /**
     * connection_swap_streams_started_total{kind}: a client stream was handed to a worker; {@code resumed} when the
     * request continues a generation (it moved, or resumes after tokens it has).
     */
    public void streamStarted(boolean resumed) {
        (resumed ? resumedStreams : newStreams).increment();
    }

    /** connection_swap_client_token_stream_streams_total: that stream's frames go on the client token stream. */
    public void streamOnClientTokenStream() {
        streamsOnClientTokenStream.increment();
    }

    /** connection_swap_time_to_first_token_seconds: GENERATE of a new generation to its first token relayed. */
    public void timeToFirstToken(long nanos) {
        timeToFirstToken.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** connection_swap_generations_total{finish_reason}: a generation ended (once per generation). */
    public void generationFinished(Finish finish) {
        generations.get(finish).increment();
    }

    public void swapGap(long nanos) {
        swapGap.record(nanos, TimeUnit.NANOSECONDS);
    }

    public void tokenRelayed() {
        tokensRelayed.increment();
    }

    public void clientConnectionOpened() {
        clientConnections.increment();
    }

    /** A link to a worker came up with {@code connections} QUIC connections. */
    public void workerConnectionsOpened(int connections) {
        workerConnections.increment(connections);
    }

    public void noHealthyWorker() {
        noHealthyWorker.increment();
    }

    private Counter swapCounter(String reason, String workerTag) {
        return swaps.computeIfAbsent(reason + '\u0000' + workerTag, key -> Counter.builder("connection.swap.swaps")
                .description("Streams moved off a worker, by reason and by the worker that failed")
                .tag("reason", reason)
                .tag("worker", workerTag)
                .register(registry));
    }

    private Counter streamsStarted(String kind) {
        return Counter.builder("connection.swap.streams.started")
                .description("Client streams handed to a worker: new generations, and resumed ones (after a swap, a "
                        + "reconnect or a repaired gap)")
                .tag("kind", kind)
                .register(registry);
    }

    private Counter requestErrorCounter(ErrorCode code) {
        return Counter.builder("connection.swap.request.errors")
                .description("Streams ended with a worker's error that is the request's fault (final, never swapped)")
                .tag("code", code.name())
                .register(registry);
    }

    private Counter addressValidationCounter(String result) {
        return Counter.builder("connection.swap.address.validation")
                .description("QUIC retry tokens: issued to new connections, accepted, or rejected (forged, for another "
                        + "address, or expired)")
                .tag("result", result)
                .register(registry);
    }

    private Counter migrationLimitCounter(String reason) {
        return Counter.builder("connection.swap.migration.limit")
                .description("Generations ended with MIGRATION_LIMIT instead of moving again, by the last failure's "
                        + "reason")
                .tag("reason", reason)
                .register(registry);
    }

    private Counter limitCounter(String limit) {
        return Counter.builder("connection.swap.limit.hits")
                .description("Times a limit refused or ended a connection, stream or request")
                .tag("limit", limit)
                .register(registry);
    }

    private Counter taskCounter(String task) {
        return Counter.builder("connection.swap.task.failures")
                .description("Rounds of a periodic task that failed; the task logged the problem and goes on")
                .tag("task", task)
                .register(registry);
    }
}
