package io.connectionswap.testsupport.await;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

class HoldsTest {

    @AutoClose("shutdownNow")
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

    @Test
    void aConditionTrueThroughoutPassesAfterTheWholeDuration() {
        AtomicInteger checks = new AtomicInteger();
        long start = System.nanoTime();

        Holds.throughout(Duration.ofMillis(300), () -> "always", () -> checks.incrementAndGet() > 0);

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        assertThat(checks.get()).as("checked every few ms").isGreaterThan(10);
    }

    @Test
    void aCoarserCheckIntervalChecksLessOftenFromTheFirstToTheLastMoment() {
        AtomicInteger checks = new AtomicInteger();
        long start = System.nanoTime();

        Holds.throughout(Duration.ofMillis(300), Duration.ofMillis(100), () -> "always",
                () -> checks.incrementAndGet() > 0);

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        assertThat(checks.get()).as("at 0, 100, 200 and 300 ms, fewer when a pause overran").isBetween(2, 4);
    }

    @Test
    void aConditionFalseForAMomentFailsNamingTheValue() {
        AtomicInteger count = new AtomicInteger(6);
        timer.schedule(() -> count.set(76), 100, TimeUnit.MILLISECONDS);
        timer.schedule(() -> count.set(6), 200, TimeUnit.MILLISECONDS);

        assertThatThrownBy(() -> Holds.throughout(Duration.ofMillis(500), () -> "count=" + count.get(),
                () -> count.get() <= 12))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("stopped holding")
                .hasMessageEndingWith("count=76");
    }

    @Test
    void aConditionFalseAtOnceFailsAtTheFirstCheck() {
        assertThatThrownBy(() -> Holds.throughout(Duration.ofSeconds(10), () -> "never", () -> false))
                .hasMessageContaining("(check 1): never");
    }
}
