package io.connectionswap.client.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.swapclient.SequenceErrorKind;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.DefaultEventLoop;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The client's series as Prometheus scrapes them: every name under {@code connection_swap_client_}. */
class ClientMetersTest {

    @Test
    void everySeriesIsNamespacedAndNamedAsDocumented() {
        DefaultEventLoop loop = new DefaultEventLoop();
        try {
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            ClientMeters meters = new ClientMeters(registry, loop, new org.springframework.beans.factory.support
                    .StaticListableBeanFactory().getBeanProvider(io.connectionswap.swapclient.SwapClient.class));
            meters.tokenReceived();
            meters.timeToFirstToken(TimeUnit.MILLISECONDS.toNanos(300));
            meters.tokenGap(TimeUnit.MILLISECONDS.toNanos(50));
            meters.swapped("health");
            meters.sequenceError(SequenceErrorKind.GAP);
            meters.reconnected();
            meters.generationCompleted();
            meters.noHealthyWorker();
            String scrape = registry.scrape();
            assertThat(Arrays.stream(scrape.split("\n"))
                    .filter(line -> !line.isBlank() && !line.startsWith("#"))
                    .map(line -> line.split("[{ ]", 2)[0])
                    .filter(name -> name.contains("swap"))
                    .distinct())
                    .containsExactlyInAnyOrder("connection_swap_client_tokens_total", "connection_swap_log_events_dropped_total",
                            "connection_swap_client_swaps_total", "connection_swap_client_sequence_errors_total",
                            "connection_swap_client_reconnects_total", "connection_swap_client_generations_total",
                            "connection_swap_client_no_worker_waits_total", "connection_swap_quic_streams_open",
                            "connection_swap_client_token_gap_seconds_bucket",
                            "connection_swap_client_token_gap_seconds_count",
                            "connection_swap_client_token_gap_seconds_sum",
                            "connection_swap_client_token_gap_seconds_max",
                            "connection_swap_client_time_to_first_token_seconds_bucket",
                            "connection_swap_client_time_to_first_token_seconds_count",
                            "connection_swap_client_time_to_first_token_seconds_sum",
                            "connection_swap_client_time_to_first_token_seconds_max");
            assertThat(scrape).contains("connection_swap_client_time_to_first_token_seconds_bucket{le=\"0.5\"} 1");
        } finally {
            loop.shutdownGracefully();
        }
    }
}
