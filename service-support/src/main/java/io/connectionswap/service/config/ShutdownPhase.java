package io.connectionswap.service.config;

import io.connectionswap.protocol.log.LogLine;
import java.time.Duration;
import org.slf4j.Logger;
import org.springframework.core.env.Environment;

/**
 * Spring stops waiting for a lifecycle phase after {@code spring.lifecycle.timeout-per-shutdown-phase} (30 s unless
 * a role sets it): a drain that may take longer is cut short at shutdown, its streams with it. A role with a drain
 * timeout says so at start.
 */
public final class ShutdownPhase {

    /** Spring's own default. */
    static final Duration SPRING_DEFAULT = Duration.ofSeconds(30);
    /** What else the phase has to do besides the drain (closing, unbinding). */
    private static final Duration MARGIN = Duration.ofSeconds(1);

    private ShutdownPhase() {
    }

    /** The phase timeout in effect; Spring's default when it is not set or cannot be read. */
    public static Duration timeout(Environment environment) {
        try {
            return environment.getProperty("spring.lifecycle.timeout-per-shutdown-phase", Duration.class,
                    SPRING_DEFAULT);
        } catch (RuntimeException e) {
            return SPRING_DEFAULT;
        }
    }

    /**
     * Logs a WARN when {@code drainTimeout} (set by {@code drainSetting}) leaves less than a second of the shutdown
     * phase, naming both settings.
     */
    public static void warnIfOutlasted(Environment environment, Duration drainTimeout, String drainSetting,
                                       Logger log) {
        warnIfOutlasted(environment, drainTimeout, Duration.ZERO, drainSetting, log);
    }

    /**
     * As {@link #warnIfOutlasted(Environment, Duration, String, Logger)} for a stop that, after its drain, may wait
     * up to {@code afterDrain} more (the worker's wait for its connections' closes) before the second of closing.
     */
    public static void warnIfOutlasted(Environment environment, Duration drainTimeout, Duration afterDrain,
                                       String drainSetting, Logger log) {
        Duration phase = timeout(environment);
        if (drainTimeout.plus(afterDrain).plus(MARGIN).compareTo(phase) > 0) {
            LogLine.warn(log).field("drain.timeout", drainTimeout).field("after.drain", afterDrain)
                    .field("shutdown.phase.timeout", phase)
                    .log("the drain may outlast Spring's shutdown phase; raise "
                            + "spring.lifecycle.timeout-per-shutdown-phase or lower " + drainSetting);
        }
    }
}
