package io.connectionswap.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bench's HTTP client for OpenAI streams: {@code POST} a JSON body over HTTP/1.1, then every Server-Sent Events
 * {@code data:} line goes to a {@link CompletionStream} with the moment it arrived (System.nanoTime(), taken before
 * any parsing). Asynchronous (the JDK's HttpClient, a few threads for any number of streams), so 200 streams cost no
 * thread each. The same client reads the gateway, HAProxy and the upstreams directly.
 */
final class SseClient implements AutoCloseable {

    private final ExecutorService executor;
    private final HttpClient http;

    SseClient() {
        AtomicInteger count = new AtomicInteger();
        this.executor = Executors.newFixedThreadPool(2, runnable -> {
            Thread thread = new Thread(runnable, "bench-sse-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(executor)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    /**
     * Starts {@code stream}'s request to {@code baseUrl + "/completions"}; the future completes when the response
     * ended (normally or not: the stream records how).
     */
    CompletableFuture<CompletionStream> start(String baseUrl, CompletionStream stream) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + "/completions"))
                .header("Content-Type", "application/json")
                .header("Accept", "text/event-stream")
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(stream.requestJson(), StandardCharsets.UTF_8))
                .build();
        stream.sent(System.nanoTime());
        return http.sendAsync(request, info -> {
            stream.status(info.statusCode());
            return HttpResponse.BodySubscribers.fromLineSubscriber(new Lines(stream), s -> null,
                    StandardCharsets.UTF_8, "\n");
        }).handle((response, failure) -> {
            if (failure != null) {
                stream.transportFailed(failure);
            }
            stream.ended(System.nanoTime());
            return stream;
        });
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }

    /** Hands each line to the stream as it arrives. */
    private record Lines(CompletionStream stream) implements Flow.Subscriber<String> {

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(String line) {
            stream.line(line, System.nanoTime());
        }

        @Override
        public void onError(Throwable throwable) {
            // the future fails with it too: recorded there
        }

        @Override
        public void onComplete() {
        }
    }
}
