package io.connectionswap.worker.model.openai;

import io.connectionswap.protocol.log.LogLine;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * Whether the upstream answers: {@code GET {url}/models} every {@code healthInterval} on the upstream's timer (never
 * on a request thread or the QUIC event loop), the answer cached for the worker's health endpoint, which the
 * director polls. Unreachable, timed out or any non-2xx answer (5xx, and 401/403/404, after which no request can
 * succeed either) is DOWN with the reason; UP again at the first 2xx. Starts DOWN until the first check answers,
 * so a worker is not sent work before its upstream is there. A stream that cannot reach the upstream asks for a
 * check at once ({@link #checkSoon}).
 */
final class UpstreamHealth {

    private static final Logger log = LoggerFactory.getLogger(UpstreamHealth.class);
    private static final int MAX_BODY_BYTES = 64 * 1024;

    /** The last answer. */
    record Check(boolean up, String problem, Instant at, int httpStatus, long latencyMillis, Boolean modelListed) {
    }

    private final Upstream upstream;
    private final AtomicBoolean inFlight = new AtomicBoolean();
    private volatile Check last = new Check(false, "not checked yet", null, 0, 0, null);
    private volatile ScheduledFuture<?> schedule;
    private volatile long lastRequestedNanos;

    UpstreamHealth(Upstream upstream) {
        this.upstream = upstream;
    }

    void start() {
        long intervalMillis = upstream.settings().healthInterval().toMillis();
        schedule = upstream.timer().scheduleWithFixedDelay(this::check, 0, intervalMillis, TimeUnit.MILLISECONDS);
    }

    void stop() {
        ScheduledFuture<?> current = schedule;
        if (current != null) {
            current.cancel(false);
        }
    }

    /** A stream found the upstream unreachable: check now rather than at the next tick (at most every 100 ms). */
    void checkSoon() {
        long now = System.nanoTime();
        if (now - lastRequestedNanos > TimeUnit.MILLISECONDS.toNanos(100)) {
            lastRequestedNanos = now;
            upstream.timer().execute(this::check);
        }
    }

    Check last() {
        return last;
    }

    /** The last check answered and the upstream asked for no back-off ({@link UpstreamBackOff}). */
    boolean isUp() {
        return last.up() && upstream.backOff().problem(Instant.now()) == null;
    }

    Map<String, Object> details() {
        Check check = last;
        Instant now = Instant.now();
        String backOff = upstream.backOff().problem(now);
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("upstreamUrl", upstream.settings().baseUri().toString());
        details.put("upstreamModel", upstream.settings().model());
        details.put("upstream", check.up() && backOff == null ? "UP" : "DOWN");
        if (check.problem() != null) {
            details.put("upstreamProblem", check.problem());
        } else if (backOff != null) {
            details.put("upstreamProblem", backOff);
        }
        if (backOff != null) {
            details.put("upstreamBackOffUntil", upstream.backOff().until(now).toString());
        }
        if (check.at() != null) {
            details.put("upstreamCheckedAt", check.at().toString());
            details.put("upstreamLatencyMillis", check.latencyMillis());
        }
        if (check.httpStatus() > 0) {
            details.put("upstreamHttpStatus", check.httpStatus());
        }
        if (check.modelListed() != null) {
            details.put("upstreamListsModel", check.modelListed());
        }
        return details;
    }

    private void check() {
        if (!inFlight.compareAndSet(false, true)) {
            return;
        }
        UpstreamSettings settings = upstream.settings();
        Duration timeout = max(settings.connectTimeout(), Duration.ofSeconds(1));
        HttpRequest.Builder request = HttpRequest.newBuilder(settings.modelsUri())
                .timeout(timeout)
                .header("Accept", "application/json")
                .GET();
        if (settings.apiKey() != null) {
            request.header("Authorization", "Bearer " + settings.apiKey());
        }
        long started = System.nanoTime();
        try {
            // the whole answer within the timeout: a body that stalls after the headers must not hold the checks
            upstream.sendWithin(request.build(), BoundedBody.handler(MAX_BODY_BYTES), timeout)
                    .whenCompleteAsync((response, failure) -> {
                        try {
                            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                            record(failure != null ? unreachable(failure, millis) : answered(response, millis));
                        } finally {
                            inFlight.set(false);
                        }
                    }, upstream.executor());
        } catch (RuntimeException e) {
            inFlight.set(false);
            record(unreachable(e, 0));
        }
    }

    private Check answered(HttpResponse<String> response, long millis) {
        int status = response.statusCode();
        if (status / 100 != 2) {
            return new Check(false, "GET " + upstream.settings().modelsUri() + " answered HTTP " + status + ": "
                    + UpstreamErrors.message(response.body(), upstream.json()), Instant.now(), status, millis, null);
        }
        return new Check(true, null, Instant.now(), status, millis, listsModel(response.body()));
    }

    private Check unreachable(Throwable failure, long millis) {
        // the health endpoint is the operators' (and the director's): it names the URL, as answered() does
        String problem = "GET " + upstream.settings().modelsUri() + ": " + new UpstreamErrors(upstream.settings()
                .modelsUri()).forException(failure, upstream.settings().connectTimeout()).getMessage();
        return new Check(false, problem, Instant.now(), 0, millis, null);
    }

    /** Whether {@code data[].id} names the model; null when the body is not the expected list. */
    private Boolean listsModel(String body) {
        try {
            JsonNode data = upstream.json().readTree(body).path("data");
            if (!data.isArray()) {
                return null;
            }
            for (JsonNode model : data) {
                if (upstream.settings().model().equals(model.path("id").asString(null))) {
                    return true;
                }
            }
            return false;
        } catch (JacksonException e) {
            return null;
        }
    }

    private void record(Check check) {
        Check previous = last;
        last = check;
        String url = upstream.settings().baseUri().toString();
        if (!check.up() && (previous.up() || previous.at() == null)) {
            LogLine.warn(log).field("upstream.url", url).field("model", upstream.settings().model())
                    .quoted("problem", check.problem()).log("upstream down; the worker reports DOWN until it answers");
        } else if (check.up() && !previous.up()) {
            LogLine.info(log).field("upstream.url", url).field("model", upstream.settings().model())
                    .field("latency.ms", check.latencyMillis()).log("upstream up");
            if (Boolean.FALSE.equals(check.modelListed())) {
                LogLine.warn(log).field("upstream.url", url).field("model", upstream.settings().model())
                        .log("the upstream's /models does not list this model; requests may be refused (check "
                                + "CONNECTION_SWAP_UPSTREAM_MODEL)");
            }
        }
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }
}
