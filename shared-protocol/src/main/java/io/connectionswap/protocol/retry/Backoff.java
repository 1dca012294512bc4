package io.connectionswap.protocol.retry;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * Capped exponential backoff with <em>full jitter</em>, the one backoff of the system (client library, worker
 * registration, the director's links to workers, and through the client library the gateway's waits).
 *
 * <p>The n-th wait (n = 0 after a {@link #reset}) is drawn uniformly from {@code [0, ceiling(n))} where
 * {@code ceiling(n) = min(max, initial * 2^n)}. Full jitter (as in "Exponential Backoff And Jitter", AWS
 * Architecture Blog, 2015) spreads the retries of many peers that failed at the same moment (every client and
 * worker of a director that restarts) over the whole window, instead of sending them back in step; the expected
 * wait is half the ceiling. A zero wait is harmless: the caller schedules the attempt on its event loop.
 *
 * <p>One instance per retrying thing (a generation, a connection, a worker link); not thread-safe.
 */
public final class Backoff {

    /** The longest cap accepted: a day (waits are computed in nanoseconds). */
    private static final Duration LONGEST = Duration.ofDays(1);

    private final Duration initial;
    private final Duration max;
    private final DoubleSupplier random;
    private Duration ceiling;
    private int attempts;

    /**
     * @param random draws in {@code [0, 1]} (tests pass fixed draws; {@link #exponential} uses
     *               {@link ThreadLocalRandom})
     */
    public Backoff(Duration initial, Duration max, DoubleSupplier random) {
        if (initial == null || initial.isZero() || initial.isNegative()) {
            throw new IllegalArgumentException("initial backoff: " + initial + " (expected: > 0)");
        }
        if (max == null || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("max backoff: " + max + " (expected: >= initial " + initial + ")");
        }
        if (max.compareTo(LONGEST) > 0) {
            throw new IllegalArgumentException("max backoff: " + max + " (expected: <= " + LONGEST + ")");
        }
        if (random == null) {
            throw new IllegalArgumentException("random: null (expected: a source of draws in [0, 1])");
        }
        this.initial = initial;
        this.max = max;
        this.random = random;
        this.ceiling = initial;
    }

    /** Capped exponential backoff with full jitter from {@link ThreadLocalRandom}. */
    public static Backoff exponential(Duration initial, Duration max) {
        return new Backoff(initial, max, () -> ThreadLocalRandom.current().nextDouble());
    }

    /** Checks an (initial, max) pair the way the constructor does, for builders that create backoffs later. */
    public static void check(Duration initial, Duration max) {
        new Backoff(initial, max, () -> 0);
    }

    /** The wait before the next attempt, in {@code [0, ceiling()]}; each call doubles the ceiling, up to the cap. */
    public Duration next() {
        double draw = random.getAsDouble();
        if (!(draw >= 0 && draw <= 1)) {
            throw new IllegalStateException("random draw: " + draw + " (expected: 0 <= draw <= 1)");
        }
        Duration current = ceiling;
        Duration doubled = current.multipliedBy(2);
        ceiling = doubled.compareTo(max) > 0 ? max : doubled;
        attempts++;
        return Duration.ofNanos((long) (draw * current.toNanos()));
    }

    /** Back to the initial ceiling (after progress: a token arrived, a connection came up). */
    public void reset() {
        ceiling = initial;
        attempts = 0;
    }

    /** The ceiling of the next wait (for log lines: {@code retry.in.max}). */
    public Duration ceiling() {
        return ceiling;
    }

    /** Waits handed out since the last reset. */
    public int attempts() {
        return attempts;
    }

    /** The cap of every wait. */
    public Duration max() {
        return max;
    }

    /** Whether the ceiling has reached the cap (the retries go at their slowest pace). */
    public boolean capped() {
        return ceiling.equals(max);
    }
}
