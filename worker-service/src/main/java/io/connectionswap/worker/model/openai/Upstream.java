package io.connectionswap.worker.model.openai;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import tools.jackson.databind.json.JsonMapper;

/**
 * What every stream to one upstream shares: settings, the HTTP client, the executor its callbacks and the streams'
 * serial tasks run on, the timer of the timeouts and health checks, and a hook that asks for a health check at once
 * (after a stream could not reach the upstream), the back-off a {@code Retry-After} asked for, the models it
 * answered with other than the one asked for, the count of the tokens a resume's delivered text holds, and whether
 * it was seen to ignore {@code max_tokens}.
 */
record Upstream(UpstreamSettings settings, HttpClient http, JsonMapper json, Executor executor,
                ScheduledExecutorService timer, Runnable unreachable, UpstreamBackOff backOff,
                AnsweringModels answeringModels, DeliveredTokens deliveredTokens,
                IgnoredMaxTokens ignoredMaxTokens) {

    /**
     * A POST of the JSON {@code body} to {@code uri}, answered as {@code accept} within {@code timeout} (its headers),
     * with the upstream's key and the caller's W3C trace context ({@code traceparent}, or null).
     */
    HttpRequest post(URI uri, byte[] body, String accept, Duration timeout, String traceparent) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .header("Accept", accept)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (settings.apiKey() != null) {
            request.header("Authorization", "Bearer " + settings.apiKey());
        }
        if (traceparent != null) {
            request.header("traceparent", traceparent);
        }
        return request.build();
    }

    /**
     * A request aside from a leg's stream: a {@link #post} of the JSON {@code body} to {@code uri} for a JSON answer
     * (at most {@code maxBodyBytes} of it), sent {@link #sendWithin} {@code timeout} (its headers' timeout too) and
     * handed to {@code inFlight}, which cancels it when the leg is cancelled.
     */
    CompletableFuture<HttpResponse<String>> postAside(URI uri, byte[] body, Duration timeout, int maxBodyBytes,
                                                      String traceparent, Consumer<CompletableFuture<?>> inFlight) {
        HttpRequest request = post(uri, body, "application/json", timeout, traceparent);
        CompletableFuture<HttpResponse<String>> exchange = sendWithin(request, BoundedBody.handler(maxBodyBytes),
                timeout);
        inFlight.accept(exchange);
        return exchange;
    }

    /**
     * Sends {@code request}: once more when the connection it went on was closed before any answer (a stale
     * kept-alive connection: {@link StaleConnectionRetry}). Cancelling the result cancels the exchange.
     */
    <T> CompletableFuture<HttpResponse<T>> send(HttpRequest request, HttpResponse.BodyHandler<T> body) {
        return StaleConnectionRetry.send(http, request, body);
    }

    /**
     * Sends {@code request} ({@link #send}); its whole answer, body included, must come within {@code deadline} (the
     * JDK's request timeout ends at the headers: a body that stalls after them would hold the caller for ever), else
     * the exchange is cancelled and the result fails with an {@link HttpTimeoutException}; a second attempt has what
     * is left of it. Cancelling the result cancels the exchange.
     */
    <T> CompletableFuture<HttpResponse<T>> sendWithin(HttpRequest request, HttpResponse.BodyHandler<T> body,
                                                      Duration deadline) {
        CompletableFuture<HttpResponse<T>> exchange = send(request, body);
        CompletableFuture<HttpResponse<T>> result = new CompletableFuture<>();
        ScheduledFuture<?> expiry = timer.schedule(() -> {
            if (result.completeExceptionally(new HttpTimeoutException("no whole answer within " + deadline))) {
                exchange.cancel(true);
            }
        }, deadline.toNanos(), TimeUnit.NANOSECONDS);
        result.whenComplete((response, failure) -> {
            if (result.isCancelled()) {
                exchange.cancel(true); // the caller gave up: so does the exchange
            }
        });
        exchange.whenComplete((response, failure) -> {
            expiry.cancel(false);
            if (failure != null) {
                result.completeExceptionally(failure);
            } else {
                result.complete(response);
            }
        });
        return result;
    }
}
