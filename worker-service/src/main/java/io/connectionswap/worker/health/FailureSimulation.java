package io.connectionswap.worker.health;

import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.worker.config.WorkerProperties;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

/**
 * The simulated failure of CONNECTION_SWAP_WORKER_FAIL_AFTER, made visible the way a real one is: through Actuator health. With
 * {@code CONNECTION_SWAP_WORKER_FAIL_AFTER} set, once the worker has served streams for that long its health
 * turns DOWN; after {@code CONNECTION_SWAP_WORKER_RECOVER_AFTER} it is UP again, and the clock starts again at the
 * next handoff. The
 * worker keeps serving meanwhile: it is the director that must notice and move the streams.
 */
@Component("simulatedFailure")
public class FailureSimulation extends AbstractHealthIndicator {

    private static final Logger log = LoggerFactory.getLogger(FailureSimulation.class);

    private final WorkerProperties properties;
    private final Clock clock;
    /** When the current serving period began (the first handoff since start or since the last recovery). */
    private final AtomicReference<Instant> servingSince = new AtomicReference<>();
    private volatile Instant failedAt;

    @Autowired
    public FailureSimulation(WorkerProperties properties) {
        this(properties, Clock.systemUTC());
    }

    FailureSimulation(WorkerProperties properties, Clock clock) {
        super("simulated failure check failed");
        this.properties = properties;
        this.clock = clock;
    }

    /** Called at every handoff; starts the clock on the first one. */
    public void servingStarted() {
        if (properties.failAfter() != null) {
            servingSince.compareAndSet(null, clock.instant());
        }
    }

    /** Whether the simulated failure is active now; advances the fail/recover cycle. */
    public synchronized boolean failing() {
        Duration failAfter = properties.failAfter();
        Instant since = servingSince.get();
        if (failAfter == null || since == null) {
            return false;
        }
        Instant now = clock.instant();
        if (failedAt != null) {
            if (now.isBefore(failedAt.plus(properties.recoverAfter()))) {
                return true;
            }
            LogLine.info(log).field("worker", properties.label()).field("recover.after", properties.recoverAfter())
                    .log("recovered from simulated failure");
            failedAt = null;
            servingSince.set(null); // the next handoff starts the clock again
            return false;
        }
        if (!now.isBefore(since.plus(failAfter))) {
            failedAt = now;
            LogLine.warn(log).field("worker", properties.label()).field("fail.after", failAfter)
                    .log("simulating failure after {}", human(failAfter));
            return true;
        }
        return false;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        if (properties.failAfter() == null) {
            builder.up().withDetail("enabled", false);
            return;
        }
        builder.withDetail("enabled", true)
                .withDetail("failAfter", properties.failAfter().toString())
                .withDetail("recoverAfter", properties.recoverAfter().toString());
        if (failing()) {
            builder.down().withDetail("failedAt", String.valueOf(failedAt));
        } else {
            builder.up();
        }
    }

    /** {@code 15s}, {@code 500ms}, {@code 2m}: the way the log lines write durations. */
    static String human(Duration duration) {
        long millis = duration.toMillis();
        if (millis % 60_000 == 0) {
            return millis / 60_000 + "m";
        }
        if (millis % 1000 == 0) {
            return millis / 1000 + "s";
        }
        return millis + "ms";
    }
}
