package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.systemtest.support.DumpLogsOnFailure;
import io.connectionswap.systemtest.support.ProcessCluster;
import io.connectionswap.testsupport.process.ServiceProcess;
import io.connectionswap.testsupport.prometheus.PrometheusText;
import java.time.Duration;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A generation survives the loss of its director: two director replicas, workers registered with both, and a
 * client that knows both addresses. When the director it is connected to is killed, the client reconnects to the
 * other replica and resumes every generation after its last sequence number.
 */
@ExtendWith(DumpLogsOnFailure.class)
class DirectorFailoverIT {

    @AutoClose
    private ProcessCluster cluster;

    @Test
    void clientResumesItsGenerationsAtAnotherDirectorReplica() {
        cluster = new ProcessCluster("directorFailover", "50ms").withDirectorReplicas(2);
        ServiceProcess first = cluster.startDirector();
        ServiceProcess second = cluster.startDirector();
        cluster.startTwoWorkers();
        ServiceProcess client = cluster.startStreamingClient(20);
        assertThat(first.metrics().sum("connection_swap_streams_active")).isEqualTo(2);

        first.kill9();

        await("client reconnected").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> client.metrics().sum("connection_swap_client_reconnects_total") == 1);
        double atReconnect = client.metrics().sum("connection_swap_client_tokens_total");
        await("tokens keep coming through the second director").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> client.metrics().sum("connection_swap_client_tokens_total") >= atReconnect + 40);
        PrometheusText clientMetrics = client.metrics();
        assertThat(clientMetrics.sum("connection_swap_client_sequence_errors_total")).isZero();
        assertThat(clientMetrics.sum("connection_swap_client_reconnects_total", "cause", "director_lost"))
                .as("a killed director is lost, not leaving: SwapClientReconnects fires").isEqualTo(1);
        assertThat(second.metrics().sum("connection_swap_connections_opened_total", "peer", "client")).isEqualTo(1);
        assertThat(second.logLines("client opened stream").stream().anyMatch(line -> !line.contains("resume.after=0")))
                .as("the second director resumed a generation after its last sequence").isTrue();
        assertThat(cluster.leakReports()).isEmpty();
    }
}
