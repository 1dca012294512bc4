package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.systemtest.support.DumpLogsOnFailure;
import io.connectionswap.systemtest.support.ProcessCluster;
import io.connectionswap.testsupport.process.ServiceProcess;
import io.connectionswap.testsupport.prometheus.PrometheusText;
import java.time.Duration;
import java.time.LocalTime;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A rolling restart of directors without a stalled stream: two director replicas, workers registered with both, a
 * client that knows both addresses and runs two generations through the first. SIGTERM to that director: it drains
 * (readiness down, GOAWAY, RETRY at the last token), the client moves to the other replica and resumes there; every
 * generation completes with no sequence error, and no token waits anywhere near the heartbeat timeout (3.5 s), which
 * is what a crashed director costs.
 */
@ExtendWith(DumpLogsOnFailure.class)
class DirectorDrainIT {

    private static final Pattern TOKEN = Pattern.compile(
            "^(\\d\\d:\\d\\d:\\d\\d\\.\\d{3}) .*generation\\.id=(\\S+) sequence=(\\d+) received token");
    private static final Duration HEARTBEAT_TIMEOUT = Duration.ofMillis(3500);

    @AutoClose
    private ProcessCluster cluster;

    @Test
    void sigtermMovesEveryGenerationToTheOtherDirectorWithoutAStall() {
        cluster = new ProcessCluster("directorDrain", "50ms").withDirectorReplicas(2);
        ServiceProcess first = cluster.startDirector("CONNECTION_SWAP_DIRECTOR_DRAIN_TIMEOUT=5s");
        ServiceProcess second = cluster.startDirector();
        cluster.startTwoWorkers();
        ServiceProcess client = cluster.startStreamingClient(20);
        assertThat(first.metrics().sum("connection_swap_streams_active")).isEqualTo(2);
        double completedBefore = client.metrics().sum("connection_swap_client_generations_total");

        long sigtermNanos = System.nanoTime();
        first.sigterm();

        assertThat(first.waitForExit(Duration.ofSeconds(30))).as("the director exits after its drain").isTrue();
        Duration exitAfter = Duration.ofNanos(System.nanoTime() - sigtermNanos);
        await("client moved to the other director").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> client.metrics().sum("connection_swap_client_reconnects_total") == 1);
        await("the two generations running at the SIGTERM complete, and the next ones too")
                .atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> client.metrics().sum("connection_swap_client_generations_total") >= completedBefore + 4);

        PrometheusText clientMetrics = client.metrics();
        assertThat(clientMetrics.sum("connection_swap_client_sequence_errors_total")).isZero();
        assertThat(clientMetrics.sum("connection_swap_client_reconnects_total")).isEqualTo(1);
        assertThat(clientMetrics.sum("connection_swap_client_reconnects_total", "cause", "director_leaving"))
                .as("the move the draining director asked for (GOAWAY): no SwapClientReconnects alert").isEqualTo(1);
        assertThat(clientMetrics.sum("connection_swap_client_reconnects_total", "cause", "director_lost")).isZero();
        assertThat(second.metrics().sum("connection_swap_connections_opened_total", "peer", "client")).isEqualTo(1);
        assertThat(second.logLines("client opened stream").stream().filter(line -> !line.contains("resume.after=0")).count())
                .as("both running generations resumed at the second director after their last token").isEqualTo(2);

        // the drain, step by step, in the first director's log
        assertThat(first.logLines("director draining; readiness down, new streams refused")).hasSize(1);
        assertThat(first.logLines("sent goaway to clients")).singleElement().asString()
                .contains("connections=1 without.control.stream=0");
        assertThat(first.logLines("ended generations with retry at their last token")).singleElement().asString()
                .contains("streams=2");
        // the drain completes as soon as the old connection is idle: every stream that ended with RETRY is
        // released at both FINs (QuicStreams.finish), not held until a timeout
        assertThat(first.logLines("drain complete; closing remaining connections")).hasSize(1);
        assertThat(first.logLines("drain timed out")).isEmpty();
        assertThat(first.logLines("quic server stopped")).hasSize(1);

        // the client moved on GOAWAY, never on a heartbeat timeout, and no generation failed
        assertThat(client.logLines("director is going away")).hasSize(1);
        assertThat(client.logLines("director stopped answering heartbeats")).isEmpty();
        assertThat(client.logLines("generation failed")).isEmpty();

        Map<String, Duration> pauses = longestPauseOfEachGeneration(client.logLines("received token"));
        Set<String> moved = resumedGenerations(second);
        Duration worst = moved.stream().map(pauses::get).max(Duration::compareTo).orElseThrow();
        System.out.printf("director drain: exit after %d ms; pauses of the moved generations %s ms; worst %d ms "
                        + "(heartbeat timeout %d ms)%n", exitAfter.toMillis(),
                moved.stream().map(id -> pauses.get(id).toMillis()).toList(), worst.toMillis(),
                HEARTBEAT_TIMEOUT.toMillis());
        assertThat(worst).as("no generation waits for a heartbeat timeout").isLessThan(Duration.ofMillis(1500));
        assertThat(cluster.leakReports()).isEmpty();
    }

    /** Generations the second director resumed (its streams that did not start at sequence 0). */
    private static Set<String> resumedGenerations(ServiceProcess director) {
        Set<String> ids = new HashSet<>();
        Pattern generation = Pattern.compile("generation\\.id=(\\S+)");
        for (String line : director.logLines("client opened stream")) {
            Matcher matcher = generation.matcher(line);
            if (!line.contains("resume.after=0") && matcher.find()) {
                ids.add(matcher.group(1));
            }
        }
        assertThat(ids).hasSize(2);
        return ids;
    }

    /** For each generation the longest time between two consecutive tokens the client received. */
    private static Map<String, Duration> longestPauseOfEachGeneration(List<String> tokenLines) {
        Map<String, LocalTime> last = new HashMap<>();
        Map<String, Duration> longest = new HashMap<>();
        for (String line : tokenLines) {
            Matcher matcher = TOKEN.matcher(line);
            if (!matcher.find()) {
                continue;
            }
            LocalTime at = LocalTime.parse(matcher.group(1));
            String id = matcher.group(2);
            LocalTime previous = last.put(id, at);
            if (previous != null) {
                Duration gap = Duration.between(previous, at);
                longest.merge(id, gap, (a, b) -> a.compareTo(b) >= 0 ? a : b);
            }
        }
        return longest;
    }
}
