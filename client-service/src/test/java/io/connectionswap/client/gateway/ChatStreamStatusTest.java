package io.connectionswap.client.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.swapclient.ConnectionState;
import io.connectionswap.swapclient.GenerationEvent;
import io.connectionswap.swapclient.GenerationException;
import io.connectionswap.swapclient.GenerationOptions;
import io.connectionswap.swapclient.SwapClient;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.adapter.JdkFlowAdapter;
import reactor.core.publisher.Flux;

/**
 * The worker's CONNECTED (GenerationEvent.Assigned) comes before the model is even called, and the chat stream wrote
 * its role chunk on it, committing 200. A chat stream whose upstream refuses the request (context too long:
 * UPSTREAM_REJECTED) or that hits the migration limit before its first token then got 200 and an SSE error event,
 * where the same request on /v1/completions gets 400 / 502 (and OpenAI and vLLM answer 400 before streaming): the
 * OpenAI SDKs raised a generic APIError for it (no BadRequestError; a 502 would have been retried).
 */
class ChatStreamStatusTest {

    @ParameterizedTest
    @CsvSource({"/v1/completions,UPSTREAM_REJECTED,400", "/v1/chat/completions,UPSTREAM_REJECTED,400",
            "/v1/completions,MIGRATION_LIMIT,502", "/v1/chat/completions,MIGRATION_LIMIT,502"})
    void aStreamThatFailsBeforeItsFirstTokenGetsItsHttpStatusOnBothEndpoints(String path, ErrorCode code, int status) {
        SwapClient client = mock(SwapClient.class);
        when(client.connectionState()).thenReturn(new ConnectionState(true, "127.0.0.1:1", null, 0, null));
        when(client.generate(any(GenerationRequest.class), any(GenerationOptions.class))).thenReturn(
                JdkFlowAdapter.publisherToFlowPublisher(Flux.<GenerationEvent>just(
                                new GenerationEvent.Assigned("worker-a", "c-1", 4, "stand-in", 0))
                        .concatWith(Flux.error(new GenerationException(code,
                                "This model's maximum context length is 8192 tokens", 0)))));
        WebTestClient http = GatewayOnSpringsRouter.http(client);
        String body = path.contains("chat")
                ? "{\"model\":\"stand-in\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream\":true}"
                : "{\"model\":\"stand-in\",\"prompt\":\"x\",\"stream\":true}";
        http.post().uri(path).header("Content-Type", "application/json").bodyValue(body).exchange()
                .expectStatus().isEqualTo(status)
                .expectBody(String.class).value(answer -> assertThat(answer).startsWith("{\"error\""));
    }
}
