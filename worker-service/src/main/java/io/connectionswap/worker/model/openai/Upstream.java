package io.connectionswap.worker.model.openai;

import java.net.http.HttpClient;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import tools.jackson.databind.json.JsonMapper;

/**
 * What every stream to one upstream shares: settings, the HTTP client, the executor its callbacks and the streams'
 * serial tasks run on, the timer of the timeouts and health checks, and a hook that asks for a health check at once
 * (after a stream could not reach the upstream), the back-off a {@code Retry-After} asked for, and the models it
 * answered with other than the one asked for.
 */
record Upstream(UpstreamSettings settings, HttpClient http, JsonMapper json, Executor executor,
                ScheduledExecutorService timer, Runnable unreachable, UpstreamBackOff backOff,
                AnsweringModels answeringModels) {
}
