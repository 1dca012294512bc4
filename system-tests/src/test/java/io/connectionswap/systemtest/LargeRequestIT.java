package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.model.DeterministicTokenModel;
import io.connectionswap.systemtest.support.DumpLogsOnFailure;
import io.connectionswap.systemtest.support.GatewayHttp;
import io.connectionswap.systemtest.support.ProcessCluster;
import io.connectionswap.testsupport.process.ServiceProcess;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Requests at the gateway's size limit (the default {@code CONNECTION_SWAP_MAX_REQUEST_BYTES}, 4 MiB) are served
 * like any other and do not make a healthy worker look hung: four chats of almost 4 MB at once, while two ordinary
 * streams run, all complete, and the director swaps nothing. (A stand-in that split its prompt into a string per word
 * held its loop long enough for the director to declare it hung and move every stream on it.)
 */
@ExtendWith(DumpLogsOnFailure.class)
class LargeRequestIT {

    private static final DeterministicTokenModel MODEL = new DeterministicTokenModel();
    private static final int BIG_REQUESTS = 4;

    @AutoClose
    private ProcessCluster cluster;

    @Test
    void fourRequestsAtTheSizeLimitAtOnceAreServedAndMoveNoOtherStream() {
        cluster = new ProcessCluster("LargeRequestIT", "200ms");
        cluster.startDirector();
        cluster.startTwoWorkers();
        ServiceProcess gatewayProcess = cluster.startGateway();
        GatewayHttp gateway = new GatewayHttp(gatewayProcess.httpPort());

        List<CompletableFuture<HttpResponse<String>>> ordinary = IntStream.rangeClosed(1, 2)
                .mapToObj(i -> CompletableFuture.supplyAsync(() -> gateway.post("/v1/completions",
                        "{\"model\":\"stand-in\",\"prompt\":\"ordinary " + i + "\",\"max_tokens\":25,\"stream\":true}")))
                .toList();
        String big = "{\"model\":\"stand-in\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\""
                + "a ".repeat(1950 * 1024) + "\"}]}";
        assertThat(big.length()).as("just under 4 MiB").isBetween(3_900_000, 4 * 1024 * 1024);
        List<CompletableFuture<HttpResponse<String>>> bigOnes = IntStream.range(0, BIG_REQUESTS)
                .mapToObj(i -> CompletableFuture.supplyAsync(() -> gateway.post("/v1/chat/completions", big)))
                .toList();

        for (CompletableFuture<HttpResponse<String>> answer : bigOnes) {
            HttpResponse<String> response = answer.join();
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            assertThat(GatewayHttp.json(response.body()).path("usage").path("prompt_tokens").asInt())
                    .isGreaterThan(1950 * 1024);
        }
        for (int i = 0; i < ordinary.size(); i++) {
            HttpResponse<String> response = ordinary.get(i).join();
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(GatewayHttp.text(GatewayHttp.chunks(response.body())))
                    .isEqualTo(MODEL.text("ordinary " + (i + 1), 1, 25));
        }
        assertThat(cluster.director().metrics().sum("connection_swap_swaps_total"))
                .as("no worker was taken for hung, no stream moved").isZero();
    }
}
