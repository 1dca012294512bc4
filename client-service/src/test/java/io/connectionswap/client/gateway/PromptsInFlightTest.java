package io.connectionswap.client.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.swapclient.ConnectionState;
import io.connectionswap.swapclient.GenerationEvent;
import io.connectionswap.swapclient.GenerationOptions;
import io.connectionswap.swapclient.SwapClient;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.adapter.JdkFlowAdapter;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;

/**
 * A generation keeps its whole request, prompt included, for as long as it runs (the client library resumes it on
 * the next worker from prompt + delivered text, and the gateway's ChunkWriter holds it too), and the gateway admits
 * any number of them: only each body is bounded (CONNECTION_SWAP_MAX_REQUEST_BYTES, 4 MiB). A few dozen concurrent
 * requests with a 4 MiB prompt (a stand-in generation of max_tokens 65536 runs for hours) fill the image's 179 MiB
 * heap (docker/README.md), and -XX:+ExitOnOutOfMemoryError ends the gateway with every stream of every user.
 */
class PromptsInFlightTest {

    private static final int REQUESTS = 16;
    private static final long MIB = 1024 * 1024;
    /** What the prompts of running generations may hold at once, whatever their number: a tenth of the heap. */
    private static final long BOUND = 16 * MIB;

    @Test
    void thePromptsOfRunningGenerationsAreBoundedGatewayWide() {
        AtomicLong promptCharsInFlight = new AtomicLong();
        SwapClient client = mock(SwapClient.class);
        when(client.connectionState()).thenReturn(new ConnectionState(true, "127.0.0.1:1", null, 0, null));
        when(client.generate(any(GenerationRequest.class), any(GenerationOptions.class))).thenAnswer(call -> {
            long chars = call.getArgument(0, GenerationRequest.class).prompt().length();
            // a generation that has begun and runs on: its first token, then the rest to come
            return JdkFlowAdapter.publisherToFlowPublisher(Flux.<GenerationEvent>just(
                            new GenerationEvent.Assigned("worker-a", "c-1", 4, "stand-in", 0),
                            new GenerationEvent.Token(1, " one", "worker-a"))
                    .concatWith(Flux.never())
                    .doOnSubscribe(subscription -> promptCharsInFlight.addAndGet(chars))
                    .doFinally(signal -> promptCharsInFlight.addAndGet(-chars)));
        });
        WebTestClient http = GatewayOnSpringsRouter.http(client);
        int promptChars = (int) GatewayOnSpringsRouter.PROPERTIES.maxRequestSize().toBytes() - 100;
        String body = "{\"model\":\"stand-in\",\"prompt\":\"" + "a".repeat(promptChars)
                + "\",\"max_tokens\":65536,\"stream\":true}";
        List<Disposable> streams = new ArrayList<>();
        List<Integer> statuses = new ArrayList<>();
        try {
            for (int i = 0; i < REQUESTS; i++) {
                WebTestClient.ResponseSpec answer = http.post().uri("/v1/completions")
                        .header("Content-Type", "application/json").bodyValue(body).exchange();
                var result = answer.returnResult(String.class);
                statuses.add(result.getStatus().value());
                streams.add(result.getResponseBody().subscribe()); // the client keeps reading its stream
            }

            assertThat(promptCharsInFlight.get()).as("prompt characters the gateway holds in running generations "
                            + "after %d requests with a %d KiB prompt each: %d MiB, statuses %s (expected: at most %d MiB "
                            + "gateway-wide, the requests beyond it refused, e.g. 503 with Retry-After; the image's "
                            + "heap is 179 MiB)", REQUESTS, promptChars / 1024, promptCharsInFlight.get() / MIB, statuses,
                            BOUND / MIB)
                    .isLessThanOrEqualTo(BOUND);
        } finally {
            streams.forEach(Disposable::dispose);
        }
    }
}
