package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.systemtest.support.DumpLogsOnFailure;
import io.connectionswap.systemtest.support.GatewayHttp;
import io.connectionswap.systemtest.support.PipelinedHttp;
import io.connectionswap.systemtest.support.ProcessCluster;
import io.connectionswap.systemtest.support.Series;
import io.connectionswap.testsupport.net.LoopbackHttp;
import io.connectionswap.testsupport.net.Ports;
import io.connectionswap.testsupport.process.ServiceProcess;
import io.connectionswap.testsupport.prometheus.PrometheusText;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code CONNECTION_SWAP_GATEWAY_MAX_CONNECTIONS} on the real client-service jar: past the limit a new HTTP
 * connection is closed unanswered, once WARN while full, once INFO with the count when a place frees up, each refusal
 * counted; the connections already open are served throughout, and a new one is served again once one closes. With
 * {@code MANAGEMENT_SERVER_PORT}, Actuator has a port of its own, outside the limit: probes and scrapes still work
 * while the gateway's port is full.
 */
@ExtendWith(DumpLogsOnFailure.class)
class GatewayConnectionLimitIT {

    private static final int MAX_CONNECTIONS = 4;
    private static final Duration READ_DEADLINE = Duration.ofSeconds(20);
    private static final String FULL = "gateway http connections at their limit; new ones are closed at once";
    private static final String FREE_AGAIN = "gateway http connections below their limit again";

    @AutoClose
    private ProcessCluster cluster;
    private final List<PipelinedHttp> sockets = new ArrayList<>();

    @Test
    @Timeout(180)
    void connectionsPastTheLimitAreClosedUnansweredLoggedAndCountedUntilOneFrees() throws Exception {
        cluster = new ProcessCluster("GatewayConnectionLimitIT", "50ms");
        cluster.startDirector();
        ServiceProcess gateway = cluster.startClient("CONNECTION_SWAP_CLIENT_DEMO=false",
                "CONNECTION_SWAP_GATEWAY_MAX_CONNECTIONS=" + MAX_CONNECTIONS);
        cluster.awaitReady(gateway);
        assertThat(gateway.logLines("gateway http connection limit")).singleElement().asString()
                .contains("max.connections=" + MAX_CONNECTIONS);
        try {
            // the test's own HTTP client keeps a pooled connection or two: fill the places left with raw sockets
            List<PipelinedHttp> admitted = new ArrayList<>();
            PipelinedHttp refused = null;
            while (refused == null) {
                assertThat(admitted).as("connections admitted under a limit of %d", MAX_CONNECTIONS)
                        .hasSizeLessThanOrEqualTo(MAX_CONNECTIONS);
                PipelinedHttp next = open(gateway);
                if (answered(next)) {
                    admitted.add(next);
                } else {
                    refused = next;
                }
            }
            assertThat(admitted).as("raw sockets that got a place (the test's HTTP client pools one connection)")
                    .hasSizeGreaterThanOrEqualTo(2);
            assertThat(answered(open(gateway))).as("a second connection while full").isFalse();
            gateway.awaitLogLines(FULL, 1);
            for (PipelinedHttp kept : admitted) {
                assertThat(answered(kept)).as("an admitted keep-alive connection while full").isTrue();
            }
            assertThat(gateway.logLines(FULL)).as("one WARN while full, not one per refusal").hasSize(1);

            admitted.remove(0).close();
            assertThat(gateway.awaitLogLines(FREE_AGAIN, 1)).singleElement().asString().contains("refused=2");
            assertThat(gateway.metrics().sum(Series.LIMIT_HITS, "limit", "gateway_connections"))
                    .as("refusals counted").isEqualTo(2);
            admitted.remove(0).close();
            assertThat(answered(open(gateway))).as("a new connection once places are free").isTrue();
        } finally {
            closeSockets();
        }
    }

    @Test
    @Timeout(180)
    void actuatorOnAPortOfItsOwnAnswersProbesAndScrapesWhileTheGatewayIsFull() throws Exception {
        cluster = new ProcessCluster("GatewayConnectionLimitIT-management", "50ms");
        cluster.startDirector();
        int management = Ports.freeTcpPort();
        ServiceProcess gateway = cluster.startClient("CONNECTION_SWAP_CLIENT_DEMO=false",
                "CONNECTION_SWAP_GATEWAY_MAX_CONNECTIONS=" + MAX_CONNECTIONS, "MANAGEMENT_SERVER_PORT=" + management);
        await("the gateway's Actuator answers on its own port").atMost(ProcessCluster.STARTUP)
                .pollInterval(Duration.ofMillis(250))
                .until(() -> LoopbackHttp.getOk(management, "/actuator/health/readiness") != null);
        // Actuator's port serves Actuator only: not the gateway's API, its live page or its static files
        GatewayHttp actuatorPort = new GatewayHttp(management);
        for (String path : List.of("/v1/models", "/api/status", "/", "/index.html")) {
            assertThat(actuatorPort.get(path).statusCode()).as("GET %s on the management port", path).isEqualTo(404);
        }
        assertThat(actuatorPort.post("/v1/completions", "{\"model\":\"stand-in\",\"prompt\":\"x\"}").statusCode())
                .as("POST /v1/completions on the management port").isEqualTo(404);
        try {
            // nothing else uses the gateway's port: exactly the limit is admitted
            for (int i = 0; i < MAX_CONNECTIONS; i++) {
                assertThat(answered(open(gateway))).as("connection %d of %d", i + 1, MAX_CONNECTIONS).isTrue();
            }
            assertThat(answered(open(gateway))).as("one past the limit").isFalse();
            gateway.awaitLogLines(FULL, 1);

            assertThat(LoopbackHttp.getOk(management, "/actuator/health/liveness")).as("a probe while full")
                    .contains("\"UP\"");
            PrometheusText metrics = PrometheusText.parse(LoopbackHttp.getOk(management, "/actuator/prometheus"));
            assertThat(metrics.sum("connection_swap_gateway_http_connections")).as("the gateway's port only")
                    .isEqualTo(MAX_CONNECTIONS);
            assertThat(metrics.sum(Series.LIMIT_HITS, "limit", "gateway_connections")).isEqualTo(1);
        } finally {
            closeSockets();
        }
    }

    private void closeSockets() throws IOException {
        for (PipelinedHttp socket : sockets) {
            socket.close();
        }
        sockets.clear();
    }

    private PipelinedHttp open(ServiceProcess gateway) throws IOException {
        PipelinedHttp socket = new PipelinedHttp(gateway.httpPort(), READ_DEADLINE);
        sockets.add(socket);
        return socket;
    }

    /**
     * True when {@code GET /v1/models} gets an answer on this connection, whatever its status (503 while the client
     * is not yet connected to its director); false when the connection is closed unanswered.
     */
    private static boolean answered(PipelinedHttp connection) {
        if (!connection.writeIfOpen("GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII))) {
            return false;
        }
        try {
            connection.read(); // an HTTP/1.1 answer, or an IOException
            return true;
        } catch (SocketTimeoutException silent) {
            throw new AssertionError("the gateway neither answered nor closed the connection in " + READ_DEADLINE,
                    silent);
        } catch (IOException closedUnanswered) {
            return false;
        }
    }
}
