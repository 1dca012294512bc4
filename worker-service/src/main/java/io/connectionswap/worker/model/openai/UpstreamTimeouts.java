package io.connectionswap.worker.model.openai;

import io.connectionswap.protocol.model.ModelException;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The two deadlines of one upstream stream: the first token within {@code firstTokenTimeout} of sending the
 * request, then the next chunk within {@code tokenTimeout} whenever the worker waits for one (a stream without demand
 * waits on the worker, not on the upstream, and is not timed). Confined to the stream's serial executor; checked
 * every {@link #checkPeriodMillis} ({@link #watch}).
 */
final class UpstreamTimeouts {

    private final UpstreamSettings settings;
    private final UpstreamErrors errors;
    private long sentNanos;
    private long waitingSinceNanos = -1;
    private ScheduledFuture<?> watchdog;

    UpstreamTimeouts(UpstreamSettings settings, UpstreamErrors errors) {
        this.settings = settings;
        this.errors = errors;
    }

    /** How often to check: a quarter of the shorter timeout, between 20 ms and 1 s. */
    private long checkPeriodMillis() {
        long shorter = Math.min(settings.firstTokenTimeout().toMillis(), settings.tokenTimeout().toMillis());
        return Math.max(20, Math.min(1000, shorter / 4));
    }

    /** Runs {@code check} (it moves onto the stream's executor) on {@code timer} every {@link #checkPeriodMillis}. */
    void watch(ScheduledExecutorService timer, Runnable check) {
        long periodMillis = checkPeriodMillis();
        watchdog = timer.scheduleAtFixedRate(check, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
    }

    /** No more checks: the stream is over. */
    void stopWatching() {
        if (watchdog != null) {
            watchdog.cancel(false);
        }
    }

    void sent(long nanos) {
        sentNanos = nanos;
    }

    /** A line was asked for: the upstream owes the next event, since the first line asked for after the last one. */
    void waiting(long nanos) {
        if (waitingSinceNanos < 0) {
            waitingSinceNanos = nanos;
        }
    }

    /**
     * An event came. Only an event: a keep-alive comment ({@code : ping}) or a blank line from an upstream (or a proxy)
     * that has stopped generating is no chunk, and must not hide the stall from the token timeout.
     */
    void eventReceived() {
        waitingSinceNanos = -1;
    }

    /** The failure when a deadline has passed at {@code nanos}, else null. */
    ModelException expired(long nanos, int produced) {
        if (produced == 0 && nanos - sentNanos > settings.firstTokenTimeout().toNanos()) {
            return errors.failed("no first token from upstream within " + settings.firstTokenTimeout()
                    + " (CONNECTION_SWAP_UPSTREAM_FIRST_TOKEN_TIMEOUT)", null);
        }
        if (produced > 0 && waitingSinceNanos >= 0 && nanos - waitingSinceNanos > settings.tokenTimeout().toNanos()) {
            return errors.failed("upstream sent no chunk for " + Duration.ofNanos(nanos - waitingSinceNanos).toMillis()
                    + " ms after " + produced + " tokens (CONNECTION_SWAP_UPSTREAM_TOKEN_TIMEOUT "
                    + settings.tokenTimeout() + ")", null);
        }
        return null;
    }
}
