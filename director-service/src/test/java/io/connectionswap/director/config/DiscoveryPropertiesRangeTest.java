package io.connectionswap.director.config;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * README "Configuration": a setting a role cannot use stops it at start-up, naming the variable. The DNS discovery
 * settings are checked only for the shape of {@code CONNECTION_SWAP_DISCOVERY_DNS}.
 */
class DiscoveryPropertiesRangeTest {

    private static DiscoveryProperties discovery(String dns, Duration interval, int healthPort) {
        return new DiscoveryProperties(dns, interval, healthPort, "/actuator/health", Duration.ofSeconds(1));
    }

    /**
     * {@code CONNECTION_SWAP_DISCOVERY_HEALTH_PORT=80810} (a typo) is accepted: every discovered worker gets the health
     * URL {@code http://<pod>:80810/actuator/health}, every poll fails and no discovered worker ever becomes healthy,
     * with nothing at start to say why.
     */
    @Test
    void aDiscoveryHealthPortOutOfRangeFailsAtBindingNamingItsSetting() {
        assertThatThrownBy(() -> discovery("workers:62000", Duration.ofSeconds(5), 80810))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CONNECTION_SWAP_DISCOVERY_HEALTH_PORT");
        assertThatThrownBy(() -> discovery("workers:62000", Duration.ofSeconds(5), 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CONNECTION_SWAP_DISCOVERY_HEALTH_PORT");
    }

    /**
     * {@code CONNECTION_SWAP_DISCOVERY_DNS=workers:0} is accepted (parsed as an address to bind, where 0 means a free
     * port): every address it resolves to becomes a worker at port 0, which the director can never dial.
     */
    @Test
    void aDiscoveryTargetWithPortZeroFailsAtBinding() {
        assertThatThrownBy(() -> discovery("workers:0", Duration.ofSeconds(5), 8081))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CONNECTION_SWAP_DISCOVERY_DNS");
    }

    /**
     * {@code CONNECTION_SWAP_DISCOVERY_INTERVAL=0s} is accepted at binding; the director then fails in
     * {@code DnsDiscovery.start} with Netty's {@code delay: 0 (expected: > 0)}, which names no setting.
     */
    @Test
    void aDiscoveryIntervalOfZeroFailsAtBindingNamingItsSetting() {
        assertThatThrownBy(() -> discovery("workers:62000", Duration.ZERO, 8081))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CONNECTION_SWAP_DISCOVERY_INTERVAL");
    }
}
