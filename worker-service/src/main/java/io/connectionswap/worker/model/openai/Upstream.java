package io.connectionswap.worker.model.openai;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import tools.jackson.databind.json.JsonMapper;

/**
 * What every stream to one upstream shares: settings, the HTTP client, the executor its callbacks and the streams'
 * serial tasks run on, the timer of the timeouts and health checks, and a hook that asks for a health check at once
 * (after a stream could not reach the upstream), the back-off a {@code Retry-After} asked for, the models it
 * answered with other than the one asked for, and the count of the tokens a resume's delivered text holds.
 */
record Upstream(UpstreamSettings settings, HttpClient http, JsonMapper json, Executor executor,
                ScheduledExecutorService timer, Runnable unreachable, UpstreamBackOff backOff,
                AnsweringModels answeringModels, DeliveredTokens deliveredTokens) {

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
}
