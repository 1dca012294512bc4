package io.connectionswap.director.metrics;

import io.connectionswap.protocol.frame.ErrorCode;
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
 * swap reasons are a fixed set and worker labels are configured names, never ids.
 */
public class DirectorMeters {

    private final MeterRegistry registry;
    private final Map<String, Counter> swaps = new ConcurrentHashMap<>();
    private final Map<ErrorCode, Counter> requestErrors = new ConcurrentHashMap<>();
    private final Map<String, Counter> migrationLimits = new ConcurrentHashMap<>();
    private final Timer swapGap;
    private final Counter tokensRelayed;
    private final Counter clientConnections;
    private final Counter workerConnections;
    private final Counter noHealthyWorker;

    public DirectorMeters(MeterRegistry registry, EventLoopGroup quicLoops, Supplier<Number> activeStreams,
                          Supplier<Number> healthyWorkers, Supplier<Number> unhealthyWorkers) {
        this.registry = registry;
        // netty_allocator_*, netty_eventexecutor_tasks_pending
        NettyMetrics.bind(registry, quicLoops);
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
        // swap_streams_active
        Gauge.builder("swap.streams.active", activeStreams).description("Client streams being relayed now")
                .register(registry);
        // swap_workers{state}
        Gauge.builder("swap.workers", healthyWorkers).tag("state", "healthy")
                .description("Registered workers by state (draining workers count as unhealthy)").register(registry);
        Gauge.builder("swap.workers", unhealthyWorkers).tag("state", "unhealthy")
                .description("Registered workers by state (draining workers count as unhealthy)").register(registry);
    }

    /** swap_total{reason,worker} */
    public void swapped(String reason, String worker) {
        swaps.computeIfAbsent(reason + '\u0000' + worker, key -> Counter.builder("swap")
                .description("Streams moved off a worker, by reason and by the worker that failed")
                .tag("reason", reason)
                .tag("worker", worker)
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
                .description("Generations ended with MIGRATION_LIMIT instead of moving again, by the last failure's reason")
                .tag("reason", key)
                .register(registry)).increment();
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
}
