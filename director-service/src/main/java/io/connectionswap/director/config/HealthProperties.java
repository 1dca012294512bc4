package io.connectionswap.director.config;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How the director polls worker health.
 *
 * @param interval              poll period per worker ({@code CONNECTION_SWAP_HEALTH_INTERVAL})
 * @param timeout               a poll without an answer after this long failed; blank: 80% of the interval
 * @param downThreshold         consecutive DOWN (or other non-UP) answers that make a worker unhealthy; one
 *                              OUT_OF_SERVICE (a drain) is always enough
 * @param unreachableThreshold  consecutive refused connections or timeouts that make a worker unhealthy
 * @param riseThreshold         consecutive UP answers before an unhealthy worker gets streams again
 */
@ConfigurationProperties("connection-swap.health")
public record HealthProperties(
        @DefaultValue("500ms") Duration interval,
        Duration timeout,
        @DefaultValue("1") int downThreshold,
        @DefaultValue("2") int unreachableThreshold,
        @DefaultValue("4") int riseThreshold) {

    public HealthProperties {
        if (interval.isZero() || interval.isNegative()) {
            throw new IllegalArgumentException("CONNECTION_SWAP_HEALTH_INTERVAL=" + interval + " (expected: > 0)");
        }
        if (timeout != null && timeout.isNegative()) {
            throw new IllegalArgumentException("CONNECTION_SWAP_HEALTH_TIMEOUT=" + timeout
                    + " (expected: > 0 and below CONNECTION_SWAP_HEALTH_INTERVAL=" + interval
                    + "; unset or 0: 80% of the interval)");
        }
        if (timeout == null || timeout.isZero()) {
            timeout = interval.multipliedBy(4).dividedBy(5);
        }
        if (timeout.compareTo(interval) >= 0) {
            throw new IllegalArgumentException("CONNECTION_SWAP_HEALTH_TIMEOUT=" + timeout
                    + " (expected: below CONNECTION_SWAP_HEALTH_INTERVAL=" + interval + ")");
        }
        if (downThreshold < 1 || unreachableThreshold < 1 || riseThreshold < 1) {
            throw new IllegalArgumentException("health thresholds must be >= 1: down=" + downThreshold
                    + " unreachable=" + unreachableThreshold + " rise=" + riseThreshold);
        }
    }
}
