package io.connectionswap.client.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.when;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.swapclient.GenerationEvent;
import io.connectionswap.swapclient.GenerationException;
import io.connectionswap.swapclient.SwapClient;
import io.connectionswap.testsupport.log.CapturedLogs;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.reactivestreams.Subscription;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.SignalType;

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
        SwapClient client = GatewayOnSpringsRouter.connectedClient(Flux.<GenerationEvent>just(
                        new GenerationEvent.Assigned("worker-a", "c-1", 4, "stand-in", 0))
                .concatWith(Flux.error(new GenerationException(code,
                        "This model's maximum context length is 8192 tokens", 0))));
        WebTestClient http = GatewayOnSpringsRouter.http(client);
        String body = path.contains("chat")
                ? "{\"model\":\"stand-in\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream\":true}"
                : "{\"model\":\"stand-in\",\"prompt\":\"x\",\"stream\":true}";
        http.post().uri(path).header("Content-Type", "application/json").bodyValue(body).exchange()
                .expectStatus().isEqualTo(status)
                .expectBody(String.class).value(answer -> assertThat(answer).startsWith("{\"error\""));
    }

    /**
     * A generation that fails after tokens the gateway already received (the swap-client hands over its queued events
     * first, then the error) must still stream every one of them before the error event. A client that reads more
     * slowly than the tokens come (any client behind a slow link; a burst after a resume) leaves them in the gateway's
     * queue when the error arrives, and Reactor's concatMapIterable (CompletionsHandler#stream) dropped its queue on an
     * error: the client saw the error after 71 of the 100 tokens the swap-client delivered (the rest silently lost,
     * and the gateway's log line said tokens=71).
     */
    @Test
    void aStreamThatFailsAfterItsTokensSendsEveryTokenReceivedBeforeTheErrorEventToASlowReader() {
        List<GenerationEvent> events = new ArrayList<>();
        events.add(new GenerationEvent.Assigned("worker-a", "c-1", 4, "stand-in", 0));
        IntStream.rangeClosed(1, 100).forEach(i -> events.add(new GenerationEvent.Token(i, " t" + i, "worker-a")));
        SwapClient client = GatewayOnSpringsRouter.connectedClient(Flux.fromIterable(events).concatWith(Flux.error(
                new GenerationException(ErrorCode.MIGRATION_LIMIT, "moved 3 times", 100))));
        WebTestClient http = GatewayOnSpringsRouter.http(client);

        Flux<String> body = http.post().uri("/v1/completions").header("Content-Type", "application/json")
                .bodyValue("{\"model\":\"stand-in\",\"prompt\":\"x\",\"max_tokens\":200,\"stream\":true}")
                .exchange().expectStatus().isOk().returnResult(String.class).getResponseBody();
        List<String> received = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean done = new AtomicBoolean();
        BaseSubscriber<String> slowReader = new BaseSubscriber<>() {
            @Override
            protected void hookOnSubscribe(Subscription subscription) {
                subscription.request(1); // a reader that took one event so far, as a slow socket does
            }

            @Override
            protected void hookOnNext(String data) {
                received.add(data);
            }

            @Override
            protected void hookFinally(SignalType type) {
                done.set(true);
            }
        };
        body.subscribe(slowReader);
        await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 1);
        slowReader.request(Long.MAX_VALUE); // the reader catches up
        await().atMost(Duration.ofSeconds(10)).untilTrue(done);

        assertThat(received).last().asString().startsWith("{\"error\"");
        assertThat(received.stream().filter(data -> data.contains("\"text\"")).count())
                .as("token chunks before the error event").isEqualTo(100);
    }

    /**
     * A stream that fails after its headers ends with an error event and a WARN ("stream failed after its headers");
     * the gateway then logged "gateway request done" at INFO for it too, as for a generation that completed, so a
     * search for the failed requests of a model found each of them also among the completed ones.
     */
    @Test
    void aStreamThatFailsAfterItsHeadersIsNotLoggedAsDone() {
        SwapClient client = GatewayOnSpringsRouter.connectedClient(Flux.<GenerationEvent>just(
                        new GenerationEvent.Assigned("worker-a", "c-1", 4, "stand-in", 0),
                        new GenerationEvent.Token(1, " t1", "worker-a"))
                .concatWith(Flux.error(new GenerationException(ErrorCode.MIGRATION_LIMIT, "moved 3 times",
                        1))));
        WebTestClient http = GatewayOnSpringsRouter.http(client);
        try (CapturedLogs logs = CapturedLogs.of(CompletionsHandler.class)) {
            http.post().uri("/v1/completions").header("Content-Type", "application/json")
                    .bodyValue("{\"model\":\"stand-in\",\"prompt\":\"x\",\"stream\":true}")
                    .exchange().expectStatus().isOk()
                    .expectBody(String.class).value(answer -> assertThat(answer).contains("\"error\""));

            await().atMost(Duration.ofSeconds(10)).until(() -> logs.events().stream()
                    .anyMatch(event -> event.getFormattedMessage().contains("stream failed after its headers")));
            assertThat(logs.events()).noneSatisfy(event -> assertThat(event.getFormattedMessage())
                    .contains("gateway request done"));
        }
    }
}
