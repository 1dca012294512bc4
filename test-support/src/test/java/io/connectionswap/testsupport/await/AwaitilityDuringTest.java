package io.connectionswap.testsupport.await;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * What Awaitility 4.3.0's {@code during(D)} checks (ConditionAwaiter.await): it passes once the condition has been
 * true at every poll for D, anywhere within {@code atMost}; a false poll restarts its clock instead of failing. So a
 * count that passes its limit and stays past it fails the wait, but a condition that is false for a while and then
 * true again for D passes it: {@code during} is "eventually holds for D", not "holds from now on for D" (what
 * {@link Holds#throughout} checks).
 */
class AwaitilityDuringTest {

    private static final Duration HOLD = Duration.ofMillis(500);
    private static final Duration AT_MOST = Duration.ofSeconds(2);

    @AutoClose("shutdownNow")
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

    @Test
    void aCountThatPassesItsLimitForGoodFailsTheWait() {
        AtomicInteger count = new AtomicInteger(6);
        timer.schedule(() -> count.set(76), 100, TimeUnit.MILLISECONDS);

        assertThatThrownBy(() -> await().during(HOLD).atMost(AT_MOST).until(() -> count.get() <= 12))
                .isInstanceOf(ConditionTimeoutException.class);
    }

    @Test
    void aConditionSeenFalseThatTurnsTrueAgainPassesTheWait() {
        AtomicBoolean holds = new AtomicBoolean(true);
        List<Boolean> polls = new CopyOnWriteArrayList<>();
        timer.schedule(() -> holds.set(false), 100, TimeUnit.MILLISECONDS);
        timer.schedule(() -> holds.set(true), 600, TimeUnit.MILLISECONDS);

        await().during(HOLD).atMost(AT_MOST).until(() -> {
            polls.add(holds.get());
            return polls.get(polls.size() - 1);
        });

        assertThat(polls).as("the polls, a false among them, and yet the wait passed").contains(false);
    }
}
