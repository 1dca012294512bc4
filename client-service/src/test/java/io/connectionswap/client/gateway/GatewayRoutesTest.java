package io.connectionswap.client.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.ClusterStatus;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.swapclient.ConnectionState;
import io.connectionswap.swapclient.GenerationException;
import io.connectionswap.swapclient.GenerationOptions;
import io.connectionswap.swapclient.SwapClient;
import io.connectionswap.testsupport.log.CapturedLogs;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpMethod;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.adapter.JdkFlowAdapter;
import reactor.core.publisher.Flux;

/**
 * The gateway's URL table on Spring's real router and {@link GatewayErrorHandler}, with a {@link SwapClient} that
 * answers STATUS from memory: the model lookup, OpenAI's error JSON for a wrong method or an unknown URL, and error
 * bodies that name no internal address while the director is out of reach.
 */
class GatewayRoutesTest {

    private final SwapClient client = mock(SwapClient.class);
    private final WebTestClient http;

    GatewayRoutesTest() {
        when(client.status()).thenReturn(CompletableFuture.completedFuture(new ClusterStatus("director-1", List.of(
                new ClusterStatus.WorkerStatus("worker-a", "127.0.0.1:1", "HEALTHY", true, 0,
                        List.of("stand-in", "meta-llama/Llama-3.1-8B")),
                new ClusterStatus.WorkerStatus("worker-b", "127.0.0.1:2", "UNHEALTHY", false, 0,
                        List.of("only-on-a-down-worker"))))));
        http = GatewayOnSpringsRouter.http(client);
    }

    @Test
    void aModelIsRetrievedByItsIdSlashesIncluded() {
        http.get().uri("/v1/models/stand-in").exchange().expectStatus().isOk().expectBody()
                .jsonPath("$.id").isEqualTo("stand-in").jsonPath("$.object").isEqualTo("model")
                .jsonPath("$.owned_by").isEqualTo("connection-swap");
        http.get().uri("/v1/models/meta-llama/Llama-3.1-8B").exchange().expectStatus().isOk().expectBody()
                .jsonPath("$.id").isEqualTo("meta-llama/Llama-3.1-8B");
        // encoded, as the OpenAI SDK sends it
        http.get().uri(URI.create("/v1/models/meta-llama%2FLlama-3.1-8B")).exchange().expectStatus().isOk().expectBody()
                .jsonPath("$.id").isEqualTo("meta-llama/Llama-3.1-8B");
        http.get().uri("/v1/models").exchange().expectStatus().isOk().expectBody()
                .jsonPath("$.data[*].id").isEqualTo(List.of("stand-in", "meta-llama/Llama-3.1-8B"));
    }

    @Test
    void aModelNoWorkerServesIsNotFound() {
        for (String model : List.of("no-such-model", "meta-llama")) {
            http.get().uri("/v1/models/" + model).exchange().expectStatus().isNotFound().expectBody()
                    .jsonPath("$.error.code").isEqualTo("model_not_found")
                    .jsonPath("$.error.param").isEqualTo("model")
                    .jsonPath("$.error.message").value(message -> assertThat((String) message).contains(model));
        }
    }

    /**
     * {@code GET /v1/models/{model}} took a path of any length or content as a model id: a long one came back whole in
     * the 404's message, and while no worker was registered any name was a 503 "retry later", one no worker can ever
     * register among them. Now a name that breaks the model-name rule is 404 model_not_found at once, without asking
     * the director, its message quoting at most GenerationRequest.MAX_MODEL_CHARS characters of it.
     */
    @Test
    void aModelNameNoWorkerCanRegisterIsNotFoundWithoutAskingTheDirector() {
        when(client.status()).thenReturn(CompletableFuture.completedFuture(new ClusterStatus("director-1", List.of())));
        String huge = "m".repeat(4 * GenerationRequest.MAX_MODEL_CHARS);
        http.get().uri("/v1/models/" + huge).exchange().expectStatus().isNotFound().expectBody()
                .jsonPath("$.error.code").isEqualTo("model_not_found")
                .jsonPath("$.error.param").isEqualTo("model")
                .jsonPath("$.error.message").value(message -> assertThat((String) message)
                        .contains("'" + "m".repeat(GenerationRequest.MAX_MODEL_CHARS) + "...'")
                        .doesNotContain("m".repeat(GenerationRequest.MAX_MODEL_CHARS + 1)));
        http.get().uri(URI.create("/v1/models/stand-in%0Aforged")).exchange().expectStatus().isNotFound().expectBody()
                .jsonPath("$.error.code").isEqualTo("model_not_found")
                .jsonPath("$.error.message").value(message -> assertThat((String) message)
                        .contains("'stand-in?forged'"));
        verify(client, never()).status();
    }

    @Test
    void aModelOnlyDownWorkersServeIsUnavailableForNowAsItsGenerationsAre() {
        http.get().uri("/v1/models/only-on-a-down-worker").exchange().expectStatus().isEqualTo(503)
                .expectHeader().valueEquals("Retry-After", "2")
                .expectBody().jsonPath("$.error.code").isEqualTo("no_healthy_worker")
                .jsonPath("$.error.message").value(message -> assertThat((String) message)
                        .contains("only-on-a-down-worker", "2 registered"));
    }

    @Test
    void noModelIsKnownWhileNoWorkerIsRegisteredSoAnyIsUnavailableForNow() {
        when(client.status()).thenReturn(CompletableFuture.completedFuture(new ClusterStatus("director-1", List.of())));
        http.get().uri("/v1/models/stand-in").exchange().expectStatus().isEqualTo(503)
                .expectBody().jsonPath("$.error.code").isEqualTo("no_healthy_worker");
        http.get().uri("/v1/models").exchange().expectStatus().isOk().expectBody()
                .jsonPath("$.data").isEmpty();
    }

    @Test
    void headIsServedWhereGetIsAndModelsCarryACreationTime() {
        http.head().uri("/v1/models").exchange().expectStatus().isOk();
        http.head().uri("/v1/models/stand-in").exchange().expectStatus().isOk();
        http.get().uri("/v1/models").exchange().expectStatus().isOk().expectBody()
                .jsonPath("$.data[0].created").value(created -> assertThat(((Number) created).longValue())
                        .isGreaterThan(1_700_000_000L));
    }

    @Test
    void theApiRootsWithoutASlashAreUnknownUrlsToo() {
        for (String path : List.of("/v1", "/api")) {
            http.get().uri(path).exchange().expectStatus().isNotFound().expectBody()
                    .jsonPath("$.error.code").isEqualTo("unknown_url");
            http.post().uri(path).exchange().expectStatus().isNotFound().expectBody()
                    .jsonPath("$.error.code").isEqualTo("unknown_url");
        }
    }

    @Test
    void anotherMethodOnAServedPathIs405WithAllow() {
        record Case(HttpMethod method, String path, String allow) { }
        for (Case wrong : List.of(new Case(HttpMethod.GET, "/v1/completions", "POST"),
                new Case(HttpMethod.PUT, "/v1/chat/completions", "POST"),
                new Case(HttpMethod.POST, "/v1/models", "GET, HEAD"),
                new Case(HttpMethod.DELETE, "/v1/models/stand-in", "GET, HEAD"),
                new Case(HttpMethod.POST, "/api/status", "GET, HEAD"))) {
            http.method(wrong.method()).uri(wrong.path()).exchange()
                    .expectStatus().isEqualTo(405)
                    .expectHeader().valueEquals("Allow", wrong.allow())
                    .expectBody()
                    .jsonPath("$.error.code").isEqualTo("method_not_allowed")
                    .jsonPath("$.error.type").isEqualTo("invalid_request_error")
                    .jsonPath("$.error.message").isEqualTo("Method " + wrong.method().name() + " is not allowed on "
                            + wrong.path() + ": use " + wrong.allow());
        }
    }

    @Test
    void anUnknownUrlUnderTheApiPathsIs404NamingWhatIsServed() {
        for (String path : List.of("/v1/embeddings", "/v1/chat/completions/extra", "/api/nothing")) {
            http.post().uri(path).exchange().expectStatus().isNotFound().expectBody()
                    .jsonPath("$.error.code").isEqualTo("unknown_url")
                    .jsonPath("$.error.message").isEqualTo("Invalid URL (POST " + path + "): the gateway serves "
                            + GatewayRoutes.SERVED);
        }
    }

    /**
     * A completion naming a model longer than the protocol allows reached the director (a GENERATE of up to 4 MiB of
     * model name). Now it is a 400 invalid_value for {@code model}, in OpenAI's error JSON, and no generation is
     * asked of the client library: nothing goes over QUIC.
     */
    @Test
    void aModelNameOverTheProtocolBoundIs400BeforeAnyGeneration() {
        String model = "m".repeat(GenerationRequest.MAX_MODEL_CHARS + 1);
        for (String path : List.of("/v1/completions", "/v1/chat/completions")) {
            http.post().uri(path).bodyValue("{\"model\":\"" + model + "\",\"prompt\":\"x\",\"messages\":"
                            + "[{\"role\":\"user\",\"content\":\"x\"}]}").header("Content-Type", "application/json")
                    .exchange().expectStatus().isBadRequest().expectBody()
                    .jsonPath("$.error.code").isEqualTo("invalid_value")
                    .jsonPath("$.error.param").isEqualTo("model")
                    .jsonPath("$.error.message").value(message -> assertThat((String) message)
                            .doesNotContain(model));
        }
        verify(client, never()).generate(any(GenerationRequest.class), any(GenerationOptions.class));
    }

    @Test
    void withoutADirectorAGenerationIs503WhoseBodyNamesNoInternalAddress() {
        directorOutOfReach();
        when(client.generate(any(GenerationRequest.class), any(GenerationOptions.class))).thenReturn(
                JdkFlowAdapter.publisherToFlowPublisher(Flux.error(new GenerationException(ErrorCode.NO_HEALTHY_WORKER,
                        "no connection to a director within PT2S: cannot reach 10.1.2.3:61000: "
                                + "javax.net.ssl.SSLHandshakeException: CN=director.internal", 0))));

        for (String stream : List.of("true", "false")) {
            http.post().uri("/v1/completions").bodyValue("{\"model\":\"stand-in\",\"prompt\":\"x\",\"stream\":"
                            + stream + "}").header("Content-Type", "application/json").exchange()
                    .expectStatus().isEqualTo(503).expectHeader().valueEquals("Retry-After", "2")
                    .expectBody(String.class).value(body -> assertThat(body)
                            .contains("\"code\":\"no_healthy_worker\"", "no connection to a director")
                            .doesNotContain("10.1.2.3", "61000", "SSL", "director.internal"));
        }
    }

    @Test
    void withoutADirectorTheModelListIs503WhoseBodyNamesNoInternalAddress() {
        directorOutOfReach();
        when(client.status()).thenReturn(CompletableFuture.failedFuture(
                new IllegalStateException("no connection to the director at 10.1.2.3:61000")));

        http.get().uri("/v1/models").exchange().expectStatus().isEqualTo(503).expectBody(String.class)
                .value(body -> assertThat(body).contains("\"code\":\"no_healthy_worker\"", "retry later")
                        .doesNotContain("10.1.2.3", "61000", "Exception"));
    }

    /** The live page polls the status every second per tab: an outage is one WARN, then DEBUG lines with repeats. */
    @Test
    void aStatusThatKeepsFailingIsLoggedOnceAtWarnThenQuietly() {
        directorOutOfReach();
        when(client.status()).thenReturn(CompletableFuture.failedFuture(
                new IllegalStateException("no connection to the director at 10.1.2.3:61000")));
        CapturedLogs logs = CapturedLogs.of(GatewayErrorHandler.class);
        logs.logger().setLevel(ch.qos.logback.classic.Level.DEBUG);
        try (logs) {
            for (int i = 0; i < 3; i++) {
                http.get().uri("/api/status").exchange().expectStatus().isEqualTo(503);
            }
            http.get().uri("/v1/models").exchange().expectStatus().isEqualTo(503);
            http.get().uri("/v1/models").exchange().expectStatus().isEqualTo(503);

            assertThat(logs.events()).extracting(event -> event.getLevel() + " " + event.getFormattedMessage())
                    .satisfiesExactly(
                            first -> assertThat(first).startsWith("WARN ").contains("path=/api/status")
                                    .doesNotContain("repeats="),
                            second -> assertThat(second).startsWith("DEBUG ").contains("repeats=1"),
                            third -> assertThat(third).startsWith("DEBUG ").contains("repeats=2"),
                            // a request of an application's is logged every time, as before
                            models -> assertThat(models).startsWith("WARN ").contains("path=/v1/models"),
                            again -> assertThat(again).startsWith("WARN ").contains("path=/v1/models"));
        }
    }

    /** A 500 for a failure before the request had an id still carries one, in its header and its log line. */
    @Test
    void anUnexpectedFailureIs500WithARequestIdAndNoneOfItsText() {
        ClusterStatus broken = mock(ClusterStatus.class);
        when(broken.workers()).thenThrow(new IllegalStateException("a bug at 10.9.8.7"));
        when(client.status()).thenReturn(CompletableFuture.completedFuture(broken));

        http.get().uri("/v1/models").exchange().expectStatus().isEqualTo(500)
                .expectHeader().valueMatches(RequestIds.HEADER, "[0-9a-f-]{36}")
                .expectBody(String.class).value(body -> assertThat(body).contains("\"code\":\"internal\"",
                        RequestIds.HEADER).doesNotContain("10.9.8.7", "Exception"));
    }

    private void directorOutOfReach() {
        when(client.connectionState()).thenReturn(new ConnectionState(false, "10.1.2.3:61000", null, 0,
                "cannot reach 10.1.2.3:61000"));
    }
}
