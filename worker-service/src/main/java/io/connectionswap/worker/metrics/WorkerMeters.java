package io.connectionswap.worker.metrics;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.service.metrics.LogMetrics;
import io.connectionswap.protocol.metrics.NettyMetrics;
import io.connectionswap.protocol.quic.QuicConnections;
import io.connectionswap.worker.quic.ActiveStreams;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoopGroup;
import java.util.List;
import org.springframework.stereotype.Component;

/** Every meter of the worker, in one place. Prometheus names are given next to each. */
@Component
public class WorkerMeters {

    private final MeterRegistry registry;
    private final Counter tokens;
    private final Counter handoffs;

    public WorkerMeters(MeterRegistry registry, ActiveStreams activeStreams, EventLoopGroup workerEventLoop,
                        QuicConnections quicConnections) {
        this.registry = registry;
        // netty_allocator_*, netty_eventexecutor_tasks_pending
        NettyMetrics.bind(registry, workerEventLoop);
        LogMetrics.bind(registry);
        // connection_swap_worker_tokens_total
        this.tokens = Counter.builder("connection.swap.worker.tokens")
                .description("Tokens this worker emitted")
                .register(registry);
        // connection_swap_worker_handoffs_total
        this.handoffs = Counter.builder("connection.swap.worker.handoffs")
                .description("Streams handed to this worker by the director (new and resumed generations)")
                .register(registry);
        // connection_swap_worker_model_errors_total{code}: the usual codes at 0 from the start, any other when it comes
        for (ErrorCode code : List.of(ErrorCode.UPSTREAM_FAILED, ErrorCode.UPSTREAM_REJECTED, ErrorCode.INTERNAL,
                ErrorCode.RESUME_MISMATCH)) {
            modelErrors(code);
        }
        // connection_swap_worker_streams_active
        Gauge.builder("connection.swap.worker.streams.active", activeStreams, ActiveStreams::count)
                .description("Generation streams this worker is serving now")
                .register(registry);
        // connection_swap_quic_streams_open
        Gauge.builder("connection.swap.quic.streams.open", quicConnections, QuicConnections::streamsHeld)
                .description("QUIC stream channels held by the worker's connections (from directors, and its "
                        + "registrations): returns to the in-flight level when streams are released")
                .register(registry);
    }

    /** connection_swap_tls_development_ca: 1 while the worker trusts the development CA of certs/generate.sh, else 0. */
    public void bindTlsGauge(java.util.function.BooleanSupplier developmentCa) {
        Gauge.builder("connection.swap.tls.development.ca", () -> developmentCa.getAsBoolean() ? 1 : 0)
                .description("1 while this role trusts the development CA of certs/generate.sh: not for production")
                .register(registry);
    }

    public void tokenSent() {
        tokens.increment();
    }

    public void handoffAccepted() {
        handoffs.increment();
    }

    /** A generation stream ended with an error from the model (rare: the meter is looked up each time). */
    public void modelFailed(ErrorCode code) {
        modelErrors(code).increment();
    }

    private Counter modelErrors(ErrorCode code) {
        return Counter.builder("connection.swap.worker.model.errors")
                .description("Generation streams this worker ended with an error from its model (the openai backend: "
                        + "its upstream), by code: UPSTREAM_FAILED and INTERNAL move the generation, UPSTREAM_REJECTED "
                        + "is final for the client")
                .tag("code", code.name())
                .register(registry);
    }
}
