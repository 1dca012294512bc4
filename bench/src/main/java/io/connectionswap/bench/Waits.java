package io.connectionswap.bench;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waiting on a condition with a deadline (polled every 20 ms), and plain pauses. */
final class Waits {

    private Waits() {
    }

    /** True once {@code condition} holds, false when {@code timeout} passed first. */
    static boolean poll(Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (condition.getAsBoolean()) {
                return true;
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            sleep(Duration.ofMillis(20));
        }
    }

    /** Like {@link #poll}, but a timeout is an error that says what was awaited, with {@code context} (a log tail). */
    static void await(String what, Duration timeout, BooleanSupplier condition, Supplier<String> context) {
        if (!poll(timeout, condition)) {
            String more = context == null ? null : context.get();
            throw new IllegalStateException("timed out after " + timeout.toSeconds() + " s waiting for: " + what
                    + (more == null ? "" : "\n" + more));
        }
    }

    static void sleep(Duration duration) {
        try {
            TimeUnit.NANOSECONDS.sleep(duration.toNanos());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
