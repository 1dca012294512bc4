package io.connectionswap.worker.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.worker.quic.ActiveStreams;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.DefaultEventLoop;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The worker's series as Prometheus scrapes them: every name under {@code connection_swap_worker_}. */
class WorkerMetersTest {

    @Test
    void everySeriesIsNamespacedAndNamedAsDocumented() {
        DefaultEventLoop loop = new DefaultEventLoop();
        try {
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            WorkerMeters meters = new WorkerMeters(registry, new ActiveStreams(), loop,
                    new io.connectionswap.protocol.quic.QuicConnections());
            meters.tokenSent();
            meters.handoffAccepted();
            assertThat(Arrays.stream(registry.scrape().split("\n"))
                    .filter(line -> !line.isBlank() && !line.startsWith("#"))
                    .map(line -> line.split("[{ ]", 2)[0])
                    .filter(name -> name.contains("swap")).distinct())
                    .containsExactlyInAnyOrder("connection_swap_worker_tokens_total",
                            "connection_swap_worker_handoffs_total", "connection_swap_worker_streams_active",
                            "connection_swap_worker_model_errors_total",
                            "connection_swap_log_events_dropped_total", "connection_swap_quic_streams_open");
        } finally {
            loop.shutdownGracefully();
        }
    }
}
