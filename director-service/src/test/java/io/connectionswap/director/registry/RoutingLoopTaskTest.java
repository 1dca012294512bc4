package io.connectionswap.director.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RoutingLoopTaskTest {

    private final EventLoop loop = new DefaultEventLoop();
    private final RoutingLoopTask task = new RoutingLoopTask();
    private final AtomicInteger runs = new AtomicInteger();

    @AfterEach
    void shutDown() {
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void notScheduledUntilStarted() {
        assertThat(task.isScheduled()).isFalse();
        task.cancel(); // a stop before any start is harmless
        assertThat(task.isScheduled()).isFalse();
    }

    @Test
    void atFixedRateRunsAtOnceAndRepeatsUntilCancelled() {
        assertRepeatsUntilCancelled(() -> task.atFixedRate(loop, runs::incrementAndGet, Duration.ZERO, Duration.ofMillis(10)));
    }

    @Test
    void withFixedDelayRunsAtOnceAndRepeatsUntilCancelled() {
        assertRepeatsUntilCancelled(() -> task.withFixedDelay(loop, runs::incrementAndGet, Duration.ZERO, Duration.ofMillis(10)));
    }

    private void assertRepeatsUntilCancelled(Runnable schedule) {
        schedule.run();
        assertThat(task.isScheduled()).isTrue();
        await().atMost(Duration.ofSeconds(5)).until(() -> runs.get() >= 3);

        task.cancel();
        assertThat(task.isScheduled()).isFalse();
        // a run already handed to the loop may still finish: wait until the loop has drained it, then for 5 periods
        loop.submit(() -> { }).syncUninterruptibly();
        int afterCancel = runs.get();
        loop.schedule(() -> { }, 50, TimeUnit.MILLISECONDS).syncUninterruptibly();
        assertThat(runs.get()).isEqualTo(afterCancel);
    }
}
