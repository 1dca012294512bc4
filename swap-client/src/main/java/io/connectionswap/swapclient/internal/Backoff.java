package io.connectionswap.swapclient.internal;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Capped exponential backoff with jitter: the n-th wait is drawn uniformly from [d/2, d] where d doubles from
 * {@code initial} up to {@code max}. The jitter keeps many generations refused at the same moment (no healthy
 * worker) from asking again in lockstep; the lower half-bound keeps every wait meaningful. One instance per user
 * (a generation, a connection), not thread-safe.
 */
public final class Backoff {

    private final Duration initial;
    private final Duration max;
    private final DoubleSupplier random;
    private Duration next;

    public Backoff(Duration initial, Duration max, DoubleSupplier random) {
        if (initial == null || initial.isZero() || initial.isNegative()) {
            throw new IllegalArgumentException("initial backoff: " + initial + " (expected: > 0)");
        }
        if (max == null || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("max backoff: " + max + " (expected: >= initial " + initial + ")");
        }
        this.initial = initial;
        this.max = max;
        this.random = random;
        this.next = initial;
    }

    /** The wait before the next attempt; each call doubles the ceiling of the following one, up to the cap. */
    public Duration next() {
        Duration ceiling = next;
        Duration doubled = next.multipliedBy(2);
        next = doubled.compareTo(max) > 0 ? max : doubled;
        long half = ceiling.toNanos() / 2;
        return Duration.ofNanos(half + (long) (random.getAsDouble() * (ceiling.toNanos() - half)));
    }

    /** Back to the initial wait (after progress: a token arrived, a connection came up). */
    public void reset() {
        next = initial;
    }

    /** The ceiling of the next wait (for log lines). */
    public Duration ceiling() {
        return next;
    }
}
