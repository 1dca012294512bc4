package io.connectionswap.director.health;

import io.connectionswap.director.config.HealthProperties;
import io.connectionswap.director.registry.PollResult;
import io.connectionswap.director.registry.RoutingLoopTask;
import io.connectionswap.director.registry.WorkerEndpoint;
import io.connectionswap.director.registry.WorkerRegistry;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.quic.LoopTasks;
import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import io.connectionswap.director.metrics.DirectorMeters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Polls every worker's Actuator health every {@code CONNECTION_SWAP_HEALTH_INTERVAL}. Each poll is a blocking request
 * of the JDK HTTP client on the poll pool ({@code director-health} threads, one per worker being polled, kept between
 * rounds); results go back to the routing loop, which owns worker state. A worker whose previous poll has not
 * finished is skipped, so a hung worker holds one thread, for at most the poll timeout: the whole answer, body
 * included, must come within it, and be at most 64 KiB ({@link HealthAnswer}), or the poll fails as unreachable.
 *
 * <p>Blocking sends, not {@code sendAsync}: the JDK client completes every asynchronous response on the
 * {@code CompletableFuture} default executor, which starts a new thread per task when the common pool has fewer than
 * two threads (a machine or container with two CPUs or fewer): a thread per poll, 16 a second with 8 workers. The
 * director's {@code main} gives that pool two threads ({@code CommonPoolThreads}), but the polls do not rely on it:
 * they stay off a pool the whole JVM shares, also where the director runs without its {@code main} (tests, embedding).
 *
 * <p>Redirects are not followed: Actuator health never redirects, so a 3xx fails the poll as a non-UP answer, and a
 * failed TLS handshake as an unreachable one; each is said once per worker at WARN ({@link HealthUrlProblems}), as
 * every poll of such a URL fails the same way.
 *
 * <p>A failure while polling one worker is logged and counted
 * ({@code connection_swap_task_failures_total{task="health_poller"}}) and never stops the polling of the others or of
 * later rounds.
 */
public class HealthPoller implements SmartLifecycle {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Logger log = LoggerFactory.getLogger(HealthPoller.class);

    private final WorkerRegistry registry;
    private final HealthProperties properties;
    private final HttpClient http;
    private final Executor polls;
    private final DirectorMeters meters;
    private final RoutingLoopTask task = new RoutingLoopTask();
    private final HealthUrlProblems urlProblems = new HealthUrlProblems(log);

    /** @param polls runs each blocking poll; needs a thread per worker polled at once (a cached pool) */
    public HealthPoller(WorkerRegistry registry, HealthProperties properties, Executor polls, DirectorMeters meters) {
        this.meters = meters;
        this.registry = registry;
        this.properties = properties;
        this.polls = polls;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(properties.timeout())
                .executor(polls)
                .build();
    }

    @Override
    public void start() {
        task.atFixedRate(registry.loop(), this::pollAll, Duration.ZERO, properties.interval());
    }

    @Override
    public void stop() {
        task.cancel();
    }

    @Override
    public boolean isRunning() {
        return task.isScheduled();
    }

    /** One round; whatever goes wrong with one worker is logged and counted, and the others are polled all the same. */
    private void pollAll() {
        try {
            for (WorkerEndpoint worker : registry.pollable()) {
                try {
                    poll(worker);
                } catch (RuntimeException e) {
                    failed(where(worker), e);
                    registry.pollCompleted(worker, PollResult.unreachable("cannot poll: " + e));
                }
            }
        } catch (RuntimeException | AssertionError e) {
            failed("round", e);
        }
    }

    private void poll(WorkerEndpoint worker) {
        HttpRequest request = HttpRequest.newBuilder(worker.healthUrl())
                .timeout(properties.timeout())
                .header("Accept", "application/json")
                .GET()
                .build();
        registry.pollStarted(worker);
        polls.execute(() -> {
            PollResult result = send(worker, request);
            if (result == null) {
                return; // interrupted: the director is shutting down
            }
            // once the routing loop has stopped (the director is stopping), the result has no one to go to
            LoopTasks.executeUnlessStopped(registry.loop(), () -> registry.pollCompleted(worker, result));
        });
    }

    /** @return what the worker answered, or {@code null} when interrupted (the poll pool is shutting down) */
    private PollResult send(WorkerEndpoint worker, HttpRequest request) {
        HealthAnswer answer = new HealthAnswer(properties.timeout());
        ScheduledFuture<?> deadline = null;
        try {
            deadline = registry.loop().schedule(answer::expire, properties.timeout().toNanos(), TimeUnit.NANOSECONDS);
            HttpResponse<String> response = http.send(request, info -> answer);
            PollResult result = interpret(response);
            if (redirect(response.statusCode())) {
                urlProblems.redirected(worker, response.statusCode(), location(response));
            } else if (result.up()) {
                urlProblems.answeredUp(worker);
            }
            return result;
        } catch (RejectedExecutionException e) {
            return null; // the routing loop has stopped: the director is shutting down
        } catch (IOException e) {
            SSLException tls = causeOf(e, SSLException.class);
            if (tls != null) {
                urlProblems.tlsFailed(worker, tls);
            }
            return unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (RuntimeException e) {
            failed(where(worker), e);
            return PollResult.unreachable("cannot poll: " + e);
        } finally {
            if (deadline != null) {
                deadline.cancel(false);
            }
        }
    }

    private static String where(WorkerEndpoint worker) {
        return "worker.addr=" + worker.address() + " worker.label=" + worker.label();
    }

    private void failed(String where, Throwable failure) {
        meters.taskFailed(DirectorMeters.Task.HEALTH_POLLER);
        LogLine.error(log).field("task", "health_poller").cause(failure)
                .log("{} problem=\"{}\" health poll failed; polling goes on", where, failure.toString());
    }

    /**
     * UP only for 200 with an Actuator health body ({@code {"status":"UP",...}}). Anything else answering at the health
     * URL (a page, a bare 200 from whatever took over a gone worker's address) is not a worker saying it is healthy:
     * it counts as a failed poll, as a DOWN does.
     */
    static PollResult interpret(HttpResponse<String> response) {
        if (redirect(response.statusCode())) {
            // not followed: Actuator health never redirects, so the URL points at the wrong place
            return PollResult.answered("UNKNOWN", response.statusCode(), "redirect to " + location(response)
                    + "; Actuator health never redirects");
        }
        String status;
        try {
            JsonNode body = JSON.readTree(response.body());
            status = body.path("status").asString("UNKNOWN");
        } catch (RuntimeException e) {
            return PollResult.answered("UNKNOWN", response.statusCode(), "not an Actuator health answer");
        }
        if (response.statusCode() != 200 && "UP".equals(status)) {
            status = "UNKNOWN"; // an UP body with an error status is not a healthy worker
        }
        return PollResult.answered(status, response.statusCode());
    }

    private static boolean redirect(int httpStatus) {
        return httpStatus >= 300 && httpStatus < 400;
    }

    /** The answer's Location, printable and at most 256 characters, or null without one. */
    private static String location(HttpResponse<String> response) {
        return response.headers().firstValue("Location").map(value -> LogLine.printable(value, 256)).orElse(null);
    }

    /** {@code failure} or its first cause of {@code type}, or null. */
    private static <T extends Throwable> T causeOf(Throwable failure, Class<T> type) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (type.isInstance(cause)) {
                return type.cast(cause);
            }
        }
        return null;
    }

    /**
     * What kept a poll from an answer, in a few words: a timeout, a refused connection, a peer that took the connection
     * and closed it unanswered (the JDK says 'header parser received no bytes', the end of the stream its cause) or
     * reset it (the JDK's ConnectException, as a refusal); else the exception and its message.
     */
    static PollResult unreachable(Exception cause) {
        if (cause instanceof HttpTimeoutException) {
            return PollResult.unreachable("timeout");
        }
        if (causeOf(cause, EOFException.class) != null) {
            return PollResult.unreachable("the peer closed the connection without an answer");
        }
        String message = String.valueOf(cause.getMessage()).toLowerCase(Locale.ROOT);
        if (message.contains("connection reset")) {
            return PollResult.unreachable("connection reset by the peer, unanswered");
        }
        if (cause instanceof ConnectException) {
            return PollResult.unreachable("connection refused");
        }
        return PollResult.unreachable(cause.getClass().getSimpleName() + ": " + cause.getMessage());
    }

}
