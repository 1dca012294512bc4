package io.connectionswap.director.config;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * README "Configuration": the director-to-worker heartbeat is {@code connection-swap.director.link-heartbeat-interval}
 * (100ms) and {@code -timeout} (1s). {@code DirectorProperties} checks neither. An interval of 0 passes binding and
 * fails every link later, when its heartbeat is scheduled (Netty: period must be > 0), so the director never links a
 * worker; an interval as long as the timeout (e.g. {@code link-heartbeat-interval=1s} with the default timeout) leaves
 * an echo no time at all ({@code HeartbeatTurns}: timeout + period - interval = 1s, one heartbeat per second), so every
 * link counts as lost over and over (swap reason connection_lost) on a healthy network.
 */
class LinkHeartbeatSettingsTest {

    private static DirectorProperties link(Duration interval, Duration timeout) {
        return new DirectorProperties("127.0.0.1:0", "d-test", null, interval, timeout, 3, Duration.ofMillis(300),
                Duration.ofSeconds(30), Duration.ofSeconds(15), Duration.ofSeconds(60), 3, true, "nio", false, 1, 1,
                true, true, false);
    }

    @Test
    void aZeroHeartbeatIntervalFailsAtBindingNamingItsProperty() {
        assertThatThrownBy(() -> link(Duration.ZERO, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("link-heartbeat-interval");
    }

    @Test
    void aHeartbeatIntervalNotBelowTheTimeoutFailsAtBindingNamingItsProperties() {
        assertThatThrownBy(() -> link(Duration.ofSeconds(1), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("link-heartbeat-timeout");
    }
}
