package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.systemtest.support.DumpLogsOnFailure;
import io.connectionswap.systemtest.support.ProcessCluster;
import io.connectionswap.systemtest.support.PrometheusServer.Target;
import io.connectionswap.systemtest.support.PrometheusServer;
import io.connectionswap.systemtest.support.ReadmeMetrics;
import io.connectionswap.testsupport.process.ServiceProcess;
import io.connectionswap.testsupport.prometheus.PrometheusText;
import io.connectionswap.testsupport.tools.ExternalTool;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real Prometheus scrapes the director, both workers and the client (1 s interval, {@code alerts.yml} loaded)
 * while worker-a is killed with {@code kill -9} in the middle of a stream; the swap must then be visible through
 * PromQL the way operators and the dashboard see it.
 */
@ExtendWith(DumpLogsOnFailure.class)
class PrometheusScrapeIT {

    private static final Duration SCRAPE_INTERVAL = Duration.ofSeconds(1);
    /** Waits on scrapes and swaps; generous because the machine is shared. */
    private static final Duration DEADLINE = Duration.ofSeconds(90);
    private static final Duration POLL = Duration.ofMillis(250);
    private static final Set<String> KILL_REASONS = Set.of("connection_lost", "stall", "stream_error");
    /** Reasons with a swap (the director has every reason at 0 for every worker from when it joins). */
    private static final String SWAPS_BY_REASON = "sum by (reason) (connection_swap_swaps_total) > 0";

    @AutoClose
    private ProcessCluster cluster;
    private PrometheusServer prometheus;

    @RegisterExtension
    final TestWatcher prometheusLogOnFailure = new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            if (prometheus != null) {
                System.out.println("===== prometheus (" + prometheus.log() + ", config " + prometheus.config() + ") =====\n"
                        + prometheus.logTail(40));
            }
        }
    };

    @AfterEach
    void stop() {
        if (prometheus != null) {
            prometheus.close();
        }
    }

    @Test
    void prometheusSeesEveryRoleAndTheSwapOfAKilledWorker() {
        ExternalTool.PROMETHEUS.require(getClass()); // skip (fail under CI=true) before starting anything

        cluster = new ProcessCluster("PrometheusScrapeIT", "50ms");
        ServiceProcess director = cluster.startDirector();
        ServiceProcess workerA = cluster.startWorker("worker-a");
        ServiceProcess workerB = cluster.startWorker("worker-b");
        cluster.awaitHealthyWorkers(2);
        ServiceProcess client = cluster.startStreamingClient(10);

        prometheus = PrometheusServer.start("PrometheusScrapeIT", SCRAPE_INTERVAL, List.of(
                new Target("connection-swap-director", "director", director.httpPort()),
                new Target("connection-swap-workers", "worker-a", workerA.httpPort()),
                new Target("connection-swap-workers", "worker-b", workerB.httpPort()),
                new Target("connection-swap-client", "client", client.httpPort())));

        // before the kill: every target up, both workers healthy, and a few scrapes of the (still empty) gap
        // histogram, so that rate() over it has a sample from before the swap
        await("every target scraped and up").atMost(DEADLINE).pollInterval(POLL)
                .until(() -> upByProcess().equals(Map.of("director", 1.0, "worker-a", 1.0, "worker-b", 1.0, "client", 1.0)));
        assertThat(prometheus.targetHealth()).as("targets").containsOnlyKeys("director", "worker-a", "worker-b", "client")
                .allSatisfy((process, health) -> assertThat(health).as(process).isEqualTo("up"));
        await("prometheus sees 2 healthy workers").atMost(DEADLINE).pollInterval(POLL)
                .until(() -> prometheus.single("connection_swap_workers{state=\"healthy\"}").equals(Optional.of(2.0)));
        await("gap histogram scraped before the swap").atMost(DEADLINE).pollInterval(POLL)
                .until(() -> prometheus.single("count_over_time(connection_swap_gap_seconds_count[5m])").orElse(0.0) >= 3);

        await("worker-a serves a stream").atMost(DEADLINE).pollInterval(Duration.ofMillis(100))
                .until(() -> workerA.metrics().sum("connection_swap_worker_streams_active") >= 1);
        workerA.kill9();

        await("client swaps").atMost(DEADLINE).pollInterval(POLL)
                .until(() -> client.metrics().sum("connection_swap_client_swaps_total") >= 1);
        double tokensAtSwap = client.metrics().sum("connection_swap_client_tokens_total");
        await("tokens keep coming after the swap").atMost(DEADLINE).pollInterval(POLL)
                .until(() -> client.metrics().sum("connection_swap_client_tokens_total") >= tokensAtSwap + 40);

        // connection_swap_swaps_total by reason, as scraped, matches what the director counts
        await("prometheus has scraped the director's connection_swap_swaps_total").atMost(DEADLINE).pollInterval(POLL)
                .until(() -> {
                    Map<String, Double> scraped = new TreeMap<>(prometheus.byLabel(SWAPS_BY_REASON, "reason"));
                    return !scraped.isEmpty() && scraped.equals(swapsByReason(director.metrics()));
                });
        Map<String, Double> byReason = new TreeMap<>(prometheus.byLabel(SWAPS_BY_REASON, "reason"));
        assertThat(byReason).as(SWAPS_BY_REASON).doesNotContainKey("drain");
        assertThat(byReason.entrySet()).as("%s: a kill -9 swap, reason in %s", SWAPS_BY_REASON, KILL_REASONS)
                .anySatisfy(entry -> {
                    assertThat(KILL_REASONS).contains(entry.getKey());
                    assertThat(entry.getValue()).isGreaterThanOrEqualTo(1);
                });
        // (on a loaded machine the 150 ms stall detection may also have moved a stream off a live worker: so
        // worker-a must be there, but it need not be alone)
        assertThat(prometheus.single("sum(connection_swap_swaps_total{worker=\"worker-a\",reason=~\"connection_lost|stall|stream_error\"})"))
                .as("swaps off worker-a").hasValueSatisfying(count -> assertThat(count).isGreaterThanOrEqualTo(1));

        // p99 of the swap gap: the SwapGapP99High expression, without its threshold
        String p99Query = "histogram_quantile(0.99, sum by (le) (rate(connection_swap_gap_seconds_bucket[5m])))";
        await("p99 swap gap computable").atMost(DEADLINE).pollInterval(POLL)
                .until(() -> prometheus.single(p99Query).filter(Double::isFinite).isPresent());
        double p99 = prometheus.single(p99Query).orElseThrow();
        assertThat(p99).as(p99Query).isFinite().isGreaterThan(0).isLessThanOrEqualTo(30);
        double gapMax = director.metrics().sum("connection_swap_gap_seconds_max");

        // exactly-once delivery and one connection, seen through Prometheus
        await("client scraped after the swap").atMost(DEADLINE).pollInterval(POLL)
                .until(() -> prometheus.single("sum(connection_swap_client_swaps_total)").orElse(0.0) >= 1);
        assertThat(prometheus.single("sum(connection_swap_client_sequence_errors_total)")).as("sum(connection_swap_client_sequence_errors_total)")
                .contains(0.0);
        assertThat(prometheus.single("sum(connection_swap_client_reconnects_total)")).as("sum(connection_swap_client_reconnects_total)")
                .contains(0.0);
        PrometheusText clientMetrics = client.metrics();
        assertThat(clientMetrics.sum("connection_swap_client_sequence_errors_total")).as("client's own count of gaps/duplicates").isZero();

        // the director's view of its workers, and the scrape targets, after the kill
        await("prometheus sees 1 healthy worker").atMost(DEADLINE).pollInterval(POLL)
                .until(() -> prometheus.single("connection_swap_workers{state=\"healthy\"}").equals(Optional.of(1.0)));
        await("worker-a's target down, every other target up").atMost(DEADLINE).pollInterval(POLL)
                .until(() -> upByProcess().equals(Map.of("director", 1.0, "worker-a", 0.0, "worker-b", 1.0, "client", 1.0)));
        assertThat(prometheus.targetHealth()).as("targets after the kill")
                .containsEntry("director", "up").containsEntry("worker-b", "up").containsEntry("client", "up")
                .containsEntry("worker-a", "down");

        // alerts.yml is loaded and every rule evaluates against the real series without error
        await("every alert rule evaluated").atMost(DEADLINE).pollInterval(POLL)
                .until(() -> prometheus.ruleHealth().getOrDefault("connection-swap", Map.of()).values().stream()
                        .allMatch("ok"::equals));
        assertThat(prometheus.ruleHealth().get("connection-swap")).as("rules of group connection-swap")
                .containsOnlyKeys("SwapSequenceError", "SwapNoHealthyWorker", "SwapRateHigh", "SwapGapP99High",
                        "SwapClientReconnects", "SwapTargetDown", "SwapTaskFailing", "SwapDirectorAtCapacity",
                        "SwapGatewayAtCapacity", "SwapLimitHitsHigh", "SwapMigrationLimitReached",
                        "SwapGenerationErrorsHigh", "SwapCertificateExpiring", "SwapLogLinesDropped");
        // the dead worker's target puts SwapTargetDown in pending (for: 1m) on that target alone
        await("SwapTargetDown pending for worker-a").atMost(DEADLINE).pollInterval(POLL)
                .until(() -> !prometheus.query("ALERTS{alertname=\"SwapTargetDown\",process=\"worker-a\"}").isEmpty());
        // (a live target that missed one scrape on a loaded machine may be pending; firing needs 1 min down)
        assertThat(prometheus.query("ALERTS{alertname=\"SwapTargetDown\",alertstate=\"firing\",process!=\"worker-a\"}"))
                .as("SwapTargetDown for a live target").isEmpty();
        // (SwapNoHealthyWorker may be pending for a moment if a spurious stall takes worker-b out; firing needs 30 s)
        assertThat(prometheus.query("ALERTS{alertstate=\"firing\",alertname=~\"SwapSequenceError|SwapNoHealthyWorker|SwapClientReconnects\"}"))
                .as("alerts that must stay quiet").isEmpty();
        assertThat(prometheus.query("ALERTS{alertname=\"SwapSequenceError\"}")).as("SwapSequenceError, even pending").isEmpty();
        assertThat(prometheus.query("ALERTS{alertname=~\"SwapTaskFailing|SwapDirectorAtCapacity|SwapGatewayAtCapacity|"
                + "SwapLimitHitsHigh|SwapMigrationLimitReached|SwapGenerationErrorsHigh|SwapCertificateExpiring\"}"))
                .as("alerts of the new series, even pending")
                .isEmpty();

        // the service-level series, as the dashboard's SLO panels read them
        await("generations completed and counted by finish reason").atMost(DEADLINE).pollInterval(POLL)
                .until(() -> prometheus.single("sum(connection_swap_generations_total{finish_reason=\"length\"})")
                        .orElse(0.0) >= 1);
        assertThat(prometheus.single("sum(connection_swap_generations_total{finish_reason=\"error\"})"))
                .as("no generation ended in an error").contains(0.0);
        assertThat(prometheus.single("sum(connection_swap_streams_started_total{kind=\"new\"})"))
                .hasValueSatisfying(started -> assertThat(started).isGreaterThanOrEqualTo(2));
        assertThat(prometheus.single("sum(connection_swap_streams_started_total{kind=\"resumed\"})"))
                .as("the swapped generation resumed on a new stream")
                .hasValueSatisfying(resumed -> assertThat(resumed).isGreaterThanOrEqualTo(1));
        String ratio = "sum(increase(connection_swap_swaps_total[5m])) "
                + "/ sum(increase(connection_swap_streams_started_total{kind=\"new\"}[5m]))";
        assertThat(prometheus.single(ratio)).as(ratio)
                .hasValueSatisfying(value -> assertThat(value).isFinite().isGreaterThan(0));
        for (String histogram : List.of("connection_swap_time_to_first_token_seconds",
                "connection_swap_client_time_to_first_token_seconds")) {
            String ttft = "histogram_quantile(0.99, sum by (le) (rate(" + histogram + "_bucket[5m])))";
            await(ttft).atMost(DEADLINE).pollInterval(POLL)
                    .until(() -> prometheus.single(ttft).filter(Double::isFinite).isPresent());
            assertThat(prometheus.single(ttft).orElseThrow()).as(ttft).isGreaterThan(0).isLessThan(10);
        }

        // every connection_swap_* series the processes export is documented, and none is left outside the namespace
        ReadmeMetrics readme = ReadmeMetrics.read();
        for (ServiceProcess process : List.of(director, workerB, client)) {
            Set<String> names = process.metrics().names();
            assertThat(names).as("%s: series outside the connection_swap_ namespace", process.name())
                    .noneMatch(name -> name.startsWith("swap_"));
            assertThat(names).as("%s: series missing from README.md, section Metrics", process.name())
                    .filteredOn(name -> name.startsWith("connection_swap_"))
                    .allMatch(readme::documents);
        }
        // and every series the table lists for a role is there: a user scraping it finds each row
        Map<String, ServiceProcess> roles = Map.of("director", director, "worker", workerB, "client", client);
        roles.forEach((role, process) -> assertThat(process.metrics().names())
                .as("%s: series README.md, section Metrics, lists for the %s but it does not export", process.name(), role)
                .containsAll(readme.samplesOf(role)));

        // every dashboard query runs against the real series (variables at "All")
        Map<String, Integer> dashboardResults = dashboardQueries();
        assertThat(dashboardResults).as("dashboard queries").hasSizeGreaterThan(30);
        String streamsStarted = "Streams started per minute: new vs resumed, and on the client token stream";
        for (String panel : List.of("Swap ratio", "Time to first token p50 / p99",
                "Generations per minute by finish reason", streamsStarted)) {
            assertThat(dashboardResults).as("results of panel %s", panel)
                    .hasEntrySatisfying(panel + " A", count -> assertThat(count).isPositive());
        }
        // the client asks for the client token stream (its default), so its streams are counted there too
        assertThat(dashboardResults).as("results of panel %s", streamsStarted)
                .hasEntrySatisfying(streamsStarted + " B", count -> assertThat(count).isPositive());
        assertThat(prometheus.single("sum(connection_swap_client_token_stream_streams_total)"))
                .as("streams on the client token stream")
                .hasValueSatisfying(onTokenStream -> assertThat(onTokenStream).isGreaterThanOrEqualTo(2));

        System.out.printf(Locale.ROOT, "prometheus: swaps by reason %s, p99 swap gap %.1f ms (director max %.1f ms)%n",
                byReason, p99 * 1000, gapMax * 1000);
    }

    /**
     * Runs every query of the dashboard with its variables at "All" ({@code .*}), {@code $__rate_interval} as 1m
     * and {@code $__range} as 5m; a query Prometheus refuses fails. Returns "panel refId" to the number of series.
     */
    private Map<String, Integer> dashboardQueries() {
        JsonNode dashboard;
        try {
            dashboard = JsonMapper.builder().build().readTree(Files.readString(
                    ProcessCluster.repositoryRoot().resolve("monitoring/grafana/dashboards/connection-swap.json")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, Integer> results = new TreeMap<>();
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                String expr = target.path("expr").asString()
                        .replace("$namespace", ".*").replace("$job", ".*").replace("$instance", ".*")
                        .replace("$__rate_interval", "1m").replace("$__range", "5m");
                results.put(panel.path("title").asString() + " " + target.path("refId").asString(),
                        prometheus.query(expr).size());
            }
        }
        return results;
    }

    /** {@code up} of every target, keyed by the {@code process} label of the generated config. */
    private Map<String, Double> upByProcess() {
        return prometheus.byLabel("up", "process");
    }

    private static Map<String, Double> swapsByReason(PrometheusText director) {
        Map<String, Double> byReason = new TreeMap<>();
        for (PrometheusText.Sample sample : director.samples("connection_swap_swaps_total")) {
            byReason.merge(sample.labels().get("reason"), sample.value(), Double::sum);
        }
        byReason.values().removeIf(count -> count == 0);
        return byReason;
    }
}
