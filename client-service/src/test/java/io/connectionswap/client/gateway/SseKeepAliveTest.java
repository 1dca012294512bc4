package io.connectionswap.client.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.Usage;
import io.connectionswap.swapclient.GenerationEvent;
import io.connectionswap.swapclient.GenerationException;
import io.connectionswap.testsupport.await.Holds;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.ByteBufFlux;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;

/**
 * A proxy or load balancer in front of the gateway (nginx's proxy_read_timeout, an AWS ALB's idle timeout: 60 s; some
 * corporate proxies 30 s) cuts a response that has sent nothing for its read timeout, and its client sees a stream
 * cut with no error event. A healthy stream can be silent that long: a swap to a worker that re-reads a long prompt,
 * a slow model. The gateway sends an SSE comment ({@code : keep-alive}) on such a silence once the stream's headers
 * are out; before them nothing (the status is not decided before the first token), and never in a collected answer.
 * On Spring's router and reactor-netty, read by a real HTTP client; the generation is driven by the test.
 */
class SseKeepAliveTest {

    private static final Duration KEEP_ALIVE = Duration.ofMillis(300);
    private static final String COMMENT = ": keep-alive";

    private final Sinks.Many<GenerationEvent> generation = Sinks.many().unicast().onBackpressureBuffer();
    private final DisposableServer server = GatewayOnSpringsRouter.serve(
            GatewayOnSpringsRouter.connectedClient(generation.asFlux()), GatewayOnSpringsRouter.properties(KEEP_ALIVE));
    private final Answer answer = new Answer();

    @AfterEach
    void stop() {
        answer.reading.dispose();
        server.disposeNow();
    }

    @Test
    void aStreamSilentAfterItsFirstTokenGetsKeepAliveCommentsAndThenItsTokensAndDoneIntact() {
        answer.post("{\"model\":\"stand-in\",\"prompt\":\"x\",\"max_tokens\":2,\"stream\":true}");
        emit(new GenerationEvent.Assigned("worker-a", "c-1", 4, "stand-in", 0),
                new GenerationEvent.Token(1, "Hello", "worker-a"));
        await("the first token").atMost(Duration.ofSeconds(10)).until(() -> answer.body().contains("Hello"));

        await("a keep-alive comment while the generation is silent for longer than " + KEEP_ALIVE)
                .atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10))
                .until(() -> answer.body().contains(COMMENT));
        emit(new GenerationEvent.Token(2, " world", "worker-a"),
                new GenerationEvent.Completed("length", new Usage(1, 2), 2, 0));
        generation.tryEmitComplete();
        await("the end of the answer").atMost(Duration.ofSeconds(10)).untilTrue(answer.ended);

        assertThat(answer.status.get()).isEqualTo(200);
        String body = answer.body();
        assertThat(body).as("the stream ends with [DONE], nothing after it").endsWith("data: [DONE]\n\n");
        List<String> events = Arrays.asList(body.split("\n\n"));
        assertThat(events.get(0)).startsWith("data: {").contains("\"text\":\"Hello\"");
        int world = indexOf(events, "\"text\":\" world\"");
        assertThat(events.subList(1, world)).as("what came in the silence after the first token: comments alone")
                .isNotEmpty().containsOnly(COMMENT);
        assertThat(events.subList(world, events.size())).as("the rest, sent back to back: events alone")
                .hasSize(3).allMatch(event -> event.startsWith("data: "));
        assertThat(events.get(world + 1)).contains("\"finish_reason\":\"length\"");
    }

    @Test
    void aStreamSilentBeforeItsFirstTokenSendsNothingSoThatItCanStillFailWithItsStatus() {
        answer.post("{\"model\":\"stand-in\",\"prompt\":\"x\",\"max_tokens\":2,\"stream\":true}");
        emit(new GenerationEvent.Assigned("worker-a", "c-1", 4, "stand-in", 0));
        Holds.throughout(KEEP_ALIVE.multipliedBy(3), () -> "nothing sent, not even the headers, for three "
                + "keep-alive intervals before the first token; sent: status " + answer.status.get() + ", body '"
                + answer.body() + "'", () -> answer.status.get() == 0 && answer.body().isEmpty());

        generation.tryEmitError(new GenerationException(ErrorCode.NO_HEALTHY_WORKER, "no healthy worker", 0));
        await("the answer").atMost(Duration.ofSeconds(10)).untilTrue(answer.ended);
        assertThat(answer.status.get()).isEqualTo(503);
        assertThat(answer.body()).startsWith("{\"error\"").doesNotContain(COMMENT);
    }

    @Test
    void aCollectedAnswerNeverCarriesAComment() {
        answer.post("{\"model\":\"stand-in\",\"prompt\":\"x\",\"max_tokens\":2}");
        emit(new GenerationEvent.Assigned("worker-a", "c-1", 4, "stand-in", 0),
                new GenerationEvent.Token(1, "Hello", "worker-a"));
        Holds.throughout(KEEP_ALIVE.multipliedBy(3), () -> "nothing sent for three keep-alive intervals while "
                + "the answer is collected; sent: status " + answer.status.get() + ", body '" + answer.body() + "'",
                () -> answer.status.get() == 0 && answer.body().isEmpty());
        emit(new GenerationEvent.Token(2, " world", "worker-a"),
                new GenerationEvent.Completed("length", new Usage(1, 2), 2, 0));
        generation.tryEmitComplete();
        await("the answer").atMost(Duration.ofSeconds(10)).untilTrue(answer.ended);

        assertThat(answer.status.get()).isEqualTo(200);
        assertThat(answer.body()).startsWith("{").endsWith("}").contains("Hello world").doesNotContain(COMMENT);
    }

    private void emit(GenerationEvent... events) {
        for (GenerationEvent event : events) {
            generation.emitNext(event, Sinks.EmitFailureHandler.FAIL_FAST);
        }
    }

    private static int indexOf(List<String> events, String part) {
        for (int i = 0; i < events.size(); i++) {
            if (events.get(i).contains(part)) {
                return i;
            }
        }
        throw new AssertionError("no event with " + part + " in " + events);
    }

    /** One request to the gateway, read as it arrives: its status once its headers are in, its body so far. */
    private final class Answer {
        final AtomicInteger status = new AtomicInteger();
        final AtomicBoolean ended = new AtomicBoolean();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final StringBuffer body = new StringBuffer();
        private Disposable reading = () -> { };

        void post(String json) {
            reading = HttpClient.create().baseUrl("http://127.0.0.1:" + server.port())
                    .headers(headers -> headers.add("Content-Type", "application/json"))
                    .post().uri("/v1/completions").send(ByteBufFlux.fromString(Mono.just(json)))
                    .response((response, content) -> {
                        status.set(response.status().code());
                        return content.asString();
                    })
                    .subscribe(body::append, thrown -> {
                        failure.set(thrown);
                        ended.set(true);
                    }, () -> ended.set(true));
        }

        String body() {
            assertThat(failure.get()).as("the HTTP client's failure").isNull();
            return body.toString();
        }
    }
}
