package io.connectionswap.director.registry;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A task repeated on a routing loop from its owner's start to its stop: the part of {@code HealthPoller},
 * {@link DnsDiscovery} and each relay's {@code SessionWatch} that schedules, cancels and says whether it runs.
 */
public final class RoutingLoopTask {

    private volatile ScheduledFuture<?> future;

    /**
     * Runs {@code task} after {@code first}, then every {@code period} measured from each start (polls keep their
     * pace).
     */
    public void atFixedRate(EventLoop loop, Runnable task, Duration first, Duration period) {
        future = loop.scheduleAtFixedRate(task, first.toNanos(), period.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * Runs {@code task} after {@code first}, then {@code delay} after each run ends (runs a held-up loop missed are
     * not made up back to back: the loop does its other work, reading its sockets, for a delay between two runs).
     */
    public void withFixedDelay(EventLoop loop, Runnable task, Duration first, Duration delay) {
        future = loop.scheduleWithFixedDelay(task, first.toNanos(), delay.toNanos(), TimeUnit.NANOSECONDS);
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
