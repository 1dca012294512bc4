package io.connectionswap.director.health;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * Liveness of the one thread that relays every stream: a task must run on it within {@code deadline}. A loop that
 * died or is stuck fails the liveness probe, so an orchestrator restarts the director (clients then resume at
 * another replica) instead of keeping a director that accepts connections and relays nothing.
 */
public class RoutingLoopHealthIndicator extends AbstractHealthIndicator {

    private final EventLoop loop;
    private final Duration deadline;

    public RoutingLoopHealthIndicator(EventLoop loop, Duration deadline) {
        super("routing loop health check failed");
        this.loop = loop;
        this.deadline = deadline;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) throws Exception {
        if (loop.isShuttingDown()) {
            builder.down().withDetail("problem", "routing loop shut down");
            return;
        }
        long start = System.nanoTime();
        Future<?> probe = loop.submit(() -> { });
        if (!probe.await(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
            builder.down().withDetail("problem", "a task waited more than " + deadline.toMillis() + " ms for the routing loop");
            return;
        }
        builder.up().withDetail("taskDelayMicros", TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - start));
    }
}
