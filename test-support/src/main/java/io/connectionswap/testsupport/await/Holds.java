package io.connectionswap.testsupport.await;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Checks that a condition stays true for a whole duration from now, failing at the first check that finds it false
 * with what {@code description} says at that moment (the value that broke it). Awaitility's {@code during} is not
 * this: a false poll restarts its clock, so a condition that is false for a while and true again passes it
 * (AwaitilityDuringTest). Wait for the condition first (Awaitility's {@code until}) when it is not true yet.
 */
public final class Holds {

    /** Between two checks: short, so that a condition false for a moment is seen. */
    static final Duration CHECK_INTERVAL = Duration.ofMillis(5);

    private Holds() {
    }

    /** Checks {@code condition} every few milliseconds for {@code duration}, the first and the last check included. */
    public static void throughout(Duration duration, Supplier<String> description, BooleanSupplier condition) {
        throughout(duration, CHECK_INTERVAL, description, condition);
    }

    /**
     * Checks {@code condition} every {@code checkInterval} for {@code duration}, the first and the last check included:
     * for a condition that costs a request to another process (an HTTP scrape), where checking every few milliseconds
     * would load the process under test. A condition false for less than the interval may go unseen.
     */
    public static void throughout(Duration duration, Duration checkInterval, Supplier<String> description,
            BooleanSupplier condition) {
        if (checkInterval.isZero() || checkInterval.isNegative()) {
            throw new IllegalArgumentException("checkInterval: " + checkInterval + " (expected: > 0)");
        }
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        int checks = 0;
        while (true) {
            boolean last = System.nanoTime() - end >= 0;
            checks++;
            if (!condition.getAsBoolean()) {
                throw new AssertionError("stopped holding " + Duration.ofNanos(System.nanoTime() - start).toMillis()
                        + " ms into " + duration.toMillis() + " ms (check " + checks + "): " + description.get());
            }
            if (last) {
                return;
            }
            LockSupport.parkNanos(Math.min(checkInterval.toNanos(), Math.max(end - System.nanoTime(), 0)));
        }
    }
}
