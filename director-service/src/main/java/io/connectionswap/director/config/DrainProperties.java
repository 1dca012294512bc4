package io.connectionswap.director.config;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The director's shutdown drain.
 *
 * @param timeout longest the director waits on SIGTERM for its clients to move their generations to another
 *                director replica before it closes the remaining connections
 *                ({@code CONNECTION_SWAP_DIRECTOR_DRAIN_TIMEOUT}); keep it under Spring's
 *                {@code spring.lifecycle.timeout-per-shutdown-phase} (30 s) and the pod's termination grace period
 */
@ConfigurationProperties("connection-swap.director.drain")
public record DrainProperties(@DefaultValue("5s") Duration timeout) {

    public DrainProperties {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("CONNECTION_SWAP_DIRECTOR_DRAIN_TIMEOUT=" + timeout + " (expected: > 0, e.g. 5s)");
        }
    }
}
