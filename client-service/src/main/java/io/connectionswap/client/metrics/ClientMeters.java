package io.connectionswap.client.metrics;

import io.connectionswap.protocol.metrics.NettyMetrics;
import io.connectionswap.swapclient.SequenceErrorKind;
import io.connectionswap.swapclient.SwapClient;
import io.connectionswap.swapclient.SwapClientListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

/**
 * Every meter of the client, in one place; the Prometheus name is written next to each. The client library reports
 * to it through {@link SwapClientListener} (the auto-configuration picks this bean up).
 */
@Component
public class ClientMeters implements SwapClientListener {

    private final Counter tokens;
    private final Counter swaps;
    private final Counter gaps;
    private final Counter duplicates;
    private final Counter reconnects;
    private final Counter generations;
    private final Counter noWorkerWaits;
    private final Timer tokenGap;

    /**
     * @param client the client these meters listen to; a provider, since the client is built with this listener
     */
    public ClientMeters(MeterRegistry registry, EventLoopGroup clientEventLoopGroup, ObjectProvider<SwapClient> client) {
        // netty_allocator_*, netty_eventexecutor_tasks_pending
        NettyMetrics.bind(registry, clientEventLoopGroup);
        // swap_client_tokens_total
        tokens = Counter.builder("swap.client.tokens").description("Tokens received in sequence").register(registry);
        // swap_client_swaps_total
        swaps = Counter.builder("swap.client.swaps")
                .description("Times a generation moved to another worker on the same connection").register(registry);
        // swap_client_sequence_errors_total{kind}: must stay 0
        gaps = Counter.builder("swap.client.sequence.errors").tag("kind", "gap")
                .description("Tokens lost (gap) or repeated (duplicate); must stay 0").register(registry);
        duplicates = Counter.builder("swap.client.sequence.errors").tag("kind", "duplicate")
                .description("Tokens lost (gap) or repeated (duplicate); must stay 0").register(registry);
        // swap_client_reconnects_total: must stay 0 while the director lives
        reconnects = Counter.builder("swap.client.reconnects")
                .description("New QUIC connections to a director after the previous one was lost").register(registry);
        // swap_client_generations_total
        generations = Counter.builder("swap.client.generations").description("Generations completed").register(registry);
        // swap_client_no_worker_waits_total
        noWorkerWaits = Counter.builder("swap.client.no.worker.waits")
                .description("Times the director had no healthy worker and the client backed off").register(registry);
        // swap_client_token_gap_seconds_bucket / _count / _sum / _max
        tokenGap = Timer.builder("swap.client.token.gap")
                .description("Time between consecutive tokens of a generation as the client sees them")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(60))
                .register(registry);
        // swap_quic_streams_open
        Gauge.builder("swap.quic.streams.open", client, ClientMeters::openStreams)
                .strongReference(true) // the provider is held by nothing else
                .description("QUIC stream channels held by the client's connection to the director: returns to the "
                        + "in-flight level when streams are released")
                .register(registry);
    }

    private static double openStreams(ObjectProvider<SwapClient> client) {
        SwapClient current = client.getIfAvailable();
        return current == null ? 0 : current.openStreams();
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
    public void reconnected() {
        reconnects.increment();
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
    public void tokenGap(long nanos) {
        tokenGap.record(nanos, TimeUnit.NANOSECONDS);
    }
}
