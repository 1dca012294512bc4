package io.connectionswap.client.gateway;

import io.connectionswap.protocol.log.LogLine;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.web.server.context.WebServerGracefulShutdownLifecycle;
import org.springframework.context.SmartLifecycle;

/**
 * The gateway's part of Spring's graceful shutdown, stopped in the web server's graceful phase beside it: answers
 * that end within the phase ({@code spring.lifecycle.timeout-per-shutdown-phase}) are left alone; those still
 * running {@link #endBefore(Duration) a little before} it runs out (when the server stops and closes every connection
 * as it is) are ended while the server can still write: a stream with the error event {@code shutting_down}, a
 * collected answer with 503 {@code shutting_down} and {@code Retry-After}, each generation cancelled on the director
 * and its worker. One line says how many. As Armeria's graceful shutdown lifecycle, only the asynchronous
 * {@link #stop(Runnable)} does anything.
 */
final class GatewayShutdown implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(GatewayShutdown.class);
    /** How long before the phase's end the answers still running are ended, at most. */
    static final Duration MARGIN = Duration.ofSeconds(2);

    private final AnswersInFlight answers;
    private final Duration endAfter;
    private volatile boolean running;
    /** The deadline of the stop under way; null while started (a stop's late deadline then ends nothing). */
    private CompletableFuture<Void> stopping;

    /** {@code shutdownPhase}: {@code spring.lifecycle.timeout-per-shutdown-phase}. */
    GatewayShutdown(AnswersInFlight answers, Duration shutdownPhase) {
        if (shutdownPhase.isNegative()) {
            throw new IllegalArgumentException("shutdownPhase: " + shutdownPhase + " (expected: >= 0)");
        }
        this.answers = answers;
        this.endAfter = endBefore(shutdownPhase);
    }

    /** When, after the phase began, answers still running are ended: {@link #MARGIN} before its end, or halfway. */
    static Duration endBefore(Duration shutdownPhase) {
        Duration half = shutdownPhase.dividedBy(2);
        Duration margin = MARGIN.compareTo(half) < 0 ? MARGIN : half;
        return shutdownPhase.minus(margin);
    }

    /** Started (again, after a context stop): answers are served, and a previous stop's deadline ends none. */
    @Override
    public synchronized void start() {
        stopping = null;
        answers.reopen();
        running = true;
    }

    /** Nothing: Spring stops a SmartLifecycle (closed or only stopped) through {@link #stop(Runnable)}. */
    @Override
    public void stop() {
        running = false;
    }

    @Override
    public void stop(Runnable callback) {
        CompletableFuture<Void> deadline = new CompletableFuture<>();
        synchronized (this) {
            running = false;
            stopping = deadline;
        }
        CompletableFuture.delayedExecutor(endAfter.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
            endAtDeadline(deadline);
            deadline.complete(null);
        });
        // the phase ends with the server's graceful stop; this part of it is done once no answer runs
        CompletableFuture.anyOf(answers.noneRunning(), deadline).thenRun(callback);
    }

    /** Ends the answers still running, unless started again since the stop that set {@code deadline}. */
    private synchronized void endAtDeadline(CompletableFuture<Void> deadline) {
        if (stopping != deadline) {
            return;
        }
        int ended = answers.endAll();
        if (ended > 0) {
            LogLine.info(log).field("answers", ended).field("after.ms", endAfter.toMillis())
                    .log("answers ended at shutdown; their clients were told shutting_down");
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return WebServerGracefulShutdownLifecycle.SMART_LIFECYCLE_PHASE;
    }
}
