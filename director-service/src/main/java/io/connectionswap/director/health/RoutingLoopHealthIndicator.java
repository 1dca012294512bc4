package io.connectionswap.director.health;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * Liveness of the routing loops, the threads that relay every stream: a task must run on each within
 * {@code deadline}. A loop that died or is stuck fails the liveness probe, so an orchestrator restarts the director
 * (clients then resume at another replica) instead of keeping a director that accepts connections and relays
 * nothing on that loop. Details: the slowest loop's task delay, and the loops.
 */
public class RoutingLoopHealthIndicator extends AbstractHealthIndicator {

    private final List<EventLoop> loops;
    private final Duration deadline;

    public RoutingLoopHealthIndicator(List<EventLoop> loops, Duration deadline) {
        super("routing loop health check failed");
        this.loops = List.copyOf(loops);
        this.deadline = deadline;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) throws Exception {
        for (int i = 0; i < loops.size(); i++) {
            if (loops.get(i).isShuttingDown()) {
                builder.down().withDetail("problem", "routing loop " + i + " shut down");
                return;
            }
        }
        long start = System.nanoTime();
        List<Future<?>> probes = new ArrayList<>(loops.size());
        for (EventLoop loop : loops) {
            probes.add(loop.submit(() -> { }));
        }
        long deadlineNanos = start + deadline.toNanos();
        for (int i = 0; i < probes.size(); i++) {
            long left = Math.max(0, deadlineNanos - System.nanoTime());
            if (!probes.get(i).await(left, TimeUnit.NANOSECONDS)) {
                builder.down().withDetail("problem", "a task waited more than " + deadline.toMillis()
                        + " ms for routing loop " + i);
                return;
            }
        }
        builder.up().withDetail("taskDelayMicros", TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - start))
                .withDetail("loops", loops.size());
    }
}
