package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.model.DeterministicTokenModel;
import io.connectionswap.systemtest.support.DumpLogsOnFailure;
import io.connectionswap.systemtest.support.GatewayHttp;
import io.connectionswap.systemtest.support.ProcessCluster;
import io.connectionswap.systemtest.support.SseReader;
import io.connectionswap.testsupport.process.ServiceProcess;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;

/**
 * SIGTERM to the gateway (the real client-service jar) with answers running that outlast its graceful shutdown phase
 * (6 s here): a stream that ends in time gets all its text and {@code [DONE]}; a stream still running is ended a little
 * before the phase runs out with the gateway's mid-stream error event, code {@code shutting_down}, and a proper end of
 * its chunked body (not a cut connection: curl's exit code 18); a {@code stream: false} request still collecting gets
 * 503 {@code shutting_down} with {@code Retry-After}. Their generations are cancelled on the worker, and the gateway
 * says in one line how many answers it ended so. A new connection is refused from the SIGTERM on.
 */
@ExtendWith(DumpLogsOnFailure.class)
class GatewayShutdownIT {

    private static final DeterministicTokenModel MODEL = new DeterministicTokenModel();
    private static final Duration SHUTDOWN_PHASE = Duration.ofSeconds(6);

    @AutoClose
    private ProcessCluster cluster;

    @Test
    void answersOutlastingTheShutdownPhaseEndWithShuttingDownInsteadOfACutConnection() throws Exception {
        cluster = new ProcessCluster("GatewayShutdownIT", "200ms");
        cluster.startDirector();
        ServiceProcess worker = cluster.startWorker("worker-a");
        cluster.awaitHealthyWorkers(1);
        ServiceProcess gateway = cluster.startGateway(
                "SPRING_LIFECYCLE_TIMEOUTPERSHUTDOWNPHASE=" + SHUTDOWN_PHASE.toSeconds() + "s");
        GatewayHttp http = new GatewayHttp(gateway.httpPort());

        SseReader endless = SseReader.start(http, "/v1/completions",
                "{\"model\":\"stand-in\",\"prompt\":\"longer than the shutdown\",\"max_tokens\":2000,\"stream\":true}");
        CompletableFuture<HttpResponse<String>> collecting = http.client().sendAsync(http.request("/v1/completions",
                "{\"model\":\"stand-in\",\"prompt\":\"collected too long\",\"max_tokens\":2000}").build(),
                HttpResponse.BodyHandlers.ofString());
        String shortPrompt = "done in time";
        SseReader inTime = SseReader.start(http, "/v1/completions",
                "{\"model\":\"stand-in\",\"prompt\":\"" + shortPrompt + "\",\"max_tokens\":8,\"stream\":true}");
        endless.awaitChunks(2, Duration.ofSeconds(30));
        await("the worker serves the three generations").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> worker.metrics().sum("connection_swap_worker_streams_active") == 3);

        long sigtermNanos = System.nanoTime();
        gateway.sigterm();
        await("a new connection is refused (Spring's graceful shutdown closes the listening socket)")
                .atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                .until(() -> refusesConnections(gateway.httpPort()));

        assertThat(inTime.awaitDone(Duration.ofSeconds(30))).as("the stream that ends in time gets its [DONE]").isTrue();
        assertThat(inTime.text()).isEqualTo(MODEL.text(shortPrompt, 1, 8));

        boolean done = endless.awaitDone(SHUTDOWN_PHASE.plusSeconds(20));
        long endedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sigtermNanos);
        assertThat(endless.broken()).as("the stream still running when the phase ran out is ended, not cut").isNull();
        assertThat(done).as("no [DONE] after the error event").isFalse();
        assertThat(endless.error()).as("the stream's error event").isNotNull();
        JsonNode error = GatewayHttp.json(endless.error());
        assertThat(error.path("code").asString()).isEqualTo("shutting_down");
        assertThat(error.path("type").asString()).isEqualTo("service_unavailable_error");
        assertThat(error.path("message").asString()).contains("shutting down").contains("retry");
        assertThat(endless.text()).as("every token before the error event, in order")
                .isEqualTo(MODEL.text("longer than the shutdown", 1, endless.chunks()));
        assertThat(endedMs).as("ended shortly before the shutdown phase runs out")
                .isBetween(SHUTDOWN_PHASE.toMillis() / 2, SHUTDOWN_PHASE.toMillis());

        HttpResponse<String> collected = collecting.get(30, TimeUnit.SECONDS);
        assertThat(collected.statusCode()).as("stream=false still collecting: %s", collected.body()).isEqualTo(503);
        assertThat(collected.headers().firstValue("Retry-After")).isPresent();
        JsonNode collectedError = GatewayHttp.json(collected.body()).path("error");
        assertThat(collectedError.path("code").asString()).isEqualTo("shutting_down");
        assertThat(collectedError.path("type").asString()).isEqualTo("service_unavailable_error");

        assertThat(gateway.waitForExit(Duration.ofSeconds(30))).as("the gateway exits").isTrue();
        await("the worker stops generating for the gateway that left").atMost(Duration.ofSeconds(15))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> worker.metrics().sum("connection_swap_worker_streams_active") == 0);
        assertThat(gateway.logLines("answers ended at shutdown")).as("one line for all of them").hasSize(1)
                .first().asString().contains("answers=2");
        assertThat(cluster.leakReports()).isEmpty();
    }

    private static boolean refusesConnections(int port) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return false;
        } catch (ConnectException refused) {
            return true;
        }
    }
}
