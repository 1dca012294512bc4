package io.connectionswap.swapclient;

import java.time.Duration;

/**
 * How one generation waits when nothing can serve it.
 *
 * @param noWorkerWait longest time in a row the generation waits for a healthy worker or a director connection
 *                     (retrying with capped exponential backoff and jitter) before it fails with
 *                     {@code NO_HEALTHY_WORKER}; also the longest a stream the director accepted may stay
 *                     unanswered (no CONNECTED, RETRY or ERROR), and the longest streams may keep breaking after the
 *                     first break since the last token; null waits as long as it takes. It bounds waiting, not
 *                     resuming: whatever it is (zero: do not wait for a worker), a director's answer is waited for
 *                     at least 10 s, and the first break since the last token is always resumed once, the next
 *                     connection (after a lost one, or a director's drain) waited for at least 10 s (both floors:
 *                     twice the heartbeat timeout when that is longer); a wait longer than {@link #LONGEST_WAIT}
 *                     (such as {@code ChronoUnit.FOREVER.getDuration()}) is taken as null
 */
public record GenerationOptions(Duration noWorkerWait) {

    /**
     * Waits as long as it takes, with no failure however long nothing can serve it (the demo loop's choice; gRPC's
     * wait-for-ready). Without options a generation waits {@code SwapClient.Builder#noWorkerWait} (30 s by default).
     */
    public static final GenerationOptions WAIT_FOREVER = new GenerationOptions(null);

    /**
     * The longest wait kept as given (about 146 years, half of what a {@code long} of nanoseconds holds, so that the
     * clock arithmetic on it cannot overflow); a longer one waits as long as it takes, as null does.
     */
    public static final Duration LONGEST_WAIT = Duration.ofNanos(Long.MAX_VALUE / 2);

    public GenerationOptions {
        if (noWorkerWait != null && noWorkerWait.isNegative()) {
            throw new IllegalArgumentException("noWorkerWait: " + noWorkerWait + " (expected: >= 0, or null)");
        }
        if (noWorkerWait != null && noWorkerWait.compareTo(LONGEST_WAIT) > 0) {
            noWorkerWait = null;
        }
    }

    /** Gives up after {@code wait} without a worker. */
    public static GenerationOptions waitAtMost(Duration wait) {
        return new GenerationOptions(wait);
    }
}
