package io.connectionswap.director.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.frame.ErrorCode;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.DefaultEventLoop;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The director's series as Prometheus scrapes them: every name under {@code connection_swap_} (README, "Metrics"),
 * with a sample of each meter, including the ones created on first use.
 */
class DirectorMetersTest {

    private final DefaultEventLoop loop = new DefaultEventLoop();

    @AfterEach
    void stop() {
        loop.shutdownGracefully();
    }

    @Test
    void everySeriesIsNamespacedAndNamedAsDocumented() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        DirectorMeters meters = new DirectorMeters(registry, loop, List.of("health", "stall"));
        meters.bindGauges(() -> 1, () -> 2, () -> 0, () -> 3, () -> 1, () -> 0);
        meters.swapped("health", "worker-a");
        meters.swapGap(1_000_000);
        meters.timeToFirstToken(2_000_000);
        meters.streamStarted(false);
        meters.generationFinished(DirectorMeters.Finish.LENGTH);
        meters.tokenRelayed();
        meters.clientConnectionOpened();
        meters.noHealthyWorker();
        meters.registrationRefused();
        meters.requestError(ErrorCode.REQUEST_TOO_LARGE);
        meters.migrationLimitReached("stall");
        meters.limitHit(DirectorMeters.Limit.FIRST_FRAME);
        meters.taskFailed(DirectorMeters.Task.HEALTH_POLLER);
        meters.addressValidation("issued");

        Set<String> names = sampleNames(registry.scrape());
        assertThat(names).filteredOn(name -> name.startsWith("swap_")).as("names outside the namespace").isEmpty();
        assertThat(names.stream().filter(name -> name.startsWith("connection_swap_")).collect(Collectors.toSet()))
                .containsExactlyInAnyOrder(
                        "connection_swap_swaps_total", "connection_swap_log_events_dropped_total",
                        "connection_swap_gap_seconds_bucket", "connection_swap_gap_seconds_count",
                        "connection_swap_gap_seconds_sum", "connection_swap_gap_seconds_max",
                        "connection_swap_time_to_first_token_seconds_bucket",
                        "connection_swap_time_to_first_token_seconds_count",
                        "connection_swap_time_to_first_token_seconds_sum",
                        "connection_swap_time_to_first_token_seconds_max",
                        "connection_swap_streams_started_total",
                        "connection_swap_client_token_stream_streams_total",
                        "connection_swap_generations_total",
                        "connection_swap_tokens_relayed_total", "connection_swap_datagrams_total",
                        "connection_swap_udp_writes_total",
                        "connection_swap_connections_opened_total",
                        "connection_swap_no_healthy_worker_total",
                        "connection_swap_registrations_refused_total",
                        "connection_swap_request_errors_total",
                        "connection_swap_migration_limit_total",
                        "connection_swap_limit_hits_total",
                        "connection_swap_task_failures_total",
                        "connection_swap_address_validation_total",
                        "connection_swap_streams_active",
                        "connection_swap_workers",
                        "connection_swap_quic_streams_open",
                        "connection_swap_client_connections_open",
                        "connection_swap_pending_request_bytes");
        meters.workerAdded("worker-b");
        String scrape = registry.scrape();
        assertThat(scrape).contains("connection_swap_swaps_total{reason=\"health\",worker=\"worker-a\"} 1.0");
        // a worker that joined has its swap series at 0, so that rate() sees its first swap
        assertThat(scrape).contains("connection_swap_swaps_total{reason=\"health\",worker=\"worker-b\"} 0.0")
                .contains("connection_swap_swaps_total{reason=\"stall\",worker=\"worker-b\"} 0.0");
        assertThat(scrape).contains("connection_swap_generations_total{finish_reason=\"stop\"} 0.0")
                .contains("connection_swap_generations_total{finish_reason=\"error\"} 0.0")
                .contains("connection_swap_streams_started_total{kind=\"resumed\"} 0.0")
                .contains("connection_swap_migration_limit_total{reason=\"health\"} 0.0")
                .contains("connection_swap_limit_hits_total{limit=\"pending_request_bytes\"} 0.0")
                .contains("connection_swap_limit_hits_total{limit=\"pending_request_bytes_per_connection\"} 0.0")
                .contains("connection_swap_limit_hits_total{limit=\"worker_streams\"} 0.0");
        // an SLO reads one exact bucket: "share of first tokens within 1 s"
        assertThat(scrape).contains("connection_swap_time_to_first_token_seconds_bucket{le=\"1.0\"} 1");
    }

    /**
     * A director that has counted nothing yet, with one worker registered, already exports every series of the
     * README's table, each tagged series at 0: {@code increase()} and the alert rules see the first event, and an
     * operator finds every series the table lists. {@code connection_swap_request_errors_total} had no series until a
     * worker first refused a request.
     */
    @Test
    void everySeriesIsThereBeforeItsFirstEvent() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        DirectorMeters meters = new DirectorMeters(registry, loop, List.of("health", "stall"));
        meters.bindGauges(() -> 0, () -> 1, () -> 0, () -> 0, () -> 0, () -> 0);
        meters.workerAdded("worker-a");

        String scrape = registry.scrape();
        assertThat(sampleNames(scrape)).as("series of a director that has counted nothing yet")
                .contains("connection_swap_swaps_total", "connection_swap_gap_seconds_count",
                        "connection_swap_time_to_first_token_seconds_count", "connection_swap_streams_started_total",
                        "connection_swap_client_token_stream_streams_total", "connection_swap_generations_total",
                        "connection_swap_tokens_relayed_total", "connection_swap_datagrams_total",
                        "connection_swap_udp_writes_total", "connection_swap_connections_opened_total",
                        "connection_swap_no_healthy_worker_total", "connection_swap_registrations_refused_total",
                        "connection_swap_request_errors_total", "connection_swap_migration_limit_total",
                        "connection_swap_limit_hits_total", "connection_swap_task_failures_total",
                        "connection_swap_address_validation_total", "connection_swap_streams_active",
                        "connection_swap_workers", "connection_swap_quic_streams_open",
                        "connection_swap_client_connections_open", "connection_swap_pending_request_bytes");
        for (ErrorCode code : ErrorCode.values()) {
            String series = "connection_swap_request_errors_total{code=\"" + code.name() + "\"} 0.0";
            if (code.isRequestFault()) {
                assertThat(scrape).as("a request fault's series at 0").contains(series);
            } else {
                assertThat(scrape).as("not a request fault: no series").doesNotContain("code=\"" + code.name() + "\"");
            }
        }
    }

    /** The metric name of every sample line of a Prometheus text scrape. */
    static Set<String> sampleNames(String scrape) {
        return Arrays.stream(scrape.split("\n"))
                .filter(line -> !line.isBlank() && !line.startsWith("#"))
                .map(line -> line.split("[{ ]", 2)[0])
                .collect(Collectors.toCollection(TreeSet::new));
    }
}
