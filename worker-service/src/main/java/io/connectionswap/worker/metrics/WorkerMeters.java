package io.connectionswap.worker.metrics;

import io.connectionswap.protocol.metrics.NettyMetrics;
import io.connectionswap.protocol.quic.QuicConnections;
import io.connectionswap.worker.quic.ActiveStreams;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoopGroup;
import org.springframework.stereotype.Component;

/** Every meter of the worker, in one place. Prometheus names are given next to each. */
@Component
public class WorkerMeters {

    private final Counter tokens;
    private final Counter handoffs;

    public WorkerMeters(MeterRegistry registry, ActiveStreams activeStreams, EventLoopGroup workerEventLoop,
                        QuicConnections quicConnections) {
        // netty_allocator_*, netty_eventexecutor_tasks_pending
        NettyMetrics.bind(registry, workerEventLoop);
        // swap_worker_tokens_total
        this.tokens = Counter.builder("swap.worker.tokens")
                .description("Tokens this worker emitted")
                .register(registry);
        // swap_worker_handoffs_total
        this.handoffs = Counter.builder("swap.worker.handoffs")
                .description("Streams handed to this worker by the director (new and resumed generations)")
                .register(registry);
        // swap_worker_streams_active
        Gauge.builder("swap.worker.streams.active", activeStreams, ActiveStreams::count)
                .description("Generation streams this worker is serving now")
                .register(registry);
        // swap_quic_streams_open
        Gauge.builder("swap.quic.streams.open", quicConnections, QuicConnections::streamsHeld)
                .description("QUIC stream channels held by the worker's connections (from directors, and its "
                        + "registrations): returns to the in-flight level when streams are released")
                .register(registry);
    }

    public void tokenSent() {
        tokens.increment();
    }

    public void handoffAccepted() {
        handoffs.increment();
    }
}
