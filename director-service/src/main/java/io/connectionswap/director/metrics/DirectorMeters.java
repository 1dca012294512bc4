package io.connectionswap.director.metrics;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.metrics.LogMetrics;
import io.connectionswap.protocol.metrics.NettyMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.netty.channel.EventLoopGroup;
import java.time.Duration;
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

    /** Tag values of {@code swap_limit_hits_total{limit}}. */
    public static final class Limit {
        public static final String CLIENT_CONNECTIONS = "client_connections";
        public static final String STREAMS_PER_CONNECTION = "streams_per_connection";
        public static final String FIRST_FRAME = "first_frame";
        public static final String MAX_TOKENS = "max_tokens";
        public static final String SESSION_DURATION = "session_duration";
        public static final String REQUEST_SIZE = "request_size";
        public static final String SLOW_CLIENT = "slow_client";

        private Limit() {
        }
    }

    /** Tag values of {@code swap_task_failures_total{task}}. */
    public static final class Task {
        public static final String HEALTH_POLLER = "health_poller";
        public static final String STALL_WATCH = "stall_watch";
        public static final String DNS_DISCOVERY = "dns_discovery";

        private Task() {
        }
    }

    private final MeterRegistry registry;
    private final BoundedTagValues workerTags = new BoundedTagValues(MAX_WORKER_TAGS);
    private final Map<String, Counter> swaps = new ConcurrentHashMap<>();
    private final Map<ErrorCode, Counter> requestErrors = new ConcurrentHashMap<>();
    private final Map<String, Counter> migrationLimits = new ConcurrentHashMap<>();
    private final Map<String, Counter> limitHits = new ConcurrentHashMap<>();
    private final Map<String, Counter> taskFailures = new ConcurrentHashMap<>();
    private final Map<String, Counter> addressValidation = new ConcurrentHashMap<>();
    private final Timer swapGap;
    private final Counter tokensRelayed;
    private final Counter clientConnections;
    private final Counter workerConnections;
    private final Counter noHealthyWorker;
    private final Counter registrationsRefused;

    public DirectorMeters(MeterRegistry registry, EventLoopGroup quicLoops) {
        this.registry = registry;
        // netty_allocator_*, netty_eventexecutor_tasks_pending
        NettyMetrics.bind(registry, quicLoops);
        LogMetrics.bind(registry);
        // swap_gap_seconds_bucket / _count / _sum / _max
        this.swapGap = Timer.builder("swap.gap")
                .description("From failure detected to the first token of the next worker")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry);
        // swap_tokens_relayed_total
        this.tokensRelayed = Counter.builder("swap.tokens.relayed")
                .description("Token frames relayed from workers to clients")
                .register(registry);
        // swap_connections_opened_total{peer}
        this.clientConnections = Counter.builder("swap.connections.opened").tag("peer", "client")
                .description("QUIC connections opened: accepted from clients, or dialled to workers")
                .register(registry);
        this.workerConnections = Counter.builder("swap.connections.opened").tag("peer", "worker")
                .description("QUIC connections opened: accepted from clients, or dialled to workers")
                .register(registry);
        // swap_no_healthy_worker_total
        this.noHealthyWorker = Counter.builder("swap.no.healthy.worker")
                .description("Streams refused because no worker was healthy")
                .register(registry);
        // swap_registrations_refused_total
        this.registrationsRefused = Counter.builder("swap.registrations.refused")
                .description("Worker registrations refused as invalid (bad address, health URL, label or models)")
                .register(registry);
        for (String limit : new String[] {Limit.CLIENT_CONNECTIONS, Limit.STREAMS_PER_CONNECTION, Limit.FIRST_FRAME,
                Limit.MAX_TOKENS, Limit.SESSION_DURATION, Limit.REQUEST_SIZE, Limit.SLOW_CLIENT}) {
            limitHits.put(limit, limitCounter(limit)); // present at 0 from the start, for rate() and alerts
        }
        for (String task : new String[] {Task.HEALTH_POLLER, Task.STALL_WATCH, Task.DNS_DISCOVERY}) {
            taskFailures.put(task, taskCounter(task));
        }
    }

    /**
     * The gauges, read from the services at scrape time.
     *
     * @param activeStreams         swap_streams_active
     * @param healthyWorkers        swap_workers{state="healthy"}
     * @param unhealthyWorkers      swap_workers{state="unhealthy"}
     * @param quicStreamsOpen       swap_quic_streams_open
     * @param clientConnectionsOpen swap_client_connections_open
     */
    public void bindGauges(Supplier<Number> activeStreams, Supplier<Number> healthyWorkers,
                           Supplier<Number> unhealthyWorkers, Supplier<Number> quicStreamsOpen,
                           Supplier<Number> clientConnectionsOpen) {
        Gauge.builder("swap.streams.active", activeStreams).description("Client streams being relayed now")
                .register(registry);
        Gauge.builder("swap.workers", healthyWorkers).tag("state", "healthy")
                .description("Registered workers by state (draining workers count as unhealthy)").register(registry);
        Gauge.builder("swap.workers", unhealthyWorkers).tag("state", "unhealthy")
                .description("Registered workers by state (draining workers count as unhealthy)").register(registry);
        Gauge.builder("swap.quic.streams.open", quicStreamsOpen)
                .description("QUIC stream channels held by the director's connections (clients, registrations and "
                        + "links to workers): returns to the in-flight level when streams are released")
                .register(registry);
        Gauge.builder("swap.client.connections.open", clientConnectionsOpen)
                .description("Client QUIC connections open now (CONNECTION_SWAP_MAX_CLIENT_CONNECTIONS caps them)")
                .register(registry);
    }

    /** swap_tls_development_ca: 1 while the director trusts the development CA of certs/generate.sh, else 0. */
    public void bindTlsGauge(java.util.function.BooleanSupplier developmentCa) {
        Gauge.builder("swap.tls.development.ca", () -> developmentCa.getAsBoolean() ? 1 : 0)
                .description("1 while this role trusts the development CA of certs/generate.sh: not for production")
                .register(registry);
    }

    /** swap_total{reason,worker} */
    public void swapped(String reason, String worker) {
        String tag = workerTags.of(worker);
        swaps.computeIfAbsent(reason + '\u0000' + tag, key -> Counter.builder("swap")
                .description("Streams moved off a worker, by reason and by the worker that failed")
                .tag("reason", reason)
                .tag("worker", tag)
                .register(registry)).increment();
    }

    /** swap_request_errors_total{code}: a worker refused the request itself; the client got the error as final. */
    public void requestError(ErrorCode code) {
        requestErrors.computeIfAbsent(code, key -> Counter.builder("swap.request.errors")
                .description("Streams ended with a worker's error that is the request's fault (final, never swapped)")
                .tag("code", key.name())
                .register(registry)).increment();
    }

    /** swap_migration_limit_total{reason}: a generation's worker failed but it had moved as often as allowed. */
    public void migrationLimitReached(String reason) {
        migrationLimits.computeIfAbsent(reason, key -> Counter.builder("swap.migration.limit")
                .description("Generations ended with MIGRATION_LIMIT instead of moving again, by the last failure's "
                        + "reason")
                .tag("reason", key)
                .register(registry)).increment();
    }

    /** swap_limit_hits_total{limit}: a limit of {@link Limit} refused or ended something. */
    public void limitHit(String limit) {
        limitHits.computeIfAbsent(limit, this::limitCounter).increment();
    }

    /** swap_task_failures_total{task}: a periodic task failed one round (it logged why, and goes on). */
    public void taskFailed(String task) {
        taskFailures.computeIfAbsent(task, this::taskCounter).increment();
    }

    /** swap_address_validation_total{result}: issued, accepted, rejected (bad or expired retry token). */
    public void addressValidation(String result) {
        addressValidation.computeIfAbsent(result, key -> Counter.builder("swap.address.validation")
                .description("QUIC retry tokens: issued to new connections, accepted, or rejected (forged, for another "
                        + "address, or expired)")
                .tag("result", key)
                .register(registry)).increment();
    }

    public void registrationRefused() {
        registrationsRefused.increment();
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

    public void workerConnectionOpened() {
        workerConnections.increment();
    }

    public void noHealthyWorker() {
        noHealthyWorker.increment();
    }

    private Counter limitCounter(String limit) {
        return Counter.builder("swap.limit.hits")
                .description("Times a limit refused or ended a connection, stream or request")
                .tag("limit", limit)
                .register(registry);
    }

    private Counter taskCounter(String task) {
        return Counter.builder("swap.task.failures")
                .description("Rounds of a periodic task that failed; the task logged the problem and goes on")
                .tag("task", task)
                .register(registry);
    }
}
