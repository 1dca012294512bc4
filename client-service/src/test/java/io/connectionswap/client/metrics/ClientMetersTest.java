package io.connectionswap.client.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.swapclient.ReconnectCause;
import io.connectionswap.swapclient.SequenceErrorKind;
import io.connectionswap.swapclient.SwapClient;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.DefaultEventLoop;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.support.StaticListableBeanFactory;

/** The client's series as Prometheus scrapes them: every name under {@code connection_swap_client_}. */
class ClientMetersTest {

    private final DefaultEventLoop loop = new DefaultEventLoop();
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    @AfterEach
    void stopTheLoop() {
        loop.shutdownGracefully();
    }

    private ClientMeters meters() {
        return new ClientMeters(registry, loop, new StaticListableBeanFactory().getBeanProvider(SwapClient.class));
    }

    @Test
    void everySeriesIsNamespacedAndNamedAsDocumented() {
        ClientMeters meters = meters();
        meters.tokenReceived();
        meters.timeToFirstToken(TimeUnit.MILLISECONDS.toNanos(300));
        meters.tokenGap(TimeUnit.MILLISECONDS.toNanos(50));
        meters.swapped("health");
        meters.sequenceError(SequenceErrorKind.GAP);
        meters.reconnected(ReconnectCause.DIRECTOR_LEAVING);
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
                        "connection_swap_client_streams_waiting",
                        "connection_swap_client_token_gap_seconds_bucket",
                        "connection_swap_client_token_gap_seconds_count",
                        "connection_swap_client_token_gap_seconds_sum",
                        "connection_swap_client_token_gap_seconds_max",
                        "connection_swap_client_time_to_first_token_seconds_bucket",
                        "connection_swap_client_time_to_first_token_seconds_count",
                        "connection_swap_client_time_to_first_token_seconds_sum",
                        "connection_swap_client_time_to_first_token_seconds_max");
        assertThat(scrape).contains("connection_swap_client_time_to_first_token_seconds_bucket{le=\"0.5\"} 1");
    }

    /** A rollout (the director leaving) and a lost director are told apart, each series there from the start. */
    @Test
    void reconnectsAreCountedByCauseEachReadingZeroUntilItsFirst() {
        ClientMeters meters = meters();
        assertThat(registry.scrape()).contains(
                "connection_swap_client_reconnects_total{cause=\"director_leaving\"} 0.0",
                "connection_swap_client_reconnects_total{cause=\"director_lost\"} 0.0");

        meters.reconnected(ReconnectCause.DIRECTOR_LEAVING);
        meters.reconnected(ReconnectCause.DIRECTOR_LEAVING);
        meters.reconnected(ReconnectCause.DIRECTOR_LOST);

        assertThat(registry.scrape()).contains(
                "connection_swap_client_reconnects_total{cause=\"director_leaving\"} 2.0",
                "connection_swap_client_reconnects_total{cause=\"director_lost\"} 1.0");
    }

    @Test
    void malformedRequestsAreCountedByCodeEachReadingZeroUntilItsFirst() {
        ClientMeters meters = meters();
        Consumer<String> refused = meters.gatewayMalformedRequests(List.of("malformed_http",
                "request_line_too_long"));

        refused.accept("malformed_http");
        refused.accept("malformed_http");
        refused.accept("some_later_code");

        assertThat(registry.scrape()).contains(
                "connection_swap_gateway_malformed_requests_total{code=\"malformed_http\"} 2.0",
                "connection_swap_gateway_malformed_requests_total{code=\"request_line_too_long\"} 0.0",
                "connection_swap_gateway_malformed_requests_total{code=\"some_later_code\"} 1.0");
    }
}
