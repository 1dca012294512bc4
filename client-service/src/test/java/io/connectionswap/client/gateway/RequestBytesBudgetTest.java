package io.connectionswap.client.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.Usage;
import io.connectionswap.swapclient.GenerationEvent;
import io.connectionswap.swapclient.GenerationException;
import io.connectionswap.swapclient.SwapClient;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;

/**
 * The gateway-wide budget of request bytes ({@code CONNECTION_SWAP_GATEWAY_MAX_BUFFERED_REQUEST_BYTES}): every request
 * gives back what it reserved once its answer ends, whether it completed, failed before or after its first token, was
 * refused as malformed or was cancelled by its client; a request that does not fit is refused with 503, Retry-After and
 * the setting named, and its bytes are not kept.
 */
class RequestBytesBudgetTest {

    private static final Duration DEADLINE = Duration.ofSeconds(10);
    private static final String PROMPT = "{\"model\":\"stand-in\",\"prompt\":\"" + "a".repeat(10_000) + "\"";

    private final AtomicReference<Flux<GenerationEvent>> generation = new AtomicReference<>();
    /** Room for two requests of {@link #PROMPT}, not three. */
    private final AtomicInteger refusals = new AtomicInteger();
    private final RequestBytesBudget budget = new RequestBytesBudget(25_000, refusals::incrementAndGet);
    private final WebTestClient http = GatewayOnSpringsRouter.http(client(), budget);

    @Test
    void everyEndingGivesTheBytesBack() {
        generation.set(Flux.just(assigned(), token(1), new GenerationEvent.Completed("length", new Usage(1, 1), 1, 0)));
        post(PROMPT + ",\"stream\":true}").expectStatus().isOk().expectBody(String.class).returnResult();
        post(PROMPT + "}").expectStatus().isOk().expectBody(String.class).returnResult();

        generation.set(Flux.error(new GenerationException(ErrorCode.MIGRATION_LIMIT, "moved 3 times", 0)));
        post(PROMPT + ",\"stream\":true}").expectStatus().isEqualTo(502);
        post(PROMPT + "}").expectStatus().isEqualTo(502);

        generation.set(Flux.just(assigned(), token(1)).concatWith(
                Flux.error(new GenerationException(ErrorCode.MIGRATION_LIMIT, "moved 3 times", 1))));
        post(PROMPT + ",\"stream\":true}").expectStatus().isOk().expectBody(String.class).returnResult();

        post(PROMPT + ",\"max_tokens\":\"many\"}").expectStatus().isBadRequest();
        post("{\"model\":").expectStatus().isBadRequest();

        await().atMost(DEADLINE).untilAsserted(() -> assertThat(budget.reserved())
                .as("bytes reserved after requests that completed, failed and were refused").isZero());
        assertThat(refusals).as("requests refused for the budget").hasValue(0);
    }

    @Test
    void aStreamTheClientLeavesGivesTheBytesBack() {
        generation.set(Flux.just(assigned(), token(1)).concatWith(Flux.never()));
        Disposable reading = post(PROMPT + ",\"stream\":true}").returnResult(String.class).getResponseBody().subscribe();
        assertThat(budget.reserved()).as("bytes reserved while the stream runs").isPositive();

        reading.dispose();

        await().atMost(DEADLINE).untilAsserted(() -> assertThat(budget.reserved())
                .as("bytes reserved after the client left its stream").isZero());
    }

    @Test
    void aChunkedBodyReservesWhatArrives() {
        generation.set(Flux.just(assigned(), token(1)).concatWith(Flux.never()));
        String body = PROMPT + ",\"stream\":true}";
        Disposable reading = http.post().uri("/v1/completions").header("Content-Type", "application/json")
                .body(Flux.just(body.substring(0, 100), body.substring(100)), String.class).exchange()
                .returnResult(String.class).getResponseBody().subscribe();
        try {
            assertThat(budget.reserved()).as("bytes reserved by a running stream whose body had no Content-Length")
                    .isEqualTo(body.length());
        } finally {
            reading.dispose();
        }
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(budget.reserved()).isZero());
    }

    @Test
    void aRequestThatDoesNotFitIsRefusedWithRetryAfterAndKeepsNothing() {
        generation.set(Flux.just(assigned(), token(1)).concatWith(Flux.never()));
        String body = PROMPT + ",\"stream\":true}";
        Disposable first = post(body).returnResult(String.class).getResponseBody().subscribe();
        Disposable second = post(body).returnResult(String.class).getResponseBody().subscribe();
        long held = budget.reserved();
        try {
            assertThat(held).as("bytes reserved by two running streams").isEqualTo(2L * body.length());
            post(body).expectStatus().isEqualTo(503)
                    .expectHeader().valueEquals("Retry-After", "2")
                    .expectBody()
                    .jsonPath("$.error.type").isEqualTo("service_unavailable_error")
                    .jsonPath("$.error.code").isEqualTo("gateway_busy")
                    .jsonPath("$.error.message").value(message -> assertThat((String) message)
                            .contains("CONNECTION_SWAP_GATEWAY_MAX_BUFFERED_REQUEST_BYTES"));

            assertThat(budget.reserved()).as("bytes reserved after a refusal").isEqualTo(held);
            assertThat(refusals).as("requests refused for the budget").hasValue(1);
        } finally {
            first.dispose();
            second.dispose();
        }
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(budget.reserved()).isZero());
    }

    private WebTestClient.ResponseSpec post(String body) {
        return http.post().uri("/v1/completions").header("Content-Type", "application/json").bodyValue(body)
                .exchange();
    }

    private SwapClient client() {
        // the generation the test has set by the time one starts
        return GatewayOnSpringsRouter.connectedClient(Flux.defer(generation::get));
    }

    private static GenerationEvent assigned() {
        return new GenerationEvent.Assigned("worker-a", "c-1", 4, "stand-in", 0);
    }

    private static GenerationEvent token(int sequence) {
        return new GenerationEvent.Token(sequence, " one", "worker-a");
    }
}
