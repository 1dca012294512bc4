package io.connectionswap.director.registry;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A task repeated on the routing loop between a {@code SmartLifecycle}'s start and stop: the half of
 * {@code HealthPoller} and {@link DnsDiscovery} that schedules, cancels and says whether it runs.
 */
public final class RoutingLoopTask {

    private volatile ScheduledFuture<?> future;

    /** Runs {@code task} now and then every {@code period}, measured from each start (polls keep their pace). */
    public void atFixedRate(EventLoop loop, Runnable task, Duration period) {
        future = loop.scheduleAtFixedRate(task, 0, period.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Runs {@code task} now and then {@code delay} after each run ends. */
    public void withFixedDelay(EventLoop loop, Runnable task, Duration delay) {
        future = loop.scheduleWithFixedDelay(task, 0, delay.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Stops the repetition (a run under way finishes). */
    public void cancel() {
        ScheduledFuture<?> current = future;
        if (current != null) {
            current.cancel(false);
        }
        future = null;
    }

    public boolean isScheduled() {
        return future != null;
    }
}
