package io.connectionswap.client.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import io.connectionswap.protocol.message.ClusterStatus;
import io.connectionswap.swapclient.ConnectionState;
import io.connectionswap.swapclient.SwapClient;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * The key check reads the path as the router does: the key check read the raw (still percent-encoded) path while the
 * router matched the decoded one, so {@code /v%31/models} (or {@code /%761/...}, or with a path parameter:
 * {@code /v1;x=y/models}) was routed to {@code /v1/models} without any key, and {@code POST /v%31/chat/completions}
 * reached the request parser (and, with a valid body, the director).
 */
class ApiKeyPathBypassTest {

    private final SwapClient client = mock(SwapClient.class);
    private final WebTestClient http;

    ApiKeyPathBypassTest() {
        when(client.status()).thenReturn(CompletableFuture.completedFuture(new ClusterStatus("director-1", List.of(
                new ClusterStatus.WorkerStatus("worker-a", "127.0.0.1:1", "HEALTHY", true, 0, List.of("stand-in"))))));
        when(client.connectionState()).thenReturn(new ConnectionState(true,
                "127.0.0.1:1", null, 0, null));
        http = GatewayOnSpringsRouter.http(client, new ApiKeyFilter(List.of("secret")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/v1/models", "/v%31/models", "/%761/models", "/api/st%61tus", "/v1;x=y/models", "/api;x/status"})
    void anEncodedSpellingOfAnApiPathStillNeedsAKey(String path) {
        http.get().uri(URI.create(path)).exchange().expectStatus().isUnauthorized();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/v1/chat/completions", "/v%31/chat/completions", "/v1/chat/c%6Fmpletions"})
    void anEncodedSpellingOfTheGenerationPathStillNeedsAKey(String path) {
        http.post().uri(URI.create(path)).header("Content-Type", "application/json").bodyValue("{}").exchange()
                .expectStatus().isUnauthorized();
    }

    @Test
    void theEncodedSpellingReachesTheRoute() {
        http.get().uri(URI.create("/v%31/models")).header("Authorization", "Bearer secret").exchange()
                .expectStatus().isOk().expectBody(String.class)
                .value(body -> assertThat(body).contains("stand-in"));
    }
}
